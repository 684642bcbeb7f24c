// The real backend: one OS thread per running task (threads are pooled), the
// steady clock, and a Boost.Asio io_context whose timers run AfterFunc.
// Mutexes are std::mutex; condition variables, sleeps and the pool's
// hand-offs are Linux futexes. Stopping the world is a std::stop_source:
// every cancellable wait registers a callback with its token, so a stop
// request wakes them all and they throw Cancelled.
//
// Internal to the real backend; its files, by job:
//   task_pool.cc  tasks, the pool of OS threads that runs them, stopping
//   timers.cc     AfterFunc's timers (a Boost.Asio thread) and Sleep
//   sync.cc       RealMutex and RealCondVar
//   watchdog.cc   the watchdog thread: Mutexes held too long, a stuck world
//   futex.cc      the futex waits all of them block in (futex.h)
#ifndef RAFTLAB_LABRPC_REAL_BACKEND_H_
#define RAFTLAB_LABRPC_REAL_BACKEND_H_

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "labrpc/real/futex.h"
#include "labrpc/runtime.h"
#include "labrpc/runtime_backend.h"

namespace labrpc {
namespace internal {
namespace real {

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

// The task this OS thread runs (task_pool.cc), nullptr outside any.
extern constinit thread_local RealTask* current_task;

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

// The longest wait handed to the standard library: a century is "never" in
// practice, and the library computes now() + timeout, which overflows (and
// then returns at once) for timeouts near Duration::max().
inline Duration ClampWait(Duration d) {
  constexpr Duration kForever = std::chrono::hours(24 * 365 * 100);
  return std::min(d, kForever);
}

// "task N 'name'", or "nobody" for nullptr.
std::string TaskLabel(const RealTask* t);

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

}  // namespace real
}  // namespace internal
}  // namespace labrpc

#endif  // RAFTLAB_LABRPC_REAL_BACKEND_H_
