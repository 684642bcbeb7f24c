// Prefixes of a history by call time, for when the whole history is too big
// to check within the time limit: a prefix that is not linearizable proves
// the whole history is not.
//
//   if (CheckOperations(model, h, limit) == CheckResult::kUnknown &&
//       CheckOperations(model, CallTimePrefix(h, 1000), limit) ==
//           CheckResult::kIllegal) { /* h is not linearizable either */ }
#ifndef RAFTLAB_LINEARIZABILITY_PREFIX_H_
#define RAFTLAB_LINEARIZABILITY_PREFIX_H_

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <vector>

#include "linearizability/operation.h"

namespace linearizability {

// The first k operations of `history` in call-time order (ties keep history
// order); those still running when the first left-out operation was called
// become pending, with their output marked unknown (Out needs the `unknown`
// flag both models have). k must be < history.size().
//
// Why it is sound: every operation kept as completed returned before every
// left-out operation was called, so in any linearization of the whole
// history it precedes them all; restricting that linearization to the
// prefix (dropping pending operations placed after them) linearizes the
// prefix. So a linearizable history has only linearizable prefixes.
template <class In, class Out>
std::vector<Operation<In, Out>> CallTimePrefix(
    const std::vector<Operation<In, Out>>& history, size_t k) {
  std::vector<size_t> order(history.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return history[a].call < history[b].call;
  });
  const Time cut = history[order.at(k)].call;
  std::vector<Operation<In, Out>> prefix;
  prefix.reserve(k);
  for (size_t i = 0; i < k; i++) {
    Operation<In, Out> op = history[order[i]];
    if (op.pending || op.ret >= cut) {
      op.pending = true;
      op.output.unknown = true;
    }
    prefix.push_back(std::move(op));
  }
  return prefix;
}

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_PREFIX_H_
