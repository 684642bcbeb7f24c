// A World is one run of a test: its backend (real or sim, see
// labrpc/runtime.h), its options, and how the run ended. Run rethrows the
// first exception a task ended with, or the runtime's own error.
//
// Usage:
//
//   labrpc::WorldOptions options = labrpc::WorldOptions::FromEnv();
//   options.mutex_hold_limit = std::chrono::seconds(2);
//   labrpc::World world(options);
//   try {
//     world.Run([] { /* the root task: start tasks, wait for them */ });
//   } catch (const labrpc::DeadlockError& e) {  // sim: no task can run
//     std::fprintf(stderr, "%s", e.what());     // every task and its wait
//   }
//   std::printf("seed %llu\n", static_cast<unsigned long long>(world.seed()));
#ifndef RAFTLAB_LABRPC_WORLD_H_
#define RAFTLAB_LABRPC_WORLD_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
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

}  // namespace labrpc

#endif  // RAFTLAB_LABRPC_WORLD_H_
