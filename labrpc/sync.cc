// Mutex, CondVar and WaitGroup (labrpc/sync.h): the first two forward to
// the world's backend; WaitGroup is built on them.
#include "labrpc/sync.h"

#include <string>
#include <utility>

#include "labrpc/runtime_backend.h"
#include "labrpc/task.h"
#include "labrpc/world.h"

namespace labrpc {

Mutex::Mutex(std::string name)
    : impl_(World::Current().backend_impl().NewMutex(std::move(name))) {}
Mutex::~Mutex() = default;
void Mutex::Lock() { impl_->Lock(); }
void Mutex::Unlock() { impl_->Unlock(); }
bool Mutex::TryLock() { return impl_->TryLock(); }
bool Mutex::HeldByMe() const { return impl_->HeldByMe(); }

void Mutex::FailNotHeld(const char* who) const {
  throw MisuseError(std::string(who) + " requires mutex \"" + impl_->name() +
                    "\", but the calling task (" + CurrentTaskName() +
                    ") does not hold it: lock it before the call");
}

CondVar::CondVar(std::string name)
    : impl_(World::Current().backend_impl().NewCondVar(std::move(name))) {}
CondVar::~CondVar() = default;
void CondVar::Wait(Mutex& mu) { impl_->Wait(*mu.impl_); }
bool CondVar::WaitFor(Mutex& mu, Duration timeout) {
  return impl_->WaitFor(*mu.impl_, timeout);
}
void CondVar::NotifyOne() { impl_->NotifyOne(); }
void CondVar::NotifyAll() { impl_->NotifyAll(); }

WaitGroup::WaitGroup() : mu_("waitgroup"), cv_("waitgroup") {}

void WaitGroup::Add(int n) {
  MutexLock l(mu_);
  count_ += n;
  if (count_ < 0) throw MisuseError("WaitGroup counter went negative");
  if (count_ == 0) cv_.NotifyAll();
}

void WaitGroup::Done() { Add(-1); }

void WaitGroup::Wait() {
  MutexLock l(mu_);
  while (count_ > 0) cv_.Wait(mu_);
}

}  // namespace labrpc
