// Internal: the interface both runtime backends implement, and the small
// pieces they share (a raw OS lock for the runtime's own bookkeeping, the
// seeded random generator). Lab code never includes this header.
#ifndef RAFTLAB_LABRPC_RUNTIME_BACKEND_H_
#define RAFTLAB_LABRPC_RUNTIME_BACKEND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "labrpc/runtime.h"

namespace labrpc {
namespace internal {

// An OS mutex for the runtime's own state (and the trace sink). Not a
// runtime Mutex: it never blocks a sim task for long and is not watched.
class RawLock {
 public:
  void lock() { m_.lock(); }
  void unlock() { m_.unlock(); }

 private:
  std::mutex m_;
};
using RawLockGuard = std::lock_guard<RawLock>;

// xoshiro256**, seeded through splitmix64: small, fast, and the same
// sequence on every platform (std:: distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t Next();

 private:
  uint64_t s_[4];
};

class MutexImpl {
 public:
  virtual ~MutexImpl() = default;
  virtual void Lock() = 0;
  virtual void Unlock() = 0;
  virtual bool TryLock() = 0;
  virtual bool HeldByMe() const = 0;
  virtual const std::string& name() const = 0;
};

class CondVarImpl {
 public:
  virtual ~CondVarImpl() = default;
  // `mu` is the caller's mutex impl, of the same backend.
  virtual void Wait(MutexImpl& mu) = 0;
  virtual bool WaitFor(MutexImpl& mu, Duration timeout) = 0;
  virtual void NotifyOne() = 0;
  virtual void NotifyAll() = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual void Run(std::function<void()> root) = 0;
  virtual void Go(std::string name, std::function<void()> fn) = 0;
  virtual void AfterFunc(Duration delay, std::function<void()> fn) = 0;
  virtual void Sleep(Duration d) = 0;
  virtual void Yield() = 0;
  virtual Duration Now() = 0;
  virtual uint64_t RandUint64() = 0;
  virtual std::string CurrentTaskName() = 0;
  virtual bool Stopping() = 0;
  virtual uint64_t TraceHash() const = 0;
  virtual std::unique_ptr<MutexImpl> NewMutex(std::string name) = 0;
  virtual std::unique_ptr<CondVarImpl> NewCondVar(std::string name) = 0;
  // CpuBoundSection: nesting depth +1 / -1 for the calling task.
  virtual void EnterCpuBound() {}
  virtual void LeaveCpuBound() {}
};

// What a stuck world does (WorldOptions::on_stuck): calls the handler, or
// prints the report and aborts. Never returns.
[[noreturn]] void ReportStuck(const WorldOptions& options,
                              const std::string& report);

std::unique_ptr<Backend> NewRealBackend(World* world,
                                        const WorldOptions& options);
std::unique_ptr<Backend> NewSimBackend(World* world,
                                       const WorldOptions& options);

// The world whose task this OS thread is running (thread-local).
void SetCurrentWorld(World* world);

// Throws MisuseError explaining that this OS thread runs no world's task.
[[noreturn]] void ThrowNoWorld();

// Throws MisuseError unless the calling OS thread runs a task of `world`.
void CheckCaller(const World* world);

// Formats a duration as seconds with millisecond precision ("12.345s").
std::string FormatDuration(Duration d);

}  // namespace internal
}  // namespace labrpc

#endif  // RAFTLAB_LABRPC_RUNTIME_BACKEND_H_
