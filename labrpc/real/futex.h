// Internal to the real backend: its blocking primitive, Linux futexes, and
// the short run of yields that precedes a futex sleep.
#ifndef RAFTLAB_LABRPC_REAL_FUTEX_H_
#define RAFTLAB_LABRPC_REAL_FUTEX_H_

#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdint>

#include "labrpc/runtime.h"

namespace labrpc {
namespace internal {
namespace real {

// The real backend's clock.
using Clock = std::chrono::steady_clock;

// Linux futexes on a 32-bit atomic word: the real backend's own blocking
// primitive. A wait-and-notify through them costs one system call on each
// side, where std::condition_variable_any costs two locks of its inner
// mutex, a pthread condition variable and, when the waker still holds that
// mutex, a second sleep of the woken thread.
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
              std::atomic<uint32_t>::is_always_lock_free);

// Sleeps while *word == expected, until woken or until `deadline` (steady
// clock, which is CLOCK_MONOTONIC, the bitset wait's clock) passes. Returns
// false once the deadline has passed; may return true spuriously.
bool FutexWait(std::atomic<uint32_t>* word, uint32_t expected,
               const Clock::time_point* deadline);

// Wakes up to `n` threads sleeping in FutexWait on `word`.
void FutexWake(std::atomic<uint32_t>* word, int n);

// Before a task sleeps on a futex it yields its CPU for a moment, checking
// between yields whether its wait is over. An RPC's handler task and its
// caller hand the CPU to each other: the scheduler runs them on one CPU,
// where a yield passes straight to the other thread, while a futex sleep
// costs a wake-up of a sleeping thread, often through an idle CPU. That
// halves a round trip (bench/labrpc_bench's csw and cpu_us), and more on a
// loaded machine. Bounded by count and by time: when nothing else is
// runnable a yield returns at once, so a wait that does not end soon burns
// a few microseconds; when other threads are runnable, one yield may run
// them for a whole time slice, and the window is over, so that a busy
// machine pays at most a switch or two more per wait. Never a pause loop,
// which would keep the other thread of the pair off the CPU.
constexpr int kMaxYields = 10;
constexpr Duration kYieldWindow = std::chrono::microseconds(15);

template <class Done>
bool YieldUntil(Done done) {
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < kMaxYields; i++) {
    if (done()) return true;
    sched_yield();
    if (Clock::now() - start > kYieldWindow) break;
  }
  return done();
}

}  // namespace real
}  // namespace internal
}  // namespace labrpc

#endif  // RAFTLAB_LABRPC_REAL_FUTEX_H_
