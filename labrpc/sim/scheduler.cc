// The sim scheduler: tasks and their fibers, the timer heap, the run loop
// that runs the next ready task or else fires the next timer, blocking and
// token-based waking, and stopping the world. See labrpc/sim/backend.h.
// The heap's two hot operations, AddWakeTimer and FireNextTimer, live here
// rather than in timers.cc: there, GCC left the heap's sift-up out of line
// and a sim RPC took 1.3% more instructions.
#include <boost/context/fiber.hpp>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "labrpc/runtime.h"
#include "labrpc/runtime_backend.h"
#include "labrpc/sanitizer_fiber.h"
#include "labrpc/sim/backend.h"

namespace labrpc {
namespace internal {
namespace sim {

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
      // Recording it begins the stop.
      RecordError(std::make_exception_ptr(DeadlockError(report)));
      continue;
    }
    // Stopping, yet tasks stay blocked on mutexes nobody will release:
    // report them and abandon their fibers (their stacks leak).
    std::fprintf(stderr, "labrpc sim: %zu task(s) never finished:\n%s",
                 tasks_.size(), report.c_str());
    if (!first_error_) {
      first_error_ = std::make_exception_ptr(DeadlockError(
          "tasks never finished after the world stopped:\n" + report));
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

}  // namespace sim

std::unique_ptr<Backend> NewSimBackend(World* world,
                                       const WorldOptions& options) {
  return std::make_unique<sim::SimBackend>(world, options);
}

}  // namespace internal
}  // namespace labrpc
