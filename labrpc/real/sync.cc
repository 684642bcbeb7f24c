// The real backend's Mutex (a std::mutex that knows its owner task) and
// CondVar (a futex word that every notification bumps).
#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <stop_token>
#include <string>
#include <utility>

#include "labrpc/real/backend.h"
#include "labrpc/real/futex.h"
#include "labrpc/runtime.h"
#include "labrpc/runtime_backend.h"

namespace labrpc {
namespace internal {
namespace real {

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

}  // namespace real
}  // namespace internal
}  // namespace labrpc
