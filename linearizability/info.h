// What a verbose check reports beyond the verdict: per partition, the
// longest linearizable prefixes the search found (partial linearizations),
// which the picture draws.
#ifndef RAFTLAB_LINEARIZABILITY_INFO_H_
#define RAFTLAB_LINEARIZABILITY_INFO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "linearizability/operation.h"

namespace linearizability {

// Why a search has no verdict (kUnknown), or kNone if it has one.
enum class StopReason {
  kNone,
  kTimeLimit,    // the check's time budget ran out
  kMemoryLimit,  // the check's memory budget (memory_budget.h) was reached
  kOtherFailed,  // a plain check stopped at another partition's failure
};

// "time limit", "memory budget", ... for messages.
inline const char* ToString(StopReason r) {
  switch (r) {
    case StopReason::kNone:
      return "none";
    case StopReason::kTimeLimit:
      return "time limit";
    case StopReason::kMemoryLimit:
      return "memory budget";
    case StopReason::kOtherFailed:
      return "another partition failed";
  }
  return "?";
}

struct PartitionInfo {
  // The partition key as text ("" when the model does not partition).
  std::string key;
  // The partition's operations as indices into the checked history, in
  // history order. An operation's "local id" is its position here.
  std::vector<size_t> ops;
  // kUnknown if the search ran out of time or memory, or never finished
  // because a non-verbose check stopped at an earlier failing partition.
  CheckResult result = CheckResult::kUnknown;
  // Why result is kUnknown (kNone when it is not).
  StopReason stop = StopReason::kNone;
  bool searched = false;
  // Distinct partial linearizations (local ids in linearization order),
  // longest first. For an Ok partition there is exactly one, covering every
  // operation. For an Illegal one, partials[0] is a longest linearizable
  // prefix the search found.
  std::vector<std::vector<uint32_t>> partials;
  // Local id -> index into partials of the longest one containing it, or -1
  // if the search never linearized that operation.
  std::vector<int> largest;
  // Illegal partitions: the operation (local id) that had to be linearized
  // next, after the longest prefix, and could not be. -1 otherwise.
  int failing_op = -1;
  // Model steps the search tried, and memo entries it made (cost measures).
  uint64_t steps = 0;
  uint64_t cache_entries = 0;
  uint64_t distinct_states = 0;
  // Wall time the search of this partition took.
  double seconds = 0;
};

struct LinearizationInfo {
  CheckResult result = CheckResult::kUnknown;
  // Why result is kUnknown: kMemoryLimit if some partition reached the
  // memory budget, else kTimeLimit. kNone for kOk and kIllegal.
  StopReason stop = StopReason::kNone;
  // The most bytes the check's searches held at once (memory_budget.h).
  uint64_t memory_peak = 0;
  uint64_t memory_limit = 0;
  // In partition-key order.
  std::vector<PartitionInfo> partitions;
};

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_INFO_H_
