// The KV history and its linearizability check; see harness_history.h.
#include "tests/harness_history.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "labrpc/runtime.h"
#include "labrpc/trace.h"
#include "linearizability/checker.h"
#include "linearizability/prefix.h"
#include "tests/test_world.h"

namespace raftlab_test {

using linearizability::CheckResult;

namespace {

// A fresh file $TMPDIR/<stem>-XXXXXX.html (or under /tmp), like Go's
// ioutil.TempFile("", "*.html"). Empty on failure.
std::string TempHtmlPath(const std::string& stem) {
  const char* dir = std::getenv("TMPDIR");
  return FreshHtmlPath(dir != nullptr && *dir ? dir : "/tmp", stem);
}

bool HtmlRequested() {
  const char* v = std::getenv("LAB_LINEARIZABILITY_HTML");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

// Writes the picture of a checked history to a fresh temp file and prints
// its path (or why it could not).
void WritePicture(const std::vector<KvOperation>& history,
                  const linearizability::LinearizationInfo& info,
                  const std::string& title,
                  const std::vector<linearizability::Fault>& faults,
                  const std::string& file_stem) {
  const std::string path = TempHtmlPath(file_stem);
  if (path.empty()) {
    std::printf("info: failed to create temp file for visualization: %s\n",
                std::strerror(errno));
    std::fflush(stdout);
    return;
  }
  try {
    linearizability::VisualizationData data =
        linearizability::MakeVisualization(linearizability::KvModel{}, history,
                                           info, faults);
    data.title = title;
    std::string error;
    if (linearizability::WriteHtmlFile(path, data, &error)) {
      std::printf("info: wrote history visualization to %s\n", path.c_str());
    } else {
      std::printf("info: failed to write history visualization to %s: %s\n",
                  path.c_str(), error.c_str());
    }
  } catch (const std::exception& e) {
    std::printf("info: failed to write history visualization: %s\n", e.what());
  }
  std::fflush(stdout);
}

// `s` in double quotes, with " and \ escaped and at most 48 characters.
std::string TraceQuote(const std::string& s) {
  constexpr size_t kShown = 48;
  std::string out = "\"";
  for (char c : s.substr(0, kShown)) {
    if (c == '"' || c == '\\') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  out += '"';
  if (s.size() > kShown) out += labrpc::Sprintf("...(%zu chars)", s.size());
  return out;
}

}  // namespace

OpLog::OpLog() = default;

void OpLog::Append(const KvOperation& op) {
  TraceKvOperation(op);
  labrpc::MutexLock l(mu_);
  ops_.push_back(op);
}

std::vector<KvOperation> OpLog::Read() {
  labrpc::MutexLock l(mu_);
  return ops_;
}

void TraceKvOperation(const KvOperation& op) {
  if (!labrpc::TraceAnyEnabled() || !labrpc::TraceEnabled("op")) return;
  const long long us = op.call / 1000;
  std::string what;
  switch (op.input.op) {
    case linearizability::KvOp::kGet:
      what = "get " + TraceQuote(op.input.key) + " -> " +
             TraceQuote(op.output.value);
      break;
    case linearizability::KvOp::kPut:
      what =
          "put " + TraceQuote(op.input.key) + " " + TraceQuote(op.input.value);
      break;
    case linearizability::KvOp::kAppend:
      what = "append " + TraceQuote(op.input.key) + " " +
             TraceQuote(op.input.value);
      break;
  }
  LAB_TRACE("op", -1, "C%d call %06lld.%03lld %s", op.client_id, us / 1000,
            us % 1000, what.c_str());
}

CheckResult CheckKvHistory(const std::vector<KvOperation>& history,
                           const std::string& title,
                           const std::vector<linearizability::Fault>& faults,
                           const std::string& file_stem, bool fail_if_illegal) {
  // Seconds of pure computation, by design (the budgets above).
  const labrpc::CpuBoundSection cpu_bound;
  const linearizability::KvModel model;
  linearizability::LinearizationInfo info;
  CheckResult res = linearizability::CheckOperationsVerbose(
      model, history, kLinearizabilityCheckTimeout, &info);
  if (res == CheckResult::kIllegal || HtmlRequested()) {
    WritePicture(history, info, title, faults, file_stem);
  }
  if (res == CheckResult::kUnknown) {
    // As the original says on a time-out; the budget may also be memory.
    std::printf("info: linearizability check %s, assuming history is ok\n",
                info.stop == linearizability::StopReason::kMemoryLimit
                    ? "reached its memory budget"
                    : "timed out");
    // The original stops here, which lets a huge history (e.g. of a clerk
    // that answers without asking any server) pass unchecked. Stricter:
    // check ever shorter prefixes, each with the same budget, until one
    // gets a verdict. A linearizable history has only linearizable prefixes.
    for (size_t k = std::min(kPrefixOps, history.size() / 2);
         k >= kMinPrefixOps; k /= 4) {
      const std::vector<KvOperation> prefix =
          linearizability::CallTimePrefix(history, k);
      linearizability::LinearizationInfo prefix_info;
      const CheckResult prefix_res = linearizability::CheckOperationsVerbose(
          model, prefix, kLinearizabilityCheckTimeout, &prefix_info);
      if (prefix_res == CheckResult::kUnknown) continue;
      std::printf(
          "info: the first %zu of %zu operations (by call time) are "
          "%slinearizable\n",
          k, history.size(), prefix_res == CheckResult::kOk ? "" : "not ");
      if (prefix_res == CheckResult::kIllegal) {
        res = CheckResult::kIllegal;
        WritePicture(prefix, prefix_info, title, faults, file_stem);
      }
      break;
    }
    std::fflush(stdout);
  }
  if (res == CheckResult::kIllegal && fail_if_illegal) {
    Fatal("history is not linearizable");
  }
  return res;
}

}  // namespace raftlab_test
