// lincheck_example: writes an example key/value history with a stale read,
// recorded under faults, as PREFIX.txt (raftlab text format) and its
// picture as PREFIX.html. Deterministic (fixed seed), so the build can
// reproduce the README's example picture:
//
//   lincheck_example build/lincheck-example
//   lincheck --html again.html build/lincheck-example.txt   # the same page
//
// The simulated service is linearizable except that, while a partition
// keeps the old leader in a minority, one client keeps talking to it and
// reads values as they were when the partition began.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "linearizability/checker.h"
#include "linearizability/kv_model.h"
#include "linearizability/text_format.h"
#include "linearizability/visualization.h"

namespace lin = linearizability;

namespace {

constexpr lin::Time kMs = 1'000'000;  // times are nanoseconds

struct Planned {
  lin::KvOperation op;
  lin::Time point;  // where it takes effect, inside [call, ret]
};

std::vector<lin::KvOperation> Generate(const std::vector<lin::Fault>& faults) {
  std::mt19937_64 rng(20240601);
  auto uniform = [&](lin::Time lo, lin::Time hi) {
    return std::uniform_int_distribution<lin::Time>(lo, hi)(rng);
  };
  const lin::Fault& partition = faults[1];
  const int kClients = 4;
  const lin::Time kEnd = 1500 * kMs;
  const int kStaleClient = 3;
  std::vector<Planned> plan;
  for (int c = 0; c < kClients; c++) {
    lin::Time t = uniform(0, 10 * kMs);
    for (int j = 0; t < kEnd; j++) {
      Planned p;
      p.op.client_id = c;
      p.op.call = t;
      lin::Time d = uniform(8 * kMs, 45 * kMs);
      // Calls that start in a partition wait for a new leader.
      if (t >= partition.start && t < *partition.end && c != kStaleClient) {
        d += uniform(20 * kMs, 120 * kMs);
      }
      p.op.ret = t + d;
      p.point = uniform(t, p.op.ret);
      p.op.input.key = uniform(0, 1) ? "a" : "b";
      int r = static_cast<int>(uniform(0, 99));
      if (r < 50) {
        p.op.input.op = lin::KvOp::kAppend;
        p.op.input.value =
            "x " + std::to_string(c) + " " + std::to_string(j) + " y";
      } else if (r < 58) {
        p.op.input.op = lin::KvOp::kPut;
        p.op.input.value =
            "x " + std::to_string(c) + " " + std::to_string(j) + " y";
      } else {
        p.op.input.op = lin::KvOp::kGet;
      }
      plan.push_back(p);
      t = p.op.ret + uniform(0, 15 * kMs);
    }
  }
  // Apply in effect order; remember the store as the partition began.
  std::sort(plan.begin(), plan.end(), [](const Planned& a, const Planned& b) {
    return a.point < b.point;
  });
  std::map<std::string, std::string> store, at_partition;
  bool frozen = false;
  for (Planned& p : plan) {
    if (!frozen && p.point >= partition.start) {
      at_partition = store;
      frozen = true;
    }
    std::string& v = store[p.op.input.key];
    switch (p.op.input.op) {
      case lin::KvOp::kGet: {
        bool stale = p.op.client_id == kStaleClient &&
                     p.op.call >= partition.start && p.op.call < *partition.end;
        p.op.output.value = stale ? at_partition[p.op.input.key] : v;
        break;
      }
      case lin::KvOp::kPut:
        v = p.op.input.value;
        break;
      case lin::KvOp::kAppend:
        v += p.op.input.value;
        break;
    }
  }
  std::vector<lin::KvOperation> ops;
  for (const Planned& p : plan) ops.push_back(p.op);
  std::sort(ops.begin(), ops.end(),
            [](const lin::KvOperation& a, const lin::KvOperation& b) {
              return a.call < b.call;
            });
  return ops;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: lincheck_example PREFIX\n");
    return 2;
  }
  const std::string prefix = argv[1];
  const std::vector<lin::Fault> faults = {
      {200 * kMs, 650 * kMs, "unreliable network"},
      {800 * kMs, 1150 * kMs, "partition [0 1 2] [3 4]: leader 4 in minority"},
      {1220 * kMs, 1330 * kMs, "S1 down"},
      {1400 * kMs, 1400 * kMs, "S3 restarted"},
      {1440 * kMs, std::nullopt, "unreliable network"},
  };
  std::vector<lin::KvOperation> ops = Generate(faults);

  std::ofstream txt(prefix + ".txt");
  lin::WriteTextHistory(txt, ops, faults, "ns");
  txt.close();

  lin::LinearizationInfo info;
  lin::CheckResult r = lin::CheckOperationsVerbose(
      lin::KvModel{}, ops, std::chrono::seconds(10), &info);
  lin::VisualizationData data =
      lin::MakeVisualization(lin::KvModel{}, ops, info, faults);
  data.title = "lincheck example: a stale read during a partition";
  std::string error;
  if (!txt || !lin::WriteHtmlFile(prefix + ".html", data, &error)) {
    std::fprintf(stderr, "lincheck_example: cannot write %s.*\n",
                 prefix.c_str());
    return 2;
  }
  std::printf("%zu operations, verdict %s\nwrote %s.txt and %s.html\n",
              ops.size(), lin::ToString(r), prefix.c_str(), prefix.c_str());
  return r == lin::CheckResult::kIllegal ? 0 : 1;
}
