// What a task calls: start tasks, sleep, yield, read the world's clock and
// draw seeded random numbers. Each call acts on the calling task's world
// (World::Current()); under sim the clock is virtual and every draw comes
// from the seed, so the same seed makes the same calls return the same.
//
// Usage:
//
//   labrpc::Go("ticker", [&] {
//     while (!labrpc::Stopping()) {
//       labrpc::Sleep(std::chrono::milliseconds(50 + labrpc::RandInt(100)));
//       Tick(labrpc::Now());
//     }
//   });
//   labrpc::AfterFunc(std::chrono::seconds(1), [&] { Timeout(); });
//
//   {
//     labrpc::CpuBoundSection cpu;  // a long computation that never blocks
//     CheckHistory(history);
//   }
#ifndef RAFTLAB_LABRPC_TASK_H_
#define RAFTLAB_LABRPC_TASK_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "labrpc/world.h"

namespace labrpc {

// Starts a task (like Go's `go`). The name appears in deadlock and watchdog
// reports. Objects the task uses must outlive the world or be owned by it.
void Go(std::string name, std::function<void()> fn);
inline void Go(std::function<void()> fn) { Go("task", std::move(fn)); }

// Runs fn as a new task once `delay` has passed.
void AfterFunc(Duration delay, std::function<void()> fn);

// Blocks the calling task for `d` (virtual time under sim).
void Sleep(Duration d);

// Lets other ready tasks run (sim); a hint only under real.
void Yield();

// Time since the world started.
Duration Now();

// Seeded randomness, shared by the whole world.
uint64_t RandUint64();
// Uniform in [0, n); n must be positive.
int64_t RandInt(int64_t n);

// The calling task's name.
std::string CurrentTaskName();

// True once the world has begun stopping (root returned or a task failed).
bool Stopping();

// Marks a stretch of pure computation in the calling task (e.g. checking a
// long history for linearizability) that may run for seconds of wall time
// without calling the runtime: under sim, block_wall_limit does not apply
// while it lives (spin_wall_limit still does). Nothing under real, or
// outside a world.
class CpuBoundSection {
 public:
  CpuBoundSection();
  ~CpuBoundSection();
  CpuBoundSection(const CpuBoundSection&) = delete;
  CpuBoundSection& operator=(const CpuBoundSection&) = delete;
};

}  // namespace labrpc

#endif  // RAFTLAB_LABRPC_TASK_H_
