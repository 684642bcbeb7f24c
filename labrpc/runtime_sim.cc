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
#include <algorithm>
#include <atomic>
#include <boost/context/fiber.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <sstream>
#include <thread>
#include <vector>

#include "labrpc/runtime.h"
#include "labrpc/runtime_backend.h"
#include "labrpc/sanitizer_fiber.h"

namespace labrpc {
namespace internal {
namespace {

namespace ctx = boost::context;

// TSan's instrumentation makes frames larger, and its report printing runs
// on the task's stack.
constexpr size_t kStackSize = (kTsanFibers ? 1024 : 512) * 1024;

// The virtual time `d` after `now`, or nullopt if that lies past the end of
// representable time: Duration::max() and its neighbours mean "never", and
// must not wrap around into the past and fire at once.
std::optional<Duration> Deadline(Duration now, Duration d) {
  d = std::max(d, Duration::zero());
  if (d >= Duration::max() - now) return std::nullopt;
  return now + d;
}

// Reuses guard-paged fiber stacks: one mmap per task would dominate the cost
// of short tasks such as RPC handlers. Not under TSan: it remembers every
// access to a stack, and a reused stack would make the new task's first
// writes race with the old task's last ones. Unmapping a stack clears what
// TSan remembers of it.
class StackPool {
 public:
  ~StackPool() {
    for (ctx::stack_context& sc : free_) alloc_.deallocate(sc);
  }
  ctx::stack_context Allocate() {
    if (free_.empty()) return alloc_.allocate();
    ctx::stack_context sc = free_.back();
    free_.pop_back();
    return sc;
  }
  void Release(ctx::stack_context& sc) {
    if (!kTsanFibers && free_.size() < 256) {
      free_.push_back(sc);
    } else {
      alloc_.deallocate(sc);
    }
  }

 private:
  ctx::protected_fixedsize_stack alloc_{kStackSize};
  std::vector<ctx::stack_context> free_;
};

// The stack allocator handed to each fiber; forwards to the pool, and
// notes the stack's bounds for ASan.
struct PooledStack {
  StackPool* pool;
  AsanStack* bounds;
  ctx::stack_context allocate() {
    ctx::stack_context sc = pool->Allocate();
    bounds->bottom = static_cast<char*>(sc.sp) - sc.size;
    bounds->size = sc.size;
    return sc;
  }
  void deallocate(ctx::stack_context& sc) { pool->Release(sc); }
};

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

// ---------------------------------------------------------------- SimMutex

SimMutex::SimMutex(SimBackend* b, std::string name)
    : b_(b), name_(std::move(name)) {
  b_->RegisterMutex(this);
}

SimMutex::~SimMutex() {
  TsanIgnoreScope ignore;
  b_->UnregisterMutex(this);
}

// TSan: an Unlock happens before the Lock that next takes the mutex.
void SimMutex::Lock() {
  TsanIgnoreScope ignore;
  SimTask* me = b_->Enter();
  if (owner_ == me) {
    throw MisuseError("Mutex '" + name_ + "' locked twice by " +
                      b_->TaskLabel(me) + " (it is not recursive)");
  }
  if (owner_ == nullptr) {
    owner_ = me;
    me->mutexes_held++;
    acquired_at_ = b_->now();
    TsanAcquire(this);
    return;
  }
  // Unlock hands the mutex straight to the first live waiter. Lock is not a
  // cancellation point: owners release their mutexes as they unwind.
  waiters_.emplace_back(me->id, me->token + 1);
  b_->Block("Mutex '" + name_ + "' held by " + b_->TaskLabel(owner_), false);
  TsanAcquire(this);  // the only wake-up is the hand-off
}

bool SimMutex::TryLock() {
  TsanIgnoreScope ignore;
  SimTask* me = b_->Enter();
  if (owner_ != nullptr) return false;
  owner_ = me;
  me->mutexes_held++;
  acquired_at_ = b_->now();
  TsanAcquire(this);
  return true;
}

void SimMutex::Unlock() {
  TsanIgnoreScope ignore;
  SimTask* me = b_->Enter();
  if (owner_ != me) {
    throw MisuseError("Mutex '" + name_ + "' unlocked by " + b_->TaskLabel(me) +
                      " but held by " + b_->TaskLabel(owner_));
  }
  TsanRelease(this);
  ForceRelease();
}

void SimMutex::ForceRelease() {
  owner_->mutexes_held--;
  owner_ = nullptr;
  while (!waiters_.empty()) {
    auto [id, token] = waiters_.front();
    waiters_.pop_front();
    if (SimTask* t = b_->Find(id); t != nullptr && b_->Wake(id, token)) {
      owner_ = t;
      t->mutexes_held++;
      acquired_at_ = b_->now();
      break;
    }
  }
}

bool SimMutex::HeldByMe() const {
  TsanIgnoreScope ignore;
  return owner_ != nullptr && owner_ == b_->current();
}

// -------------------------------------------------------------- SimCondVar

// TSan: a Notify happens before the return of the waits it wakes.
bool SimCondVar::WaitImpl(MutexImpl& mu_impl, const Duration* timeout) {
  TsanIgnoreScope ignore;
  SimTask* me = b_->Enter();
  auto& mu = static_cast<SimMutex&>(mu_impl);
  if (mu.owner() != me) {
    throw MisuseError("CondVar '" + name_ + "' waited on by " +
                      b_->TaskLabel(me) + " without holding Mutex '" +
                      mu.name() + "'");
  }
  if (b_->Stopping()) throw Cancelled{};
  uint64_t token = me->token + 1;
  waiters_.emplace_back(me->id, token);
  if (timeout != nullptr) {
    if (std::optional<Duration> when = Deadline(b_->now(), *timeout)) {
      b_->AddWakeTimer(*when, me, token);
    }
  }
  mu.Unlock();
  b_->Block("CondVar '" + name_ + "'", true);
  bool timed_out = me->timed_out;
  bool cancelled = me->cancelled;
  if (!timed_out && !cancelled) TsanAcquire(this);
  mu.Lock();
  if (cancelled) throw Cancelled{};
  return !timed_out;
}

void SimCondVar::NotifyOne() {
  TsanIgnoreScope ignore;
  b_->Enter();
  TsanRelease(this);
  while (!waiters_.empty()) {
    auto [id, token] = waiters_.front();
    waiters_.pop_front();
    if (b_->Wake(id, token)) return;
  }
}

void SimCondVar::NotifyAll() {
  TsanIgnoreScope ignore;
  b_->Enter();
  TsanRelease(this);
  while (!waiters_.empty()) {
    auto [id, token] = waiters_.front();
    waiters_.pop_front();
    b_->Wake(id, token);
  }
}

// -------------------------------------------------------------- SimBackend

SimBackend::~SimBackend() { StopWallWatchdog(); }

SimTask* SimBackend::Enter() {
  if (std::this_thread::get_id() != thread_ ||
      World::CurrentOrNull() != world_) {
    CheckCaller(world_);  // names the misuse
    throw MisuseError("sim runtime called from a foreign OS thread");
  }
  if (current_ == nullptr) {
    throw MisuseError("sim runtime called outside any task");
  }
  calls_.store(calls_.load(std::memory_order_relaxed) + 1,
               std::memory_order_relaxed);
  if (blocked_outside_ns_.load(std::memory_order_relaxed) != 0) {
    ReportBlockedOutside();
  }
  if (++current_->calls_since_block > options_.spin_call_limit) {
    current_->calls_since_block = 0;
    throw WatchdogError(
        TaskLabel(current_) + " made " +
        std::to_string(options_.spin_call_limit) +
        " runtime calls without ever blocking: it is spinning. Under sim, "
        "time advances only when every task blocks; wait on a CondVar or "
        "Channel, or Sleep, instead of polling.");
  }
  return current_;
}

void SimBackend::Run(std::function<void()> root) {
  {
    TsanIgnoreScope ignore;  // the scheduler's work is the runtime's own
    Schedule(std::move(root));
  }
  // What every task did happens before Run returns to its caller.
  TsanAcquire(&tsan_tasks_ended_);
  if (first_error_) std::rethrow_exception(first_error_);
}

void SimBackend::Schedule(std::function<void()> root) {
  thread_ = std::this_thread::get_id();
  tsan_sched_ = TsanCurrentFiber();
  auto root_task = std::make_unique<SimTask>();
  root_task->id = next_task_id_++;
  root_task->name = "root";
  root_task->fn = std::move(root);
  root_task->tsan_fiber = TsanCreateFiber(root_task->name, root_task->id);
  TsanRelease(root_task.get());  // Run's caller happens before the root
  root_ = root_task.get();
  ready_.push_back(root_);
  tasks_.emplace(root_->id, std::move(root_task));
  StartWallWatchdog();
  {
    // TSan: the scheduler must pass nothing on from one task to another.
    // It makes tasks (a new fiber inherits its maker's clock) and copies
    // their functions, whose captures' reference counts are atomics that
    // would count as synchronisation. (The watchdog thread starts and stops
    // outside: its start and join must order it.)
    TsanIgnoreSyncScope ignore_sync;
    RunTasks();
  }
  StopWallWatchdog();
}

void SimBackend::RunTasks() {
  while (!tasks_.empty()) {
    if (!ready_.empty()) {
      SimTask* t;
      if (options_.fuzz_schedule && ready_.size() > 1) {
        size_t i = rng_.Next() % ready_.size();
        t = ready_[i];
        ready_.erase(ready_.begin() + static_cast<long>(i));
      } else {
        t = ready_.front();
        ready_.pop_front();
      }
      ResumeTask(t);
      continue;
    }
    if (FireNextTimer()) continue;
    // Nothing can run and nothing will ever wake a task: a deadlock. Fail
    // the run and cancel every task.
    std::string report = DeadlockReport();
    if (!stopping_) {
      try {
        throw DeadlockError(report);
      } catch (...) {
        RecordError(std::current_exception());  // begins the stop
      }
      continue;
    }
    // Stopping, yet tasks stay blocked on mutexes nobody will release:
    // report them and abandon their fibers (their stacks leak).
    std::fprintf(stderr, "labrpc sim: %zu task(s) never finished:\n%s",
                 tasks_.size(), report.c_str());
    if (!first_error_) {
      try {
        throw DeadlockError("tasks never finished after the world stopped:\n" +
                            report);
      } catch (...) {
        first_error_ = std::current_exception();
      }
    }
    for (auto& [id, t] : tasks_) {
      // Leak the suspended fiber deliberately: destroying it would unwind a
      // stack whose objects may reference freed state.
      auto* leaked = new ctx::fiber(std::move(t->fiber));
      SimTask* task = t.release();
      // It will never run again: for TSan, what it did happens before Run
      // returns, as if it had ended.
      TsanReleaseFor(task->tsan_fiber, &tsan_tasks_ended_, tsan_sched_);
      AsanAbandon(leaked, task, task->asan);
    }
    tasks_.clear();
  }
}

void SimBackend::ResumeTask(SimTask* t) {
  current_ = t;
  t->state = TaskState::kRunning;
  trace_hash_ = (trace_hash_ ^ (t->id * 0x100000001b3ULL ^
                                static_cast<uint64_t>(now_.count()))) *
                0x100000001b3ULL;
  running_name_.store(&t->name, std::memory_order_relaxed);
  running_cpu_bound_.store(t->cpu_bound > 0, std::memory_order_relaxed);
  switches_.fetch_add(1, std::memory_order_relaxed);
  if (!t->fiber) {
    t->fiber = ctx::fiber(std::allocator_arg, PooledStack{&stacks_, &t->asan},
                          [this, t](ctx::fiber&& sink) {
                            AsanFinishSwitch(&t->asan, &sched_asan_);
                            t->sink = std::move(sink);
                            RunTask(t);
                            t->state = TaskState::kDone;
                            TsanRelease(&tsan_tasks_ended_);
                            ctx::fiber back = std::move(t->sink);
                            void* sched = tsan_sched_;
                            // TSan: a fiber must end outside any ignore
                            // region; past the switch, what runs here is
                            // the scheduler's.
                            TsanIgnoreEnd();
                            TsanSwitchTo(sched);
                            AsanStartSwitch(&t->asan, sched_asan_,
                                            /*from_ends=*/true);
                            return back;
                          });
  }
  AsanSetRunningTask(&t->name, t->id);
  AsanStartSwitch(&sched_asan_, t->asan, /*from_ends=*/false);
  TsanSwitchTo(t->tsan_fiber);
  t->fiber = std::move(t->fiber).resume();
  AsanFinishSwitch(&sched_asan_, nullptr);
  AsanSetRunningTask(nullptr, 0);
  running_name_.store(nullptr, std::memory_order_relaxed);
  switches_.fetch_add(1, std::memory_order_relaxed);
  current_ = nullptr;
  if (t->state == TaskState::kDone) FinishTask(t);
}

void SimBackend::RunTask(SimTask* t) {
  TsanAcquire(t);  // what its creator did before Go
  std::function<void()> fn = std::move(t->fn);
  TsanIgnoreEnd();  // the task's own code: see TsanCreateFiber
  try {
    fn();
  } catch (const Cancelled&) {
  } catch (const ctx::detail::forced_unwind&) {
    TsanIgnoreBegin();  // unwinding back into the runtime
    throw;
  } catch (...) {
    TsanIgnoreScope ignore;
    RecordError(std::current_exception());
  }
  fn = nullptr;  // the destructors of its captures are the task's code too
  TsanIgnoreBegin();
}

void SimBackend::FinishTask(SimTask* t) {
  if (t->mutexes_held > 0) {
    for (SimMutex* m : std::vector<SimMutex*>(mutexes_)) {
      if (m->owner() == t) ReportHeldAtExit(m, t);
    }
  }
  bool was_root = t == root_;
  if (was_root) root_ = nullptr;
  TsanDestroyFiber(t->tsan_fiber);
  tasks_.erase(t->id);  // frees the finished fiber and its stack
  if (was_root && !stopping_) BeginStop();
}

void SimBackend::ReportHeldAtExit(SimMutex* m, SimTask* t) {
  try {
    throw MisuseError(TaskLabel(t) + " finished while holding Mutex '" +
                      m->name() + "'");
  } catch (...) {
    RecordError(std::current_exception());
  }
  TsanReleaseFor(t->tsan_fiber, m, tsan_sched_);  // as its Unlock would
  m->ForceRelease();
}

void SimBackend::SwitchToScheduler() {
  SimTask* t = current_;
  AsanStartSwitch(&t->asan, sched_asan_, /*from_ends=*/false);
  TsanSwitchTo(tsan_sched_);
  t->sink = std::move(t->sink).resume();
  AsanFinishSwitch(&t->asan, &sched_asan_);
}

void SimBackend::Block(std::string waiting_on, bool cancellable) {
  SimTask* t = current_;
  t->token++;
  t->state = TaskState::kBlocked;
  t->cancellable = cancellable;
  t->cancelled = false;
  t->timed_out = false;
  t->waiting_on = std::move(waiting_on);
  t->blocked_since = now_;
  t->calls_since_block = 0;
  if (cancellable && stopping_) {
    t->cancelled = true;
    t->state = TaskState::kRunning;
    t->token++;
    return;
  }
  SwitchToScheduler();
}

SimTask* SimBackend::Find(uint64_t id) {
  auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : it->second.get();
}

bool SimBackend::Wake(uint64_t id, uint64_t token) {
  SimTask* task = Find(id);
  if (task == nullptr) return false;
  if (task->state != TaskState::kBlocked || task->token != token) return false;
  task->token++;  // later wake-ups for this episode are stale
  task->state = TaskState::kReady;
  ready_.push_back(task);
  return true;
}

void SimBackend::AddWakeTimer(Duration when, SimTask* task, uint64_t token) {
  timers_.push(Timer{when, next_timer_seq_++, task->id, token, nullptr});
}

bool SimBackend::FireNextTimer() {
  while (!timers_.empty()) {
    Timer timer = timers_.top();
    timers_.pop();
    if (timer.spawn) {
      if (stopping_) continue;  // a stopping world starts nothing new
      now_ = std::max(now_, timer.when);
      CheckMutexHolds();
      Go("afterfunc", std::move(timer.spawn));
      return true;
    }
    SimTask* task = Find(timer.task_id);
    if (task == nullptr || task->state != TaskState::kBlocked ||
        task->token != timer.token) {
      continue;  // stale: that wait ended another way
    }
    now_ = std::max(now_, timer.when);
    CheckMutexHolds();
    task->timed_out = true;
    Wake(task->id, timer.token);
    return true;
  }
  return false;
}

void SimBackend::Go(std::string name, std::function<void()> fn) {
  TsanIgnoreScope ignore;
  if (std::this_thread::get_id() != thread_) CheckCaller(world_);
  if (current_ != nullptr) Enter();
  auto t = std::make_unique<SimTask>();
  t->id = next_task_id_++;
  t->name = std::move(name);
  t->fn = std::move(fn);
  t->tsan_fiber = TsanCreateFiber(t->name, t->id);
  TsanRelease(t.get());  // the caller happens before the task's start
  ready_.push_back(t.get());
  tasks_.emplace(t->id, std::move(t));
}

void SimBackend::AfterFunc(Duration delay, std::function<void()> fn) {
  TsanIgnoreScope ignore;
  Enter();
  std::optional<Duration> when = Deadline(now_, delay);
  if (!when) return;  // never
  if constexpr (kTsanFibers) {
    // The caller happens before fn starts. The timer fires in the
    // scheduler, which must not pass that on to the tasks it runs, so fn
    // acquires it itself.
    auto sync = std::make_shared<char>(0);
    TsanRelease(sync.get());
    fn = [sync, fn = std::move(fn)] {
      TsanAcquire(sync.get());
      fn();
    };
  }
  timers_.push(Timer{*when, next_timer_seq_++, 0, 0, std::move(fn)});
}

void SimBackend::Sleep(Duration d) {
  TsanIgnoreScope ignore;
  SimTask* me = Enter();
  if (stopping_) throw Cancelled{};
  if (d <= Duration::zero()) return;
  std::optional<Duration> until = Deadline(now_, d);
  if (until) AddWakeTimer(*until, me, me->token + 1);
  Block(until ? "Sleep until " + FormatDuration(*until)
              : std::string("Sleep forever"),
        true);
  if (me->cancelled) throw Cancelled{};
}

void SimBackend::Yield() {
  TsanIgnoreScope ignore;
  SimTask* me = Enter();
  if (stopping_) throw Cancelled{};
  uint64_t calls = me->calls_since_block;
  me->state = TaskState::kReady;
  ready_.push_back(me);
  SwitchToScheduler();
  me->calls_since_block = calls;  // yielding is not blocking: still counts
}

void SimBackend::RecordError(std::exception_ptr e) {
  if (!first_error_) first_error_ = e;
  if (!stopping_) BeginStop();
}

void SimBackend::BeginStop() {
  stopping_ = true;
  // Wake every task parked at a cancellation point; its runtime call throws
  // Cancelled and the task unwinds. Tasks waiting for a Mutex stay parked
  // until the owner, unwinding too, releases it.
  for (auto& [id, t] : tasks_) {
    if (t->state == TaskState::kBlocked && t->cancellable) {
      t->cancelled = true;
      Wake(id, t->token);
    }
  }
}

void SimBackend::CheckMutexHolds() {
  if (now_ < next_mutex_check_ || first_error_) return;
  next_mutex_check_ = now_ + std::chrono::milliseconds(100);
  for (SimMutex* m : mutexes_) {
    if (m->owner() != nullptr &&
        now_ - m->acquired_at() > options_.mutex_hold_limit) {
      std::string what =
          "Mutex '" + m->name() + "' held by " + TaskLabel(m->owner()) +
          " for " + FormatDuration(now_ - m->acquired_at()) + " (limit " +
          FormatDuration(options_.mutex_hold_limit) + "); the holder is " +
          (m->owner()->state == TaskState::kBlocked
               ? "blocked on " + m->owner()->waiting_on
               : std::string("ready")) +
          ". Do not hold a lock across a Sleep, an RPC or a channel send.";
      try {
        throw WatchdogError(what);
      } catch (...) {
        RecordError(std::current_exception());
      }
      return;
    }
  }
}

std::string SimBackend::DeadlockReport() {
  std::ostringstream out;
  out << "deadlock at virtual time " << FormatDuration(now_)
      << ": every task is blocked and no timer is pending (" << tasks_.size()
      << " task(s))\n";
  for (auto& [id, t] : tasks_) {
    out << "  " << TaskLabel(t.get()) << ": ";
    if (t->state == TaskState::kBlocked) {
      out << "blocked on " << t->waiting_on << " since "
          << FormatDuration(t->blocked_since);
    } else {
      out << "not blocked";
    }
    out << "\n";
  }
  return out.str();
}

void SimBackend::ReportBlockedOutside() {
  const int64_t ns = blocked_outside_ns_.exchange(0);
  if (ns == 0 || first_error_) return;
  try {
    throw WatchdogError(
        TaskLabel(current_) + " did not call the runtime for " +
        FormatDuration(Duration(ns)) +
        " of wall time: it blocked outside the runtime or computed without "
        "pause, and under sim every other task and virtual time wait for "
        "it. Likely causes: std::this_thread::sleep_for (use labrpc::Sleep), "
        "a std::mutex or std::condition_variable (use labrpc::Mutex and "
        "labrpc::CondVar), blocking I/O, or a long CPU loop (mark a "
        "legitimate one with labrpc::CpuBoundSection).");
  } catch (...) {
    RecordError(std::current_exception());
  }
}

void SimBackend::StartWallWatchdog() {
  if (options_.spin_wall_limit <= Duration::zero() &&
      options_.block_wall_limit <= Duration::zero()) {
    return;
  }
  watchdog_ = std::thread([this] {
    std::unique_lock<std::mutex> lk(watchdog_mu_);
    uint64_t last = switches_.load() + calls_.load();
    auto last_change = std::chrono::steady_clock::now();
    bool flagged = false;
    while (!watchdog_stop_) {
      watchdog_cv_.wait_for(lk, std::chrono::milliseconds(250));
      const uint64_t progress = switches_.load() + calls_.load();
      auto wall = std::chrono::steady_clock::now();
      if (progress != last) {
        last = progress;
        last_change = wall;
        flagged = false;
        continue;
      }
      const std::string* name = running_name_.load();
      if (name == nullptr) continue;
      const Duration stalled = wall - last_change;
      if (!flagged && options_.block_wall_limit > Duration::zero() &&
          stalled > options_.block_wall_limit && !running_cpu_bound_.load()) {
        flagged = true;
        blocked_outside_ns_.store(std::max<int64_t>(1, stalled.count()));
        std::fprintf(stderr,
                     "labrpc sim watchdog: task '%s' has not called the "
                     "runtime for %s of wall time: it is blocked outside the "
                     "runtime (sleep_for, a std::mutex, blocking I/O?) or in "
                     "a long CPU loop. The test fails when it calls the "
                     "runtime again.\n",
                     name->c_str(), FormatDuration(stalled).c_str());
      }
      if (options_.spin_wall_limit > Duration::zero() &&
          stalled > options_.spin_wall_limit) {
        ReportStuck(options_,
                    "labrpc sim watchdog: task '" + *name + "' has run for " +
                        FormatDuration(stalled) +
                        " of wall time without yielding to the runtime: it "
                        "is stuck outside the runtime (a std::mutex "
                        "deadlock, blocking I/O, an endless loop). The "
                        "world cannot end.");
      }
    }
  });
}

void SimBackend::StopWallWatchdog() {
  if (!watchdog_.joinable()) return;
  {
    std::lock_guard<std::mutex> lk(watchdog_mu_);
    watchdog_stop_ = true;
  }
  watchdog_cv_.notify_all();
  watchdog_.join();
}

}  // namespace

std::unique_ptr<Backend> NewSimBackend(World* world,
                                       const WorldOptions& options) {
  return std::make_unique<SimBackend>(world, options);
}

}  // namespace internal
}  // namespace labrpc
