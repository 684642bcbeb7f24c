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

struct PartitionInfo {
  // The partition key as text ("" when the model does not partition).
  std::string key;
  // The partition's operations as indices into the checked history, in
  // history order. An operation's "local id" is its position here.
  std::vector<size_t> ops;
  // kUnknown if the search ran out of time or never started (time was up, or
  // a non-verbose check stopped at an earlier failing partition).
  CheckResult result = CheckResult::kUnknown;
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
  // In partition-key order.
  std::vector<PartitionInfo> partitions;
};

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_INFO_H_
