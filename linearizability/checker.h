// The linearizability checker's entry points (porcupine's CheckOperations*,
// CheckEvents*): is there a total order of the operations, consistent with
// their real-time order, in which every operation is legal for the model?
//
//   using namespace linearizability;
//   std::vector<Operation<KvInput, KvOutput>> history = ...;
//   LinearizationInfo info;
//   CheckResult r = CheckOperationsVerbose(KvModel{}, history,
//                                          std::chrono::seconds(1), &info);
//   if (r == CheckResult::kIllegal) {
//     WriteHtmlFile("/tmp/history.html",
//                   MakeVisualization(KvModel{}, history, info, faults));
//   }
//
// Partitions (see model.h) are searched on the calling thread, taking turns
// in short time slices (smallest first), sharing one time budget and one
// memory budget (CheckLimits). A timeout of zero means no limit. When time
// runs out the verdict is kUnknown unless some partition was already found
// Illegal, so with a tight limit a bad history can be reported kUnknown
// (never the other way round: kOk and kIllegal are always right). A
// partition whose search reaches the memory budget ends as kUnknown, its
// memory is freed, and the others go on.
#ifndef RAFTLAB_LINEARIZABILITY_CHECKER_H_
#define RAFTLAB_LINEARIZABILITY_CHECKER_H_

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "linearizability/info.h"
#include "linearizability/memory_budget.h"
#include "linearizability/model.h"
#include "linearizability/operation.h"
#include "linearizability/search.h"

namespace linearizability {

template <Model M>
using HistoryOf = std::vector<Operation<typename M::Input, typename M::Output>>;
template <Model M>
using EventsOf = std::vector<Event<typename M::Input, typename M::Output>>;

// What a check may spend before it gives up with kUnknown.
struct CheckLimits {
  // Wall time for the whole check; zero means no limit.
  std::chrono::nanoseconds timeout{0};
  // Bytes the searches' memos, state pools and partial linearizations may
  // hold at once, over all partitions; zero means no limit. The history
  // itself is not counted.
  size_t memory_bytes = DefaultMemoryLimit();
};

namespace checker_internal {

// Splits the history into partitions (key order), described for the picture.
template <Model M>
std::vector<PartitionInfo> Partition(const M& model, const HistoryOf<M>& h) {
  std::vector<PartitionInfo> parts;
  if constexpr (model_traits::kHasPartitionKey<M>) {
    using Key = std::decay_t<decltype(model.PartitionKey(h[0].input))>;
    std::map<Key, std::vector<size_t>> by_key;
    for (size_t i = 0; i < h.size(); i++) {
      by_key[model.PartitionKey(h[i].input)].push_back(i);
    }
    for (auto& [key, ops] : by_key) {
      PartitionInfo p;
      p.key = model_traits::DescribeKey(key);
      p.ops = std::move(ops);
      parts.push_back(std::move(p));
    }
  } else {
    PartitionInfo p;
    p.ops.resize(h.size());
    std::iota(p.ops.begin(), p.ops.end(), size_t{0});
    parts.push_back(std::move(p));
  }
  return parts;
}

template <Model M>
CheckResult Check(const M& model, const HistoryOf<M>& history,
                  const CheckLimits& limits, bool verbose,
                  LinearizationInfo* info) {
  using Clock = std::chrono::steady_clock;
  using Op = Operation<typename M::Input, typename M::Output>;
  // Partitions take turns in slices of this much CPU time, like porcupine's
  // goroutines sharing one core, so an easy failing partition is found even
  // when another one would exhaust the budget. CPU time, not wall time: on
  // a loaded machine a wall-time slice can end before an easy partition is
  // done, and then it waits for a full slice of every hard one (c50-bad:
  // 40 ms instead of 4).
  constexpr auto kSlice = std::chrono::milliseconds(5);
  // The budget is wall time on std::chrono::steady_clock, not the lab
  // runtime's clock: it bounds a computation, and only the kUnknown verdict
  // depends on it.
  const auto start = Clock::now();
  const Clock::time_point deadline = limits.timeout.count() > 0
                                         ? start + limits.timeout
                                         : Clock::time_point::max();
  // Declared before the searches, which release into it as they go.
  MemoryBudget budget(limits.memory_bytes);

  for (size_t i = 0; i < history.size(); i++) {
    if (!history[i].pending && history[i].ret < history[i].call) {
      throw std::invalid_argument("operation " + std::to_string(i) +
                                  " returns before it is called");
    }
  }
  std::vector<PartitionInfo> parts;
  if (!history.empty()) parts = Partition(model, history);

  std::vector<std::unique_ptr<PartitionSearch<M>>> searches(parts.size());
  for (size_t p = 0; p < parts.size(); p++) {
    std::vector<const Op*> ops;
    ops.reserve(parts[p].ops.size());
    for (size_t i : parts[p].ops) ops.push_back(&history[i]);
    searches[p] = std::make_unique<PartitionSearch<M>>(model, std::move(ops),
                                                       verbose, budget);
  }
  // Smallest first: small partitions usually finish in their first slice.
  std::vector<size_t> active(parts.size());
  std::iota(active.begin(), active.end(), size_t{0});
  std::stable_sort(active.begin(), active.end(), [&](size_t a, size_t b) {
    return parts[a].ops.size() < parts[b].ops.size();
  });

  bool illegal = false;
  bool stop = false;
  while (!active.empty() && !stop) {
    std::vector<size_t> still;
    for (size_t k = 0; k < active.size(); k++) {
      const size_t p = active[k];
      const auto now = Clock::now();
      if (stop || now >= deadline) {
        stop = true;
        still.push_back(p);
        continue;
      }
      const bool done =
          searches[p]->Run(deadline, ThreadCpuClock::now() + kSlice);
      parts[p].seconds +=
          std::chrono::duration<double>(Clock::now() - now).count();
      if (!done) {
        still.push_back(p);
        continue;
      }
      searches[p]->Report(parts[p]);
      // Its memo is of no more use: leave its memory to the others.
      searches[p].reset();
      if (parts[p].result == CheckResult::kIllegal) {
        illegal = true;
        if (!verbose) stop = true;
      }
    }
    active = std::move(still);
  }
  for (size_t p : active) {  // kUnknown
    searches[p]->Report(parts[p]);
    if (illegal && !verbose) parts[p].stop = StopReason::kOtherFailed;
  }

  bool unknown = false, out_of_memory = false;
  for (const PartitionInfo& p : parts) {
    unknown |= p.result == CheckResult::kUnknown;
    out_of_memory |= p.stop == StopReason::kMemoryLimit;
  }
  CheckResult result = illegal   ? CheckResult::kIllegal
                       : unknown ? CheckResult::kUnknown
                                 : CheckResult::kOk;
  if (info) {
    info->result = result;
    info->stop = result != CheckResult::kUnknown ? StopReason::kNone
                 : out_of_memory                 ? StopReason::kMemoryLimit
                                                 : StopReason::kTimeLimit;
    info->memory_peak = budget.peak();
    info->memory_limit = limits.memory_bytes;
    info->partitions = std::move(parts);
  }
  return result;
}

}  // namespace checker_internal

// The verdict only; stops at the first Illegal partition. The memory
// budget is the default (memory_budget.h).
template <Model M>
CheckResult CheckOperations(
    const M& model, const HistoryOf<M>& history,
    std::chrono::nanoseconds timeout = std::chrono::nanoseconds::zero()) {
  return checker_internal::Check(model, history, CheckLimits{timeout}, false,
                                 nullptr);
}

// The same with both limits; *info, if given, gets the verdict, why it is
// kUnknown, and each partition's verdict and search cost (no partial
// linearizations: see CheckOperationsVerbose).
template <Model M>
CheckResult CheckOperations(const M& model, const HistoryOf<M>& history,
                            const CheckLimits& limits,
                            LinearizationInfo* info = nullptr) {
  return checker_internal::Check(model, history, limits, false, info);
}

// The verdict and, in *info, the partial linearizations of every partition
// (all partitions are searched, even after an Illegal one, while time
// lasts). This is what the lab tests use, with a 1 s timeout.
template <Model M>
CheckResult CheckOperationsVerbose(const M& model, const HistoryOf<M>& history,
                                   std::chrono::nanoseconds timeout,
                                   LinearizationInfo* info) {
  return checker_internal::Check(model, history, CheckLimits{timeout}, true,
                                 info);
}

template <Model M>
CheckResult CheckOperationsVerbose(const M& model, const HistoryOf<M>& history,
                                   const CheckLimits& limits,
                                   LinearizationInfo* info) {
  return checker_internal::Check(model, history, limits, true, info);
}

// How many partitions the model splits the history into.
template <Model M>
size_t CountPartitions(const M& model, const HistoryOf<M>& history) {
  return history.empty() ? 0
                         : checker_internal::Partition(model, history).size();
}

// CheckOperations for a history given as call/return events (see
// operation.h).
// The info's operation indices refer to EventsToOperations(events).
template <Model M>
CheckResult CheckEvents(
    const M& model, const EventsOf<M>& events,
    std::chrono::nanoseconds timeout = std::chrono::nanoseconds::zero()) {
  return CheckOperations(model, EventsToOperations(events), timeout);
}

template <Model M>
CheckResult CheckEventsVerbose(const M& model, const EventsOf<M>& events,
                               std::chrono::nanoseconds timeout,
                               LinearizationInfo* info) {
  return CheckOperationsVerbose(model, EventsToOperations(events), timeout,
                                info);
}

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_CHECKER_H_
