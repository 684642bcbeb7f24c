// The history of a KV test's clerk calls and its linearizability check, for
// the kvraft and shardkv harnesses (Go's OpLog and the porcupine check of
// their test_test.go files). Kept apart from tests/harness_cluster.h, so
// that the Raft harness builds without the checker.
//
//   auto log = std::make_shared<OpLog>();
//   KvOperation op;
//   op.client_id = 0;
//   op.input = {linearizability::KvOp::kPut, "k", "v"};
//   op.call = cfg->Stamp();
//   ck->Put("k", "v");
//   op.ret = cfg->Stamp();
//   log->Append(op);
//   CheckKvHistory(log->Read(), cfg->title(), cfg->Faults(), "kv-history");
#ifndef RAFTLAB_TESTS_HARNESS_HISTORY_H_
#define RAFTLAB_TESTS_HARNESS_HISTORY_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "labrpc/runtime.h"
#include "linearizability/info.h"
#include "linearizability/kv_model.h"
#include "linearizability/operation.h"
#include "linearizability/visualization.h"

namespace raftlab_test {

// One recorded clerk call, for the linearizability checker. Times are
// nanoseconds on the world's clock (the harness's Stamp()).
using KvOperation = linearizability::Operation<linearizability::KvInput,
                                               linearizability::KvOutput>;

// Traces a finished clerk call (topic "op", at its return time), with its
// call time, so that a trace's timeline can draw it as a bar. Long values
// are cut: the bar needs the operation, not the whole value.
void TraceKvOperation(const KvOperation& op);

// Go's OpLog: the history of logged client operations. Safe for concurrent
// use.
class OpLog {
 public:
  OpLog();
  // Traces `op` (TraceKvOperation) and adds it to the history.
  void Append(const KvOperation& op);
  // A copy of the history so far.
  std::vector<KvOperation> Read();

 private:
  labrpc::Mutex mu_{"oplog"};
  std::vector<KvOperation> ops_;
};

// The checker's time budget (Go's linearizabilityCheckTimeout); past it the
// verdict is "unknown".
inline constexpr std::chrono::seconds kLinearizabilityCheckTimeout{1};
// When the whole history times out, CheckKvHistory checks prefixes of it
// (by call time) of kPrefixOps, then a quarter as many, down to
// kMinPrefixOps operations, each with the same budget, until one gets a
// verdict.
inline constexpr size_t kPrefixOps = 4000;
inline constexpr size_t kMinPrefixOps = 250;

// Checks `history` for linearizability (KV model, 1 s budget).
// - Illegal: writes the HTML picture (titled `title`, with `faults` drawn)
//   to a fresh $TMPDIR/<file_stem>-XXXXXX.html, prints its path and, if
//   fail_if_illegal, fails the test with "history is not linearizable".
// - Unknown: prints the original's info line, then, stricter than the
//   original, checks call-time prefixes (see kPrefixOps): an Illegal prefix
//   is handled as above; an Ok prefix, or none that finishes in time, passes.
// With env LAB_LINEARIZABILITY_HTML=1 the picture is written whatever the
// verdict. Returns the verdict.
linearizability::CheckResult CheckKvHistory(
    const std::vector<KvOperation>& history, const std::string& title,
    const std::vector<linearizability::Fault>& faults,
    const std::string& file_stem, bool fail_if_illegal = true);

}  // namespace raftlab_test

#endif  // RAFTLAB_TESTS_HARNESS_HISTORY_H_
