// The real backend's tasks: the pool of OS threads that runs them (a task
// start is a hand-off to a parked thread), the root task, the first error,
// and stopping the world. See labrpc/real/backend.h.
#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "labrpc/real/backend.h"
#include "labrpc/real/futex.h"
#include "labrpc/runtime.h"
#include "labrpc/runtime_backend.h"

namespace labrpc {
namespace internal {
namespace real {

constinit thread_local RealTask* current_task = nullptr;

namespace {

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

}  // namespace

std::string TaskLabel(const RealTask* t) {
  return t == nullptr ? std::string("nobody")
                      : "task " + std::to_string(t->id) + " '" + t->name + "'";
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

void RealBackend::RecordError(std::exception_ptr e) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!first_error_) first_error_ = e;
  }
  BeginStop();
}

void RealBackend::BeginStop() { stop_.request_stop(); }

}  // namespace real

std::unique_ptr<Backend> NewRealBackend(World* world,
                                        const WorldOptions& options) {
  return std::make_unique<real::RealBackend>(world, options);
}

}  // namespace internal
}  // namespace labrpc
