// The real backend: one OS thread per running task (threads are pooled), std
// mutexes and condition variables, the steady clock, and a Boost.Asio
// io_context whose timers run AfterFunc. Stopping the world is a
// std::stop_source: every cancellable wait is registered with its token, so a
// stop request wakes them all and they throw Cancelled.
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <map>
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

struct RealTask {
  uint64_t id = 0;
  std::string name;
  // What the task is blocked on, for the watchdog's reports (guarded by
  // info_mu; empty while it runs).
  std::mutex info_mu;
  std::string waiting_on;
  Clock::time_point since;
  // The Mutex it waits for, if any: its holder is looked up when a report
  // is made, since the holder seen at the start of the wait may be gone.
  const RealMutex* waiting_for = nullptr;
};

thread_local RealTask* current_task = nullptr;

// Records what the current task blocks on for as long as it lives.
class BlockedOn {
 public:
  explicit BlockedOn(std::string what, const RealMutex* mutex = nullptr)
      : task_(current_task) {
    if (task_ == nullptr) return;
    std::lock_guard<std::mutex> l(task_->info_mu);
    task_->waiting_on = std::move(what);
    task_->waiting_for = mutex;
    task_->since = Clock::now();
  }
  ~BlockedOn() {
    if (task_ == nullptr) return;
    std::lock_guard<std::mutex> l(task_->info_mu);
    task_->waiting_on.clear();
    task_->waiting_for = nullptr;
  }
  BlockedOn(const BlockedOn&) = delete;
  BlockedOn& operator=(const BlockedOn&) = delete;

 private:
  RealTask* task_;
};

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
  const std::string& name() const { return name_; }
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

class RealCondVar : public CondVarImpl {
 public:
  RealCondVar(RealBackend* b, std::string name)
      : b_(b), name_(std::move(name)) {}
  void Wait(MutexImpl& mu) override { WaitImpl(mu, nullptr); }
  bool WaitFor(MutexImpl& mu, Duration timeout) override {
    return WaitImpl(mu, &timeout);
  }
  void NotifyOne() override {
    {
      std::lock_guard<std::mutex> l(m_);
      generation_++;
    }
    cv_.notify_one();
  }
  void NotifyAll() override {
    {
      std::lock_guard<std::mutex> l(m_);
      generation_++;
    }
    cv_.notify_all();
  }

 private:
  bool WaitImpl(MutexImpl& mu, const Duration* timeout);
  RealBackend* b_;
  std::string name_;
  std::mutex m_;  // guards generation_; taken before the caller's mutex is
                  // released, so no notification is lost
  std::condition_variable_any cv_;
  uint64_t generation_ = 0;
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
    if (stop_.stop_requested()) throw Cancelled{};
    std::this_thread::yield();
  }
  Duration Now() override {
    Check();
    return Clock::now() - start_;
  }
  uint64_t RandUint64() override {
    Check();
    std::lock_guard<std::mutex> l(mu_);
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
  std::stop_token stop_token() const { return stop_.get_token(); }
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
  void StartTask(std::unique_ptr<RealTask> task, std::function<void()> fn);
  void Worker(std::unique_ptr<RealTask> task, std::function<void()> fn);
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
  std::mutex mu_;  // guards rng_, live_, first_error_, next_id_
  std::condition_variable all_done_;
  Rng rng_;
  Clock::time_point start_;
  std::stop_source stop_;
  uint64_t next_id_ = 0;
  RealTask* root_ = nullptr;            // guarded by mu_, while Run runs
  std::map<uint64_t, RealTask*> live_;  // live non-root tasks, by id
  // The worker pool: idle workers wait on work_ready_ for pending_ tasks.
  // idle_workers_ counts idle workers not yet claimed by a pending task.
  std::condition_variable work_ready_;
  std::deque<std::pair<std::unique_ptr<RealTask>, std::function<void()>>>
      pending_;
  int idle_workers_ = 0;
  bool workers_exit_ = false;
  std::mutex workers_mu_;  // guards workers_
  std::vector<std::thread> workers_;
  std::exception_ptr first_error_;

  // AfterFunc's timers run on one io_context thread, started on first use.
  std::mutex timer_mu_;
  std::optional<boost::asio::io_context> io_;
  std::optional<
      boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      work_;
  std::thread io_thread_;

  // Sleepers wait here (with the stop token) rather than in sleep_for, so
  // that a stopping world wakes them.
  std::mutex sleep_mu_;
  std::condition_variable_any sleep_cv_;

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
    BlockedOn b("Mutex '" + name_ + "'", this);
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
  std::stop_token stop = b_->stop_token();
  if (stop.stop_requested()) throw Cancelled{};
  std::unique_lock<std::mutex> lk(m_);
  uint64_t generation = generation_;
  mu.Unlock();
  auto notified = [&] { return generation_ != generation; };
  BlockedOn blocked("CondVar '" + name_ + "'");
  bool woken;
  if (timeout == nullptr) {
    woken = cv_.wait(lk, stop, notified);
  } else {
    woken = cv_.wait_for(lk, stop, ClampWait(*timeout), notified);
  }
  lk.unlock();
  mu.Lock();
  if (stop.stop_requested()) throw Cancelled{};
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
  // The thread takes the task's name, so that sanitizer reports (and
  // debuggers) name the task; Linux keeps at most 15 characters.
  pthread_setname_np(pthread_self(), task->name.substr(0, 15).c_str());
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
  {
    std::lock_guard<std::mutex> l(mu_);
    task->id = next_id_++;
    task->name = std::move(name);
    live_.emplace(task->id, task.get());
  }
  StartTask(std::move(task), std::move(fn));
}

void RealBackend::StartTask(std::unique_ptr<RealTask> task,
                            std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (idle_workers_ > 0) {
      pending_.emplace_back(std::move(task), std::move(fn));
      idle_workers_--;  // claimed: the next Go must not count on it
      work_ready_.notify_one();
      return;
    }
  }
  std::lock_guard<std::mutex> l(workers_mu_);
  workers_.emplace_back(&RealBackend::Worker, this, std::move(task),
                        std::move(fn));
}

// A worker thread runs its first task, then further tasks handed to it by
// StartTask, and exits when the world ends. Reusing threads keeps a task
// start (one per RPC) at a queue hand-off instead of a thread creation.
void RealBackend::Worker(std::unique_ptr<RealTask> task,
                         std::function<void()> fn) {
  while (true) {
    RunTaskBody(task.get(), fn);
    std::unique_lock<std::mutex> l(mu_);
    live_.erase(task->id);
    if (live_.empty()) all_done_.notify_all();
    task.reset();
    idle_workers_++;
    work_ready_.wait(l, [&] { return !pending_.empty() || workers_exit_; });
    if (pending_.empty()) return;  // the world is over
    task = std::move(pending_.front().first);
    fn = std::move(pending_.front().second);
    pending_.pop_front();
  }
}

void RealBackend::JoinWorkers() {
  {
    std::lock_guard<std::mutex> l(mu_);
    workers_exit_ = true;
  }
  work_ready_.notify_all();
  std::lock_guard<std::mutex> l(workers_mu_);
  for (std::thread& t : workers_) t.join();
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
  std::stop_token stop = stop_.get_token();
  if (stop.stop_requested()) throw Cancelled{};
  if (d <= Duration::zero()) return;
  BlockedOn blocked("Sleep for " + FormatDuration(d));
  std::unique_lock<std::mutex> lk(sleep_mu_);
  sleep_cv_.wait_for(lk, stop, ClampWait(d), [] { return false; });
  if (stop.stop_requested()) throw Cancelled{};
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
  if (t->waiting_on.empty()) return out + ", running";
  out += ", blocked on " + t->waiting_on;
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
