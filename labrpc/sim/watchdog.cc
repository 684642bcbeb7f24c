// The sim backend's failure reports and its wall-clock watchdog: a task
// that ends holding a Mutex, a Mutex held too long in virtual time, the
// deadlock report, and a task that blocks outside the runtime or never
// yields, seen from a watchdog thread.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "labrpc/runtime.h"
#include "labrpc/runtime_backend.h"
#include "labrpc/sanitizer_fiber.h"
#include "labrpc/sim/backend.h"

namespace labrpc {
namespace internal {
namespace sim {

void SimBackend::ReportHeldAtExit(SimMutex* m, SimTask* t) {
  RecordError(std::make_exception_ptr(MisuseError(
      TaskLabel(t) + " finished while holding Mutex '" + m->name() + "'")));
  TsanReleaseFor(t->tsan_fiber, m, tsan_sched_);  // as its Unlock would
  m->ForceRelease();
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
      RecordError(std::make_exception_ptr(WatchdogError(what)));
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
  RecordError(std::make_exception_ptr(WatchdogError(
      TaskLabel(current_) + " did not call the runtime for " +
      FormatDuration(Duration(ns)) +
      " of wall time: it blocked outside the runtime or computed without "
      "pause, and under sim every other task and virtual time wait for "
      "it. Likely causes: std::this_thread::sleep_for (use labrpc::Sleep), "
      "a std::mutex or std::condition_variable (use labrpc::Mutex and "
      "labrpc::CondVar), blocking I/O, or a long CPU loop (mark a "
      "legitimate one with labrpc::CpuBoundSection).")));
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

}  // namespace sim
}  // namespace internal
}  // namespace labrpc
