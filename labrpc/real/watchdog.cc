// The real backend's watchdog thread: it reports a Mutex held longer than
// mutex_hold_limit while it is still held, with what its holder waits on,
// and ends a world stuck past real_wall_limit with a report of every task.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "labrpc/real/backend.h"
#include "labrpc/runtime.h"
#include "labrpc/runtime_backend.h"

namespace labrpc {
namespace internal {
namespace real {

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

}  // namespace real
}  // namespace internal
}  // namespace labrpc
