// The runtime's locks and waits: Mutex (with LAB_ASSERT_HELD for the
// ...Locked methods), CondVar and WaitGroup. Waiting on one blocks only the
// calling task (under sim the other tasks run on, on the same OS thread).
// Each belongs to the world that was current when it was made.
// labrpc/channel.h builds Channel on them.
//
// Usage:
//
//   labrpc::Mutex mu("raft");          // the name appears in reports
//   labrpc::CondVar applied("applied");
//   {
//     labrpc::MutexLock l(mu);
//     while (last_applied < index) applied.Wait(mu);
//   }
//   void Raft::ApplyLocked() { LAB_ASSERT_HELD(mu_); ... }
//
//   labrpc::WaitGroup wg;
//   wg.Add(2);
//   labrpc::Go([&] { Work(); wg.Done(); });
//   labrpc::Go([&] { Work(); wg.Done(); });
//   wg.Wait();
#ifndef RAFTLAB_LABRPC_SYNC_H_
#define RAFTLAB_LABRPC_SYNC_H_

#include <memory>
#include <mutex>  // std::unique_lock, for MutexLock
#include <string>

#include "labrpc/world.h"

namespace labrpc {

namespace internal {
class MutexImpl;
class CondVarImpl;
}  // namespace internal

// A mutual-exclusion lock. Not recursive: locking it twice from one task, or
// unlocking it from a task that does not hold it, throws MisuseError.
// Satisfies Lockable, so std::lock_guard and std::unique_lock work.
class Mutex {
 public:
  explicit Mutex(std::string name = "mutex");
  ~Mutex();
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock();
  void Unlock();
  bool TryLock();
  // True if the calling task holds this mutex.
  bool HeldByMe() const;
  // Throws MisuseError unless the calling task holds this mutex, naming the
  // mutex, the task and `who` (the code that requires it). Use it through
  // LAB_ASSERT_HELD below.
  void AssertHeld(const char* who) const {
    if (!HeldByMe()) FailNotHeld(who);
  }

  void lock() { Lock(); }
  void unlock() { Unlock(); }
  bool try_lock() { return TryLock(); }

 private:
  friend class CondVar;
  [[noreturn]] void FailNotHeld(const char* who) const;
  std::unique_ptr<internal::MutexImpl> impl_;
};

// The first line of every method that requires a lock (those named
// ...Locked): LAB_ASSERT_HELD(mu_); fails the run at once, naming the
// method, when a caller does not hold `mu`, instead of letting the race
// corrupt state far from its cause. On by default (two virtual calls);
// building with -DRAFTLAB_LOCK_CHECKS=0 (CMake option RAFTLAB_LOCK_CHECKS)
// compiles the checks out.
#ifndef RAFTLAB_LOCK_CHECKS
#define RAFTLAB_LOCK_CHECKS 1
#endif
#if RAFTLAB_LOCK_CHECKS
#define LAB_ASSERT_HELD(mu) (mu).AssertHeld(__PRETTY_FUNCTION__)
#else
#define LAB_ASSERT_HELD(mu) ((void)0)
#endif

using MutexLock = std::unique_lock<Mutex>;

// A condition variable bound to whichever Mutex the waiter holds. Wait may
// return spuriously; callers re-check their condition in a loop.
class CondVar {
 public:
  explicit CondVar(std::string name = "condvar");
  ~CondVar();
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Atomically releases `mu` (which the caller must hold) and waits for a
  // notification; reacquires `mu` before returning or throwing Cancelled.
  void Wait(Mutex& mu);
  // As Wait, for at most `timeout`. Returns false if it timed out.
  bool WaitFor(Mutex& mu, Duration timeout);
  void NotifyOne();
  void NotifyAll();

 private:
  std::unique_ptr<internal::CondVarImpl> impl_;
};

// Waits for a collection of tasks to finish (Go's sync.WaitGroup).
class WaitGroup {
 public:
  WaitGroup();
  void Add(int n);
  void Done();
  void Wait();

 private:
  Mutex mu_;
  CondVar cv_;
  int count_ = 0;
};

}  // namespace labrpc

#endif  // RAFTLAB_LABRPC_SYNC_H_
