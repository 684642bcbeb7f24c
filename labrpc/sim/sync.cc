// The sim backend's Mutex and CondVar: wait lists of (task, token), woken
// through SimBackend::Wake, so a stale entry is skipped, never cleaned up.
#include <optional>
#include <string>
#include <utility>

#include "labrpc/runtime.h"
#include "labrpc/runtime_backend.h"
#include "labrpc/sanitizer_fiber.h"
#include "labrpc/sim/backend.h"

namespace labrpc {
namespace internal {
namespace sim {

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

}  // namespace sim
}  // namespace internal
}  // namespace labrpc
