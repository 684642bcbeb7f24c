// The sim backend: every task is a Boost.Context fiber on the one OS thread
// that called World::Run. A ready queue and a timer heap ordered by
// (virtual time, sequence) decide what runs next; when nothing is ready the
// clock jumps to the earliest timer. All choices are deterministic given the
// seed, so one seed gives one exact run.
//
// Waking is token-based: each time a task blocks it gets a fresh token, and
// every wake-up source (timer, notify, mutex hand-off, cancellation) carries
// the token it was registered with. Only the first source whose token still
// matches wakes the task; the others are stale and skipped, so no wait list
// needs eager clean-up.
//
// Internal to the sim backend; its files, by job:
//   scheduler.cc   tasks and their fibers, the timer heap, the run loop,
//                  blocking and waking
//   timers.cc      Sleep and AfterFunc, which add timers
//   sync.cc        SimMutex and SimCondVar
//   watchdog.cc    the failure reports (deadlock, a Mutex held too long or
//                  at exit) and the wall-clock watchdog
//   stack_pool.cc  the fibers' stacks (stack_pool.h)
#ifndef RAFTLAB_LABRPC_SIM_BACKEND_H_
#define RAFTLAB_LABRPC_SIM_BACKEND_H_

#include <algorithm>
#include <atomic>
#include <boost/context/fiber.hpp>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "labrpc/runtime.h"
#include "labrpc/runtime_backend.h"
#include "labrpc/sanitizer_fiber.h"
#include "labrpc/sim/stack_pool.h"

namespace labrpc {
namespace internal {
namespace sim {

// The virtual time `d` after `now`, or nullopt if that lies past the end of
// representable time: Duration::max() and its neighbours mean "never", and
// must not wrap around into the past and fire at once.
std::optional<Duration> Deadline(Duration now, Duration d);

enum class TaskState { kReady, kRunning, kBlocked, kDone };

struct SimTask {
  uint64_t id = 0;
  std::string name;
  std::function<void()> fn;
  ctx::fiber fiber;  // the task's own context while it is suspended
  ctx::fiber sink;   // the scheduler's context while the task runs
  TaskState state = TaskState::kReady;
  uint64_t token = 0;        // identifies the current blocking episode
  bool cancellable = false;  // the current block is a cancellation point
  bool cancelled = false;    // woken by the world stopping
  bool timed_out = false;    // woken by its timer
  std::string waiting_on;    // for deadlock reports
  Duration blocked_since{};
  uint64_t calls_since_block = 0;
  int mutexes_held = 0;        // a task must not finish while holding one
  int cpu_bound = 0;           // CpuBoundSection nesting depth
  AsanStack asan;              // its stack, for ASan
  void* tsan_fiber = nullptr;  // its TSan fiber (TSan builds only)
};

struct Timer {
  Duration when;
  uint64_t seq;
  uint64_t task_id;  // wake this task (if token still matches), or
  uint64_t token;
  std::function<void()> spawn;  // start this as a new task
  bool operator>(const Timer& o) const {
    return when != o.when ? when > o.when : seq > o.seq;
  }
};

class SimBackend;

class SimMutex : public MutexImpl {
 public:
  SimMutex(SimBackend* b, std::string name);
  ~SimMutex() override;
  void Lock() override;
  void Unlock() override;
  bool TryLock() override;
  bool HeldByMe() const override;

  const std::string& name() const override { return name_; }
  SimTask* owner() const { return owner_; }
  Duration acquired_at() const { return acquired_at_; }
  // Releases the mutex from its owner and hands it to the next waiter.
  void ForceRelease();

 private:
  SimBackend* b_;
  std::string name_;
  SimTask* owner_ = nullptr;
  Duration acquired_at_{};
  std::deque<std::pair<uint64_t, uint64_t>> waiters_;  // (task id, token)
};

class SimCondVar : public CondVarImpl {
 public:
  SimCondVar(SimBackend* b, std::string name) : b_(b), name_(std::move(name)) {}
  void Wait(MutexImpl& mu) override { WaitImpl(mu, nullptr); }
  bool WaitFor(MutexImpl& mu, Duration timeout) override {
    return WaitImpl(mu, &timeout);
  }
  void NotifyOne() override;
  void NotifyAll() override;

 private:
  bool WaitImpl(MutexImpl& mu, const Duration* timeout);
  SimBackend* b_;
  std::string name_;
  std::deque<std::pair<uint64_t, uint64_t>> waiters_;  // (task id, token)
};

class SimBackend : public Backend {
 public:
  SimBackend(World* world, const WorldOptions& options)
      : world_(world), options_(options), rng_(options.seed) {}
  ~SimBackend() override;

  void Run(std::function<void()> root) override;
  void Go(std::string name, std::function<void()> fn) override;
  void AfterFunc(Duration delay, std::function<void()> fn) override;
  void Sleep(Duration d) override;
  void Yield() override;
  // Every entry point a task calls holds a TsanIgnoreScope: see
  // labrpc/sanitizer_fiber.h.
  Duration Now() override {
    TsanIgnoreScope ignore;
    Enter();
    return now_;
  }
  uint64_t RandUint64() override {
    TsanIgnoreScope ignore;
    Enter();
    return rng_.Next();
  }
  std::string CurrentTaskName() override {
    TsanIgnoreScope ignore;
    Enter();
    return current_ ? current_->name : std::string("scheduler");
  }
  bool Stopping() override {
    TsanIgnoreScope ignore;
    Enter();
    return stopping_;
  }
  uint64_t TraceHash() const override { return trace_hash_; }
  std::unique_ptr<MutexImpl> NewMutex(std::string name) override {
    TsanIgnoreScope ignore;
    Enter();
    return std::make_unique<SimMutex>(this, std::move(name));
  }
  std::unique_ptr<CondVarImpl> NewCondVar(std::string name) override {
    TsanIgnoreScope ignore;
    Enter();
    return std::make_unique<SimCondVar>(this, std::move(name));
  }
  void EnterCpuBound() override {
    TsanIgnoreScope ignore;
    SimTask* t = Enter();
    t->cpu_bound++;
    running_cpu_bound_.store(true, std::memory_order_relaxed);
  }
  void LeaveCpuBound() override {
    TsanIgnoreScope ignore;
    SimTask* t = Enter();
    t->cpu_bound--;
    running_cpu_bound_.store(t->cpu_bound > 0, std::memory_order_relaxed);
  }

  // --- used by SimMutex / SimCondVar ---

  // Checks the caller is this world's thread, inside a task, and counts the
  // call towards spin detection.
  SimTask* Enter();
  // Suspends the current task until Wake(task, token) or, if cancellable,
  // until the world stops. Returns normally; the caller inspects the flags.
  void Block(std::string waiting_on, bool cancellable);
  // Registers a timer that wakes `task` (episode `token`) at `when`.
  void AddWakeTimer(Duration when, SimTask* task, uint64_t token);
  // Makes task `id` ready if it is alive and still blocked in episode
  // `token`; returns whether it did.
  bool Wake(uint64_t id, uint64_t token);
  // A task still holds `m` as it finishes: an error; releases it.
  void ReportHeldAtExit(SimMutex* m, SimTask* t);
  const std::vector<SimMutex*>& mutexes() const { return mutexes_; }
  Duration now() const { return now_; }
  SimTask* current() const { return current_; }
  SimTask* Find(uint64_t id);
  void RegisterMutex(SimMutex* m) { mutexes_.push_back(m); }
  void UnregisterMutex(SimMutex* m) {
    auto it = std::find(mutexes_.begin(), mutexes_.end(), m);
    if (it != mutexes_.end()) {
      *it = mutexes_.back();
      mutexes_.pop_back();
    }
  }
  std::string TaskLabel(const SimTask* t) const {
    return t == nullptr
               ? std::string("nobody")
               : "task " + std::to_string(t->id) + " '" + t->name + "'";
  }

 private:
  // Run's body, inside the scheduler's ignore region.
  void Schedule(std::function<void()> root);
  // The scheduler's loop: runs tasks and fires timers until none is left.
  void RunTasks();
  void SwitchToScheduler();
  void ResumeTask(SimTask* t);
  // Calls the task's function, in the task's fiber.
  void RunTask(SimTask* t);
  void FinishTask(SimTask* t);
  void BeginStop();
  void RecordError(std::exception_ptr e);
  bool FireNextTimer();
  void CheckMutexHolds();
  std::string DeadlockReport();
  void StartWallWatchdog();
  void StopWallWatchdog();
  // The current task has come back from a stretch outside the runtime that
  // the watchdog flagged: fail the run. Records the error rather than
  // throwing, since the call may be an Unlock in a destructor.
  void ReportBlockedOutside();

  World* world_;
  WorldOptions options_;
  Rng rng_;
  StackPool stacks_;
  std::thread::id thread_;
  Duration now_{};
  uint64_t next_task_id_ = 0;
  uint64_t next_timer_seq_ = 0;
  std::map<uint64_t, std::unique_ptr<SimTask>> tasks_;  // live tasks by id
  std::deque<SimTask*> ready_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  SimTask* current_ = nullptr;
  SimTask* root_ = nullptr;
  // The scheduler's own stack (the thread that called Run), for ASan.
  AsanStack sched_asan_;
  // TSan: the scheduler's fiber (the thread that called Run), and the
  // address every task releases as it ends and Run acquires as it returns.
  void* tsan_sched_ = nullptr;
  char tsan_tasks_ended_ = 0;
  bool stopping_ = false;
  std::exception_ptr first_error_;
  uint64_t trace_hash_ = 0xcbf29ce484222325ULL;
  std::vector<SimMutex*> mutexes_;
  Duration next_mutex_check_{};

  // Wall-clock watchdog for a task that blocks outside the runtime or never
  // yields. Progress is a task switch or a runtime call (calls_ has one
  // writer, the sim thread, so it needs no atomic read-modify-write).
  std::atomic<uint64_t> switches_{0};
  std::atomic<uint64_t> calls_{0};
  std::atomic<const std::string*> running_name_{nullptr};
  std::atomic<bool> running_cpu_bound_{false};
  // Set by the watchdog (wall nanoseconds without progress) when the
  // running task passed block_wall_limit; Enter() turns it into the run's
  // error.
  std::atomic<int64_t> blocked_outside_ns_{0};
  std::thread watchdog_;
  std::mutex watchdog_mu_;
  std::condition_variable watchdog_cv_;
  bool watchdog_stop_ = false;
};

}  // namespace sim
}  // namespace internal
}  // namespace labrpc

#endif  // RAFTLAB_LABRPC_SIM_BACKEND_H_
