// The runtime: every task, lock, condition, clock read, sleep and random draw
// in lab code goes through this header. No std::thread, std::mutex,
// std::condition_variable, sleep_for, std::chrono clocks, rand() or
// std::random_device outside the runtime's own files: that rule is what makes
// the sim backend possible.
//
// One World is one run of a test. It has one of two backends:
//   real  OS threads (pooled), std mutexes, futex-based condition variables,
//         the steady clock.
//   sim   fibers on one OS thread, a virtual clock that jumps to the next timer
//         when no task can run, and every random choice from one 64-bit seed;
//         the same seed gives the same run, bit for bit.
//
// Usage:
//
//   labrpc::World world(labrpc::WorldOptions::FromEnv());
//   world.Run([] {                    // the root task
//     labrpc::Mutex mu("counter");
//     int n = 0;
//     labrpc::WaitGroup wg;
//     for (int i = 0; i < 10; i++) {
//       wg.Add(1);
//       labrpc::Go("worker", [&] {
//         labrpc::Sleep(std::chrono::milliseconds(labrpc::RandInt(100)));
//         std::lock_guard<labrpc::Mutex> l(mu);
//         n++;
//         wg.Done();
//       });
//     }
//     wg.Wait();
//   });
//
// Run returns when the root task returns. Tasks still running then are
// cancelled: their blocking runtime calls throw labrpc::Cancelled, which
// unwinds them (do not swallow it: catch(...) must rethrow). If any task ends
// with an exception, the world stops, every task unwinds, and Run rethrows the
// first such exception. Under sim, Run also throws DeadlockError when no task
// can run and no timer is pending, WatchdogError for a Mutex held too long or
// a task that never yields, and MisuseError for a runtime call from an OS
// thread that is not the world's.
//
// Every runtime object (Mutex, CondVar, Channel, WaitGroup) belongs to the
// world that was current when it was made, so make them inside Run.
//
// This header gathers the runtime's parts, one header each:
//   labrpc/world.h  World, WorldOptions, the backends, the runtime's errors
//   labrpc/task.h   Go, AfterFunc, Sleep, Yield, Now, RandInt, Stopping,
//                   CpuBoundSection
//   labrpc/sync.h   Mutex, LAB_ASSERT_HELD, CondVar, WaitGroup
// (labrpc/channel.h adds Channel.) Lab code includes this one.
#ifndef RAFTLAB_LABRPC_RUNTIME_H_
#define RAFTLAB_LABRPC_RUNTIME_H_

#include "labrpc/sync.h"
#include "labrpc/task.h"
#include "labrpc/world.h"

#endif  // RAFTLAB_LABRPC_RUNTIME_H_
