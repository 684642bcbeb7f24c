// Helpers the test harnesses share (raft_config, kv_config,
// shardctrler_config, shardkv_config): Go's randstring and random_handles,
// and the linearizability check of a KV history with its HTML picture.
#ifndef RAFTLAB_TESTS_HARNESS_UTIL_H_
#define RAFTLAB_TESTS_HARNESS_UTIL_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "labrpc/network.h"
#include "linearizability/info.h"
#include "linearizability/kv_model.h"
#include "linearizability/operation.h"
#include "linearizability/visualization.h"

namespace raftlab_test {

// Go's randstring(n): n random characters of the base64-URL alphabet, from
// the runtime's seeded source.
std::string RandString(int n);

// Go's random_handles: a shuffled copy of `ends`, so that a clerk's end i
// need not reach server i.
std::vector<std::shared_ptr<labrpc::ClientEnd>> RandomHandles(
    std::vector<std::shared_ptr<labrpc::ClientEnd>> ends);

// The faults a harness injects, with their times on the world's clock, for
// the history picture. Not synchronized: the harness guards it with its own
// mutex.
class FaultLog {
 public:
  // Starts a fault labelled `label` now; returns its handle.
  int Open(const std::string& label);
  // Ends the fault *handle now, if it is open (>= 0), and sets it to -1.
  void Close(int* handle);
  // An instantaneous event (e.g. a join or leave).
  void Event(const std::string& label);
  const std::vector<linearizability::Fault>& faults() const { return faults_; }

 private:
  std::vector<linearizability::Fault> faults_;
};

// One recorded clerk call, for the linearizability checker. Times are
// nanoseconds on the world's clock.
using KvOperation = linearizability::Operation<linearizability::KvInput,
                                               linearizability::KvOutput>;

// Traces a finished clerk call (topic "op", at its return time), with its
// call time, so that a trace's timeline can draw it as a bar. Long values
// are cut: the bar needs the operation, not the whole value.
void TraceKvOperation(const KvOperation& op);

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

#endif  // RAFTLAB_TESTS_HARNESS_UTIL_H_
