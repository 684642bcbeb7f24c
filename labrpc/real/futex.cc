// The real backend's futex calls (labrpc/real/futex.h).
#include "labrpc/real/futex.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

namespace labrpc {
namespace internal {
namespace real {

bool FutexWait(std::atomic<uint32_t>* word, uint32_t expected,
               const Clock::time_point* deadline) {
  timespec ts{};
  if (deadline != nullptr) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        deadline->time_since_epoch())
                        .count();
    ts.tv_sec = ns / 1'000'000'000;
    ts.tv_nsec = ns % 1'000'000'000;
  }
  const long r = syscall(SYS_futex, reinterpret_cast<uint32_t*>(word),
                         FUTEX_WAIT_BITSET_PRIVATE, expected,
                         deadline != nullptr ? &ts : nullptr, nullptr,
                         FUTEX_BITSET_MATCH_ANY);
  return !(r != 0 && errno == ETIMEDOUT);
}

void FutexWake(std::atomic<uint32_t>* word, int n) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, n,
          nullptr, nullptr, 0);
}

}  // namespace real
}  // namespace internal
}  // namespace labrpc
