// The real backend: one OS thread per running task (threads are pooled), the
// steady clock, and a Boost.Asio io_context whose timers run AfterFunc.
// Mutexes are std::mutex; condition variables, sleeps and the pool's
// hand-offs are Linux futexes. Stopping the world is a std::stop_source:
// every cancellable wait registers a callback with its token, so a stop
// request wakes them all and they throw Cancelled.
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "labrpc/runtime.h"
#include "labrpc/runtime_backend.h"

namespace labrpc {
namespace internal {
namespace {

using Clock = std::chrono::steady_clock;

class RealMutex;

// What a blocked task waits on, kept as pointers and a number so that
// blocking allocates nothing; the watchdog formats it only for a report.
enum class WaitKind { kNone, kMutex, kCondVar, kSleep };

struct RealTask {
  uint64_t id = 0;
  std::string name;
  // What the task is blocked on, for the watchdog's reports (guarded by
  // info_mu; kNone while it runs). `waiting_name` is the name of the Mutex
  // or CondVar, which lives at least as long as the wait.
  std::mutex info_mu;
  WaitKind waiting_kind = WaitKind::kNone;
  const std::string* waiting_name = nullptr;
  Duration sleep_for{};
  Clock::time_point since;
  // The Mutex it waits for, if any: its holder is looked up when a report
  // is made, since the holder seen at the start of the wait may be gone.
  const RealMutex* waiting_for = nullptr;
};

thread_local RealTask* current_task = nullptr;

// Records what the current task blocks on for as long as it lives.
class BlockedOn {
 public:
  BlockedOn(WaitKind kind, const std::string* name,
            const RealMutex* mutex = nullptr, Duration sleep_for = {})
      : task_(current_task) {
    if (task_ == nullptr) return;
    std::lock_guard<std::mutex> l(task_->info_mu);
    task_->waiting_kind = kind;
    task_->waiting_name = name;
    task_->waiting_for = mutex;
    task_->sleep_for = sleep_for;
    task_->since = Clock::now();
  }
  ~BlockedOn() {
    if (task_ == nullptr) return;
    std::lock_guard<std::mutex> l(task_->info_mu);
    task_->waiting_kind = WaitKind::kNone;
    task_->waiting_name = nullptr;
    task_->waiting_for = nullptr;
  }
  BlockedOn(const BlockedOn&) = delete;
  BlockedOn& operator=(const BlockedOn&) = delete;

 private:
  RealTask* task_;
};

// Linux futexes on a 32-bit atomic word: the real backend's own blocking
// primitive. A wait-and-notify through them costs one system call on each
// side, where std::condition_variable_any costs two locks of its inner
// mutex, a pthread condition variable and, when the waker still holds that
// mutex, a second sleep of the woken thread.
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
              std::atomic<uint32_t>::is_always_lock_free);

// Sleeps while *word == expected, until woken or until `deadline` (steady
// clock, which is CLOCK_MONOTONIC, the bitset wait's clock) passes. Returns
// false once the deadline has passed; may return true spuriously.
bool FutexWait(std::atomic<uint32_t>* word, uint32_t expected,
               const Clock::time_point* deadline) {
  timespec ts{};
  if (deadline != nullptr) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        deadline->time_since_epoch())
                        .count();
    ts.tv_sec = ns / 1'000'000'000;
    ts.tv_nsec = ns % 1'000'000'000;
  }
  const long r = syscall(SYS_futex, reinterpret_cast<uint32_t*>(word),
                         FUTEX_WAIT_BITSET_PRIVATE, expected,
                         deadline != nullptr ? &ts : nullptr, nullptr,
                         FUTEX_BITSET_MATCH_ANY);
  return !(r != 0 && errno == ETIMEDOUT);
}

void FutexWake(std::atomic<uint32_t>* word, int n) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, n,
          nullptr, nullptr, 0);
}

// Before a task sleeps on a futex it yields its CPU for a moment, checking
// between yields whether its wait is over. An RPC's handler task and its
// caller hand the CPU to each other: the scheduler runs them on one CPU,
// where a yield passes straight to the other thread, while a futex sleep
// costs a wake-up of a sleeping thread, often through an idle CPU. That
// halves a round trip (bench/labrpc_bench's csw and cpu_us), and more on a
// loaded machine. Bounded by count and by time: when nothing else is
// runnable a yield returns at once, so a wait that does not end soon burns
// a few microseconds; when other threads are runnable, one yield may run
// them for a whole time slice, and the window is over, so that a busy
// machine pays at most a switch or two more per wait. Never a pause loop,
// which would keep the other thread of the pair off the CPU.
constexpr int kMaxYields = 10;
constexpr Duration kYieldWindow = std::chrono::microseconds(15);

template <class Done>
bool YieldUntil(Done done) {
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < kMaxYields; i++) {
    if (done()) return true;
    sched_yield();
    if (Clock::now() - start > kYieldWindow) break;
  }
  return done();
}

// Names the OS thread after its task (Linux keeps 15 characters), so that
// sanitizer reports and debuggers name the task. Pooled threads mostly run
// tasks of one name ("labrpc handler ..."), so an unchanged name skips the
// system call.
void NameThread(const std::string& name) {
  thread_local char current[16] = "";
  char want[16];
  const size_t n = std::min<size_t>(name.size(), 15);
  std::memcpy(want, name.data(), n);
  want[n] = '\0';
  if (std::strcmp(want, current) == 0) return;
  std::memcpy(current, want, sizeof want);
  pthread_setname_np(pthread_self(), want);
}

// The longest wait handed to the standard library: a century is "never" in
// practice, and the library computes now() + timeout, which overflows (and
// then returns at once) for timeouts near Duration::max().
Duration ClampWait(Duration d) {
  constexpr Duration kForever = std::chrono::hours(24 * 365 * 100);
  return std::min(d, kForever);
}

std::string TaskLabel(const RealTask* t) {
  return t == nullptr ? std::string("nobody")
                      : "task " + std::to_string(t->id) + " '" + t->name + "'";
}

class RealBackend;

class RealMutex : public MutexImpl {
 public:
  RealMutex(RealBackend* b, std::string name);
  ~RealMutex() override;
  void Lock() override;
  void Unlock() override;
  bool TryLock() override;
  bool HeldByMe() const override {
    return owner_.load(std::memory_order_relaxed) == current_task &&
           current_task != nullptr;
  }
  const std::string& name() const override { return name_; }
  RealTask* owner() const { return owner_.load(std::memory_order_relaxed); }
  // When the current owner took it, and which acquisition that was (so the
  // watchdog reports one long hold once).
  Clock::time_point acquired_at() const {
    return Clock::time_point(Clock::duration(acquired_at_.load()));
  }
  uint64_t acquisitions() const { return acquisitions_.load(); }

 private:
  void Acquired();
  RealBackend* b_;
  std::string name_;
  std::mutex m_;
  std::atomic<RealTask*> owner_{nullptr};
  // Read by the watchdog thread, hence atomic.
  std::atomic<Clock::rep> acquired_at_{0};
  std::atomic<uint64_t> acquisitions_{0};
};

// A condition variable as a futex word that every notification bumps. A
// waiter reads the word while it still holds the caller's mutex and sleeps
// only while the word is unchanged, so a notification made after that (even
// before the sleep begins) is never lost, and one made before it is not
// remembered.
class RealCondVar : public CondVarImpl {
 public:
  RealCondVar(RealBackend* b, std::string name)
      : b_(b), name_(std::move(name)) {}
  void Wait(MutexImpl& mu) override { WaitImpl(mu, nullptr); }
  bool WaitFor(MutexImpl& mu, Duration timeout) override {
    return WaitImpl(mu, &timeout);
  }
  void NotifyOne() override { Notify(1); }
  void NotifyAll() override { Notify(INT_MAX); }

 private:
  bool WaitImpl(MutexImpl& mu, const Duration* timeout);
  void Notify(int n) {
    // Both seq_cst: either this sees the waiter counted in sleepers_, or the
    // waiter's read of seq_ after counting itself sees this bump and does
    // not sleep. A waiter still yielding is not counted: it needs no wake.
    seq_.fetch_add(1);
    if (sleepers_.load() > 0) FutexWake(&seq_, n);
  }
  RealBackend* b_;
  std::string name_;
  std::atomic<uint32_t> seq_{0};
  std::atomic<uint32_t> sleepers_{0};  // waiters past their yields
};

// One pooled OS thread's mailbox. Go fills task and fn under the backend's
// mu_ while the worker is parked, then releases it with state = kRun, and
// wakes it only if it got as far as kSleeping.
struct WorkerSlot {
  static constexpr uint32_t kParked = 0, kSleeping = 1, kRun = 2, kExit = 3;
  std::atomic<uint32_t> state{kRun};
  std::unique_ptr<RealTask> task;
  std::function<void()> fn;
};

class RealBackend : public Backend {
 public:
  RealBackend(World* world, const WorldOptions& options)
      : world_(world),
        options_(options),
        rng_(options.seed),
        start_(Clock::now()) {}
  ~RealBackend() override {
    StopTimers();
    JoinWorkers();
  }

  void Run(std::function<void()> root) override;
  void Go(std::string name, std::function<void()> fn) override;
  void AfterFunc(Duration delay, std::function<void()> fn) override;
  void Sleep(Duration d) override;
  void Yield() override {
    Check();
    // A cancellation point, as under sim.
    if (stop_requested()) throw Cancelled{};
    std::this_thread::yield();
  }
  Duration Now() override {
    Check();
    return Clock::now() - start_;
  }
  uint64_t RandUint64() override {
    Check();
    std::lock_guard<std::mutex> l(rng_mu_);
    return rng_.Next();
  }
  std::string CurrentTaskName() override {
    Check();
    return current_task ? current_task->name : std::string("?");
  }
  bool Stopping() override {
    Check();
    return stop_.stop_requested();
  }
  uint64_t TraceHash() const override { return 0; }
  std::unique_ptr<MutexImpl> NewMutex(std::string name) override {
    Check();
    return std::make_unique<RealMutex>(this, std::move(name));
  }
  std::unique_ptr<CondVarImpl> NewCondVar(std::string name) override {
    Check();
    return std::make_unique<RealCondVar>(this, std::move(name));
  }

  void Check() const { CheckCaller(world_); }
  const std::stop_token& stop_token() const { return stop_token_; }
  bool stop_requested() const { return stop_.stop_requested(); }
  const WorldOptions& options() const { return options_; }
  void RegisterMutex(RealMutex* m) {
    std::lock_guard<std::mutex> l(mutexes_mu_);
    mutexes_.push_back(m);
  }
  void UnregisterMutex(RealMutex* m) {
    std::lock_guard<std::mutex> l(mutexes_mu_);
    mutexes_.erase(std::find(mutexes_.begin(), mutexes_.end(), m));
    reported_.erase(m);
  }

 private:
  void Worker(WorkerSlot* slot);
  void JoinWorkers();
  void RunTaskBody(RealTask* task, std::function<void()>& fn);
  void RecordError(std::exception_ptr e);
  void BeginStop();
  void StopTimers();
  // The watchdog thread: reports Mutexes held too long while they are still
  // held, and ends a world stuck past real_wall_limit (on_stuck).
  void StartWatchdog();
  void StopWatchdog();
  void WatchMutexes();
  // "task N 'name': blocked on X for 1.234s" (or "running"). mu_ held, so
  // that `t` cannot finish meanwhile.
  std::string DescribeLocked(RealTask* t);
  // Whether `t` is a task of this world that has not finished. mu_ held.
  bool AliveLocked(const RealTask* t) const;
  // Every task and what it waits on, and every Mutex held.
  std::string StuckReport();

  World* world_;
  WorldOptions options_;
  std::mutex mu_;      // guards live_, first_error_, next_id_, root_
  std::mutex rng_mu_;  // guards rng_
  std::condition_variable all_done_;
  Rng rng_;
  Clock::time_point start_;
  std::stop_source stop_;
  // One token for the world's waits: copying one per wait would touch the
  // shared stop state's reference count from every thread.
  const std::stop_token stop_token_ = stop_.get_token();
  uint64_t next_id_ = 0;
  RealTask* root_ = nullptr;            // guarded by mu_, while Run runs
  std::map<uint64_t, RealTask*> live_;  // live non-root tasks, by id
  // The worker pool. A worker that has finished its task parks on its own
  // futex word in idle_ (most recent last); Go hands a task to the last
  // one, so a start wakes exactly one thread, and the one whose cache is
  // warmest. Lock order: mu_, then workers_mu_.
  std::vector<WorkerSlot*> idle_;  // guarded by mu_
  bool workers_exit_ = false;      // guarded by mu_
  std::mutex workers_mu_;          // guards workers_
  std::vector<std::pair<std::thread, std::unique_ptr<WorkerSlot>>> workers_;
  std::exception_ptr first_error_;

  // AfterFunc's timers run on one io_context thread, started on first use.
  std::mutex timer_mu_;
  std::optional<boost::asio::io_context> io_;
  std::optional<
      boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      work_;
  std::thread io_thread_;

  // Every live Mutex of the world, for the watchdog. Lock order: mu_, then
  // mutexes_mu_, then a task's info_mu.
  std::mutex mutexes_mu_;
  std::vector<RealMutex*> mutexes_;
  std::map<RealMutex*, uint64_t> reported_;  // the acquisition reported

  std::mutex watchdog_mu_;
  std::condition_variable watchdog_cv_;
  bool watchdog_stop_ = false;
  std::thread watchdog_;
};

// --------------------------------------------------------------- RealMutex

RealMutex::RealMutex(RealBackend* b, std::string name)
    : b_(b), name_(std::move(name)) {
  b_->RegisterMutex(this);
}

RealMutex::~RealMutex() { b_->UnregisterMutex(this); }

void RealMutex::Lock() {
  b_->Check();
  if (current_task != nullptr &&
      owner_.load(std::memory_order_relaxed) == current_task) {
    throw MisuseError("Mutex '" + name_ + "' locked twice by " +
                      TaskLabel(current_task) + " (it is not recursive)");
  }
  if (!m_.try_lock()) {
    BlockedOn b(WaitKind::kMutex, &name_, this);
    m_.lock();
  }
  Acquired();
}

bool RealMutex::TryLock() {
  b_->Check();
  // try_lock by the owning thread is undefined for std::mutex.
  if (current_task != nullptr &&
      owner_.load(std::memory_order_relaxed) == current_task) {
    return false;
  }
  if (!m_.try_lock()) return false;
  Acquired();
  return true;
}

void RealMutex::Acquired() {
  acquired_at_.store(Clock::now().time_since_epoch().count());
  acquisitions_.fetch_add(1);
  owner_.store(current_task, std::memory_order_relaxed);
}

void RealMutex::Unlock() {
  b_->Check();
  RealTask* owner = owner_.load(std::memory_order_relaxed);
  if (owner != current_task) {
    throw MisuseError("Mutex '" + name_ + "' unlocked by " +
                      TaskLabel(current_task) + " but held by " +
                      TaskLabel(owner));
  }
  auto held = Clock::now() - acquired_at();
  if (held > b_->options().mutex_hold_limit) {
    // Under real, a long hold is reported, not fatal: the machine may just
    // be slow (sanitizers, load).
    std::fprintf(
        stderr, "labrpc real watchdog: Mutex '%s' was held by %s for %s\n",
        name_.c_str(), TaskLabel(owner).c_str(), FormatDuration(held).c_str());
  }
  owner_.store(nullptr, std::memory_order_relaxed);
  m_.unlock();
}

// ------------------------------------------------------------- RealCondVar

bool RealCondVar::WaitImpl(MutexImpl& mu_impl, const Duration* timeout) {
  b_->Check();
  auto& mu = static_cast<RealMutex&>(mu_impl);
  if (!mu.HeldByMe()) {
    throw MisuseError("CondVar '" + name_ + "' waited on by " +
                      TaskLabel(current_task) + " without holding Mutex '" +
                      mu.name() + "'");
  }
  if (b_->stop_requested()) throw Cancelled{};
  Clock::time_point deadline;
  if (timeout != nullptr) deadline = Clock::now() + ClampWait(*timeout);
  const uint32_t seq = seq_.load();
  mu.Unlock();
  bool woken = true;
  {
    BlockedOn blocked(WaitKind::kCondVar, &name_);
    // A stop request bumps the word too, so the wait below ends at once.
    std::stop_callback on_stop(b_->stop_token(), [this] { Notify(INT_MAX); });
    if (!YieldUntil([&] { return seq_.load() != seq; })) {
      sleepers_.fetch_add(1);
      while (seq_.load() == seq) {
        if (!FutexWait(&seq_, seq, timeout != nullptr ? &deadline : nullptr)) {
          woken = seq_.load() != seq;
          break;
        }
      }
      sleepers_.fetch_sub(1);
    }
  }
  mu.Lock();
  if (b_->stop_requested()) throw Cancelled{};
  return woken;
}

// ------------------------------------------------------------- RealBackend

void RealBackend::Run(std::function<void()> root) {
  RealTask root_task;
  root_task.id = next_id_++;
  root_task.name = "root";
  {
    std::lock_guard<std::mutex> l(mu_);
    root_ = &root_task;
  }
  StartWatchdog();
  RunTaskBody(&root_task, root);
  {
    std::lock_guard<std::mutex> l(mu_);
    root_ = nullptr;
  }
  BeginStop();
  StopTimers();
  // Every task's cancellable waits have been woken; wait for them to unwind.
  std::unique_lock<std::mutex> l(mu_);
  if (!all_done_.wait_for(l, std::chrono::seconds(30),
                          [&] { return live_.empty(); })) {
    std::fprintf(stderr,
                 "labrpc real: %zu task(s) still running 30 s after the "
                 "world stopped (a loop that never calls the runtime cannot "
                 "be cancelled):\n",
                 live_.size());
    for (auto& [id, task] : live_) {
      std::fprintf(stderr, "  %s\n", DescribeLocked(task).c_str());
    }
    std::abort();
  }
  l.unlock();
  StopWatchdog();
  JoinWorkers();
  if (first_error_) std::rethrow_exception(first_error_);
}

void RealBackend::RunTaskBody(RealTask* task, std::function<void()>& fn) {
  SetCurrentWorld(world_);
  current_task = task;
  NameThread(task->name);
  try {
    fn();
  } catch (const Cancelled&) {
  } catch (...) {
    RecordError(std::current_exception());
  }
  // Destroy the captures while still inside the task: their destructors
  // (a Network's, say) may use the runtime. They die before the world may
  // end, too.
  try {
    fn = nullptr;
  } catch (...) {
    RecordError(std::current_exception());
  }
  current_task = nullptr;
  SetCurrentWorld(nullptr);
}

void RealBackend::Go(std::string name, std::function<void()> fn) {
  if (current_task != nullptr) Check();
  auto task = std::make_unique<RealTask>();
  task->name = std::move(name);
  WorkerSlot* slot = nullptr;
  {
    std::lock_guard<std::mutex> l(mu_);
    task->id = next_id_++;
    live_.emplace(task->id, task.get());
    if (!idle_.empty()) {
      slot = idle_.back();
      idle_.pop_back();
      slot->task = std::move(task);
      slot->fn = std::move(fn);
    }
  }
  if (slot != nullptr) {
    if (slot->state.exchange(WorkerSlot::kRun) == WorkerSlot::kSleeping) {
      FutexWake(&slot->state, 1);
    }
    return;
  }
  auto fresh = std::make_unique<WorkerSlot>();
  fresh->task = std::move(task);
  fresh->fn = std::move(fn);
  WorkerSlot* raw = fresh.get();
  std::lock_guard<std::mutex> l(workers_mu_);
  workers_.emplace_back(std::thread(&RealBackend::Worker, this, raw),
                        std::move(fresh));
}

// A worker thread runs its first task, then further tasks handed to it by
// Go, and exits when the world ends. Reusing threads keeps a task start
// (one per RPC) at one futex wake instead of a thread creation.
void RealBackend::Worker(WorkerSlot* slot) {
  while (true) {
    RunTaskBody(slot->task.get(), slot->fn);
    {
      std::lock_guard<std::mutex> l(mu_);
      live_.erase(slot->task->id);
      if (live_.empty()) all_done_.notify_all();
      slot->task.reset();
      if (workers_exit_) return;
      slot->state.store(WorkerSlot::kParked, std::memory_order_relaxed);
      idle_.push_back(slot);
    }
    // Parked until Go (kRun) or JoinWorkers (kExit) releases it.
    auto released = [slot] {
      return slot->state.load(std::memory_order_acquire) >= WorkerSlot::kRun;
    };
    uint32_t parked = WorkerSlot::kParked;
    if (!YieldUntil(released) &&
        slot->state.compare_exchange_strong(parked, WorkerSlot::kSleeping)) {
      while (!released()) {
        FutexWait(&slot->state, WorkerSlot::kSleeping, nullptr);
      }
    }
    const uint32_t state = slot->state.load(std::memory_order_acquire);
    if (state == WorkerSlot::kExit) return;
  }
}

void RealBackend::JoinWorkers() {
  {
    std::lock_guard<std::mutex> l(mu_);
    workers_exit_ = true;
    for (WorkerSlot* slot : idle_) {
      if (slot->state.exchange(WorkerSlot::kExit) == WorkerSlot::kSleeping) {
        FutexWake(&slot->state, 1);
      }
    }
    idle_.clear();
  }
  std::lock_guard<std::mutex> l(workers_mu_);
  for (auto& [thread, slot] : workers_) thread.join();
  workers_.clear();
}

void RealBackend::AfterFunc(Duration delay, std::function<void()> fn) {
  Check();
  std::lock_guard<std::mutex> l(timer_mu_);
  if (stop_.stop_requested()) return;
  if (!io_) {
    io_.emplace();
    work_.emplace(boost::asio::make_work_guard(*io_));
    io_thread_ = std::thread([this] { io_->run(); });
  }
  auto timer =
      std::make_shared<boost::asio::steady_timer>(*io_, ClampWait(delay));
  // A timer still pending when the world stops is dropped by StopTimers.
  timer->async_wait([this, timer, fn = std::move(fn)](
                        const boost::system::error_code& ec) mutable {
    if (ec || stop_.stop_requested()) return;
    Go("afterfunc", std::move(fn));
  });
}

void RealBackend::Sleep(Duration d) {
  Check();
  if (stop_requested()) throw Cancelled{};
  if (d <= Duration::zero()) return;
  const Clock::time_point deadline = Clock::now() + ClampWait(d);
  BlockedOn blocked(WaitKind::kSleep, nullptr, nullptr, d);
  std::atomic<uint32_t> stopped{0};
  std::stop_callback on_stop(stop_token_, [&stopped] {
    stopped.store(1);
    FutexWake(&stopped, 1);
  });
  while (stopped.load() == 0 && FutexWait(&stopped, 0, &deadline)) {
  }
  if (stop_requested()) throw Cancelled{};
}

void RealBackend::RecordError(std::exception_ptr e) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!first_error_) first_error_ = e;
  }
  BeginStop();
}

void RealBackend::BeginStop() { stop_.request_stop(); }

void RealBackend::StartWatchdog() {
  watchdog_ = std::thread([this] {
    std::unique_lock<std::mutex> lk(watchdog_mu_);
    while (!watchdog_stop_) {
      watchdog_cv_.wait_for(lk, std::chrono::milliseconds(500));
      if (watchdog_stop_) break;
      lk.unlock();
      WatchMutexes();
      const Duration limit = options_.real_wall_limit;
      if (limit > Duration::zero() && Clock::now() - start_ > limit) {
        ReportStuck(options_,
                    "labrpc real watchdog: the world has run for " +
                        FormatDuration(Clock::now() - start_) +
                        " of wall time (limit " + FormatDuration(limit) +
                        ") and is stuck; a task that blocks forever (a lock "
                        "held across a Call whose handler needs it, a "
                        "Receive nobody sends to) cannot be ended. Tasks:\n" +
                        StuckReport());
      }
      lk.lock();
    }
  });
}

void RealBackend::StopWatchdog() {
  {
    std::lock_guard<std::mutex> l(watchdog_mu_);
    watchdog_stop_ = true;
  }
  watchdog_cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
}

void RealBackend::WatchMutexes() {
  std::lock_guard<std::mutex> l(mu_);
  std::lock_guard<std::mutex> lm(mutexes_mu_);
  for (RealMutex* m : mutexes_) {
    RealTask* owner = m->owner();
    if (owner == nullptr) continue;
    const Duration held = Clock::now() - m->acquired_at();
    const uint64_t n = m->acquisitions();
    if (held <= options_.mutex_hold_limit || reported_[m] == n) continue;
    // Only a live task can be described safely; a stale read of a mutex
    // being handed over is skipped until the next round.
    if (!AliveLocked(owner)) continue;
    reported_[m] = n;
    std::fprintf(stderr,
                 "labrpc real watchdog: Mutex '%s' has been held for %s and "
                 "is still held, by %s. Do not hold a lock across a Call, a "
                 "Sleep or a channel send.\n",
                 m->name().c_str(), FormatDuration(held).c_str(),
                 DescribeLocked(owner).c_str());
  }
}

bool RealBackend::AliveLocked(const RealTask* t) const {
  if (t == root_) return t != nullptr;
  return std::any_of(live_.begin(), live_.end(),
                     [t](const auto& kv) { return kv.second == t; });
}

std::string RealBackend::DescribeLocked(RealTask* t) {
  std::lock_guard<std::mutex> l(t->info_mu);
  std::string out = TaskLabel(t);
  switch (t->waiting_kind) {
    case WaitKind::kNone:
      return out + ", running";
    case WaitKind::kMutex:
      out += ", blocked on Mutex '" + *t->waiting_name + "'";
      break;
    case WaitKind::kCondVar:
      out += ", blocked on CondVar '" + *t->waiting_name + "'";
      break;
    case WaitKind::kSleep:
      out += ", blocked on Sleep for " + FormatDuration(t->sleep_for);
      break;
  }
  // While t waits for (or has just taken) it, the Mutex lives; its holder
  // is named only if that task is still alive (mu_ is held).
  if (t->waiting_for != nullptr) {
    RealTask* holder = t->waiting_for->owner();
    if (holder != nullptr && holder != t && AliveLocked(holder)) {
      out += " held by " + TaskLabel(holder);
    }
  }
  return out + " for " + FormatDuration(Clock::now() - t->since);
}

std::string RealBackend::StuckReport() {
  std::string out;
  std::lock_guard<std::mutex> l(mu_);
  if (root_ != nullptr) out += "  " + DescribeLocked(root_) + "\n";
  for (auto& [id, t] : live_) out += "  " + DescribeLocked(t) + "\n";
  std::lock_guard<std::mutex> lm(mutexes_mu_);
  for (RealMutex* m : mutexes_) {
    if (RealTask* owner = m->owner(); owner != nullptr && AliveLocked(owner)) {
      out += "  Mutex '" + m->name() + "' held by " + TaskLabel(owner) +
             " for " + FormatDuration(Clock::now() - m->acquired_at()) + "\n";
    }
  }
  return out;
}

void RealBackend::StopTimers() {
  std::lock_guard<std::mutex> l(timer_mu_);
  if (!io_) return;
  work_.reset();
  io_->stop();
  if (io_thread_.joinable()) io_thread_.join();
  io_.reset();
}

}  // namespace

std::unique_ptr<Backend> NewRealBackend(World* world,
                                        const WorldOptions& options) {
  return std::make_unique<RealBackend>(world, options);
}

}  // namespace internal
}  // namespace labrpc
