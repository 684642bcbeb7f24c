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
#ifndef RAFTLAB_LABRPC_RUNTIME_H_
#define RAFTLAB_LABRPC_RUNTIME_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>  // std::unique_lock, for MutexLock
#include <stdexcept>
#include <string>

namespace labrpc {

// Durations and times. Time is measured from the start of the world.
using Duration = std::chrono::nanoseconds;

enum class Backend { kReal, kSim };

const char* BackendName(Backend backend);

// The sim schedule version. A sim run is fixed by its seed and by the code
// that turns the seed into an execution: which task runs when, and which
// random draw goes where. Bump this in every change to the runtime, the
// fabric or the test harnesses that makes an existing seed do something
// else: a random draw added, removed or moved, a task or timer added or
// removed, a change in run or wake order, a new default that the sim reads.
// Replay lines carry it (LAB_SCHEDULE_VERSION=N) and so does the trace
// header, so that replaying a seed recorded under another version says that
// it will not reproduce the recorded execution instead of silently running
// another one. (Changes to the lab code itself, raft/ and the services, also
// change executions; the version cannot see those.)
//   1  (implicit, before replay lines carried a version)
//   2  sim RPC latency: two draws per reliable call; the fabric wakes the
//      callers waiting for handlers in the order they began to wait
inline constexpr int kSimScheduleVersion = 2;

struct WorldOptions {
  Backend backend = Backend::kSim;
  uint64_t seed = 1;
  // sim: pick a random ready task instead of the oldest one, to shake out
  // interleavings that the FIFO order never produces.
  bool fuzz_schedule = false;
  // A Mutex held longer than this (virtual time under sim) fails the run.
  // Under real it is reported on stderr while it is still held, with what
  // its holder is blocked on.
  Duration mutex_hold_limit = std::chrono::seconds(10);
  // sim: a task that makes this many runtime calls without ever blocking is
  // spinning (e.g. polling Now() in a loop); the run fails naming it.
  uint64_t spin_call_limit = 20'000'000;
  // sim: a task that has not called the runtime for this long in wall time
  // is blocked outside it (std::this_thread::sleep_for, a std::mutex,
  // blocking I/O) or in a long CPU loop; every other task, and virtual
  // time, wait for it. It is reported on stderr at once, and the run fails
  // when the task next calls the runtime. CpuBoundSection exempts a known
  // long computation. Zero: no check.
  Duration block_wall_limit = std::chrono::seconds(5);
  // sim: a task still outside the runtime after this long in wall time will
  // likely never return; the world is stuck (see on_stuck).
  Duration spin_wall_limit = std::chrono::seconds(60);
  // real: a world still running after this long in wall time is stuck (a
  // deadlock in lab code that no runtime check can end, e.g. a lock held
  // across a Call whose handler needs it); see on_stuck. Zero: no limit.
  Duration real_wall_limit = Duration::zero();
  // Called, from a watchdog thread, when the world is stuck and cannot end
  // by itself, with a report of every task and what it waits on. It must
  // not return (print, then std::_Exit). Unset: the report goes to stderr
  // and the process aborts.
  std::function<void(const std::string& report)> on_stuck;
  // sim: the longest one-way network latency of an RPC (request or reply).
  // The fabric draws each leg's latency from the seeded source, skewed
  // towards short delays (see labrpc/network.h). Zero makes every reliable
  // RPC arrive in zero virtual time. Ignored under real, where the OS
  // scheduler supplies the jitter.
  Duration sim_latency = std::chrono::microseconds(5000);
  // The sim schedule version a replayed seed was recorded under
  // (LAB_SCHEDULE_VERSION), 0 if none was given. A value other than
  // kSimScheduleVersion makes FromEnv warn on stderr, once per process, that
  // the run will not reproduce the recorded one; the run goes ahead, as a
  // new execution of that seed, since it is still a valid test run.
  uint64_t recorded_schedule_version = 0;

  // Reads LAB_RUNTIME (real|sim, default sim), LAB_SEED (default: a fresh
  // random seed), LAB_FUZZ (1 turns schedule fuzzing on),
  // LAB_MUTEX_LIMIT_MS, LAB_SIM_LATENCY (microseconds; 0 turns the sim
  // latency off) and LAB_SCHEDULE_VERSION. Throws MisuseError on a malformed
  // value.
  static WorldOptions FromEnv();
};

// Base of the runtime's own errors.
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// The runtime was used wrongly (foreign thread, unlock by a non-owner, ...).
class MisuseError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};
// sim: no task can run and no timer is pending. what() lists every task.
class DeadlockError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};
// A Mutex held too long, or a task that spins without blocking.
class WatchdogError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

// Thrown by blocking runtime calls once the world is stopping. Deliberately
// not a std::exception, so that `catch (const std::exception&)` in lab code
// does not swallow it.
struct Cancelled {};

namespace internal {
class Backend;
class MutexImpl;
class CondVarImpl;
}  // namespace internal

class World {
 public:
  explicit World(const WorldOptions& options);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Runs `root` as a task and returns once it has returned and every other
  // task has been cancelled and has finished. May be called once.
  void Run(std::function<void()> root);

  const WorldOptions& options() const { return options_; }
  Backend backend() const { return options_.backend; }
  uint64_t seed() const { return options_.seed; }

  // sim: a hash of every scheduling decision (which task ran, at what virtual
  // time). Two runs with the same seed have the same hash. 0 under real.
  uint64_t TraceHash() const;

  // The world of the calling task, or nullptr if this OS thread is not
  // running one of its tasks.
  static World* CurrentOrNull();
  // As above, but throws MisuseError with advice when there is none.
  static World& Current();

  internal::Backend& backend_impl() { return *impl_; }

 private:
  WorldOptions options_;
  std::unique_ptr<internal::Backend> impl_;
  bool ran_ = false;
};

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

// A mutual-exclusion lock. Not recursive: locking it twice from one task, or
// unlocking it from a task that does not hold it, throws MisuseError.
// Satisfies Lockable, so std::lock_guard and std::unique_lock work.
class Mutex {
 public:
  explicit Mutex(std::string name = "mutex");
  ~Mutex();
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock();
  void Unlock();
  bool TryLock();
  // True if the calling task holds this mutex.
  bool HeldByMe() const;
  // Throws MisuseError unless the calling task holds this mutex, naming the
  // mutex, the task and `who` (the code that requires it). Use it through
  // LAB_ASSERT_HELD below.
  void AssertHeld(const char* who) const {
    if (!HeldByMe()) FailNotHeld(who);
  }

  void lock() { Lock(); }
  void unlock() { Unlock(); }
  bool try_lock() { return TryLock(); }

 private:
  friend class CondVar;
  [[noreturn]] void FailNotHeld(const char* who) const;
  std::unique_ptr<internal::MutexImpl> impl_;
};

// The first line of every method that requires a lock (those named
// ...Locked): LAB_ASSERT_HELD(mu_); fails the run at once, naming the
// method, when a caller does not hold `mu`, instead of letting the race
// corrupt state far from its cause. On by default (two virtual calls);
// building with -DRAFTLAB_LOCK_CHECKS=0 (CMake option RAFTLAB_LOCK_CHECKS)
// compiles the checks out.
#ifndef RAFTLAB_LOCK_CHECKS
#define RAFTLAB_LOCK_CHECKS 1
#endif
#if RAFTLAB_LOCK_CHECKS
#define LAB_ASSERT_HELD(mu) (mu).AssertHeld(__PRETTY_FUNCTION__)
#else
#define LAB_ASSERT_HELD(mu) ((void)0)
#endif

using MutexLock = std::unique_lock<Mutex>;

// A condition variable bound to whichever Mutex the waiter holds. Wait may
// return spuriously; callers re-check their condition in a loop.
class CondVar {
 public:
  explicit CondVar(std::string name = "condvar");
  ~CondVar();
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Atomically releases `mu` (which the caller must hold) and waits for a
  // notification; reacquires `mu` before returning or throwing Cancelled.
  void Wait(Mutex& mu);
  // As Wait, for at most `timeout`. Returns false if it timed out.
  bool WaitFor(Mutex& mu, Duration timeout);
  void NotifyOne();
  void NotifyAll();

 private:
  std::unique_ptr<internal::CondVarImpl> impl_;
};

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

// Waits for a collection of tasks to finish (Go's sync.WaitGroup).
class WaitGroup {
 public:
  WaitGroup();
  void Add(int n);
  void Done();
  void Wait();

 private:
  Mutex mu_;
  CondVar cv_;
  int count_ = 0;
};

}  // namespace labrpc

#endif  // RAFTLAB_LABRPC_RUNTIME_H_
