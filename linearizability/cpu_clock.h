// The calling thread's CPU time as a std::chrono clock. The checker's time
// slices (checker.h) are measured with it: on a loaded machine a slice of
// wall time can pass with little of the search done, and then an easy
// failing partition waits a full slice of every hard one before its turn
// comes again.
#ifndef RAFTLAB_LINEARIZABILITY_CPU_CLOCK_H_
#define RAFTLAB_LINEARIZABILITY_CPU_CLOCK_H_

#include <chrono>

namespace linearizability {

struct ThreadCpuClock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<ThreadCpuClock>;
  static constexpr bool is_steady = true;

  // Costs a system call (about 1 us on some machines): read it sparingly.
  static time_point now();
};

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_CPU_CLOCK_H_
