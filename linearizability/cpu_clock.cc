// The thread CPU clock (see cpu_clock.h), from POSIX clock_gettime.
#include "linearizability/cpu_clock.h"

#include <time.h>

namespace linearizability {

ThreadCpuClock::time_point ThreadCpuClock::now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return time_point(std::chrono::seconds(ts.tv_sec) +
                    std::chrono::nanoseconds(ts.tv_nsec));
}

}  // namespace linearizability
