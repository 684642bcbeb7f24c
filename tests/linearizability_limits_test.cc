// Tests of the checker at its limits and on bad input: the memory budget
// (linearizability/memory_budget.h) ends a search cleanly as kUnknown, its
// partitions share it and give back what they reserved; the readers reject
// a return that does not answer its call, and binary data. lincheck's exit
// status on bad files is tested by tests/lincheck_rejects.sh.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "linearizability/checker.h"
#include "linearizability/history_format.h"
#include "linearizability/kv_model.h"
#include "linearizability/lex.h"
#include "linearizability/memory_budget.h"
#include "linearizability/porcupine_format.h"
#include "linearizability/search.h"
#include "linearizability/text_format.h"

namespace lin = linearizability;

namespace {

// The checker knows nothing of the runtime: its budgets are wall time on
// the steady clock, so its tests time it on the same clock.
using Clock = std::chrono::steady_clock;

using lin::CheckResult;
using lin::KvOperation;
using lin::StopReason;
using std::chrono::seconds;

constexpr size_t kMiB = size_t{1} << 20;

KvOperation Op(int client, lin::Time call, lin::Time ret, lin::KvOp kind,
               const std::string& key, const std::string& value) {
  KvOperation op;
  op.client_id = client;
  op.call = call;
  op.ret = ret;
  op.input.op = kind;
  op.input.key = key;
  if (kind == lin::KvOp::kGet) {
    op.output.value = value;
  } else {
    op.input.value = value;
  }
  return op;
}

// n overlapping operations on one key, linearizable (each takes effect at
// its call): the search goes straight through, but every memo entry holds
// a set of n bits, so it needs about n * n / 8 bytes.
std::vector<KvOperation> LongOneKeyHistory(int n) {
  std::vector<KvOperation> h;
  std::string value;
  for (int i = 0; i < n; i++) {
    const lin::Time call = 10 * i, ret = call + 1 + (i * 37) % 80;
    if (i % 3 == 0) {
      h.push_back(Op(i % 8, call, ret, lin::KvOp::kGet, "k", value));
    } else {
      value = "v" + std::to_string(i);
      h.push_back(Op(i % 8, call, ret, lin::KvOp::kPut, "k", value));
    }
  }
  return h;
}

// 24 concurrent appends of distinct values on `key`, then a read no order
// explains: every subset of the appends is a new memo entry and every order
// a new state, so the search fills any budget.
std::vector<KvOperation> Exploding(const std::string& key, int client0) {
  std::vector<KvOperation> h;
  for (int i = 0; i < 24; i++) {
    h.push_back(Op(client0 + i, 0, 100, lin::KvOp::kAppend, key,
                   "<" + std::to_string(i) + ">"));
  }
  h.push_back(Op(client0 + 24, 200, 210, lin::KvOp::kGet, key, "nothing"));
  return h;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST(LinearizabilityLimits, BudgetReservesUpToItsLimit) {
  lin::MemoryBudget b(100);
  EXPECT_TRUE(b.TryReserve(60));
  EXPECT_FALSE(b.TryReserve(41));
  EXPECT_TRUE(b.TryReserve(40));
  b.Release(30);
  EXPECT_EQ(b.used(), 70u);
  EXPECT_EQ(b.peak(), 100u);
  b.Reserve(50);  // forced past the limit: nothing more fits
  EXPECT_FALSE(b.TryReserve(1));
  EXPECT_TRUE(lin::MemoryBudget(0).TryReserve(size_t{1} << 60));  // none
}

TEST(LinearizabilityLimits, GrowingAnArrayCountsBothCopies) {
  lin::MemoryBudget b(1000);
  std::vector<uint64_t> v;
  ASSERT_TRUE(lin::GrowWithin(v, 1, b));
  EXPECT_EQ(b.used(), v.capacity() * sizeof(uint64_t));
  v.resize(v.capacity());
  // 8 -> 16 elements needs 64 + 128 bytes at the moment of the copy.
  lin::MemoryBudget tight(64 + 127);
  std::vector<uint64_t> w;
  ASSERT_TRUE(lin::GrowWithin(w, 8, tight));
  w.resize(8);
  EXPECT_FALSE(lin::GrowWithin(w, 1, tight));
  EXPECT_EQ(w.capacity(), 8u);
}

TEST(LinearizabilityLimits, DefaultBudgetIsAQuarterOfPhysicalMemory) {
  const size_t ram = static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) *
                     static_cast<size_t>(sysconf(_SC_PAGESIZE));
  EXPECT_NEAR(static_cast<double>(lin::DefaultMemoryLimit()), ram / 4.0,
              static_cast<double>(sysconf(_SC_PAGESIZE)));
  EXPECT_EQ(lin::CheckLimits{}.memory_bytes, lin::DefaultMemoryLimit());
}

TEST(LinearizabilityLimits, LongOneKeyHistoryStopsAtTheBudget) {
  const std::vector<KvOperation> h = LongOneKeyHistory(20000);
  lin::CheckLimits limits;
  limits.timeout = seconds(5);  // only a safety net: the budget must stop it
  limits.memory_bytes = 4 * kMiB;
  lin::LinearizationInfo info;
  const auto start = Clock::now();
  EXPECT_EQ(lin::CheckOperations(lin::KvModel{}, h, limits, &info),
            CheckResult::kUnknown);
  const double took = SecondsSince(start);
  EXPECT_EQ(info.stop, StopReason::kMemoryLimit);
  ASSERT_EQ(info.partitions.size(), 1u);
  EXPECT_EQ(info.partitions[0].stop, StopReason::kMemoryLimit);
  EXPECT_LE(info.memory_peak, 4 * kMiB);
  EXPECT_GT(info.memory_peak, 3 * kMiB);  // it used what it had
  EXPECT_LT(took, 5.0);
  std::printf(
      "20000 ops, 4 MiB: unknown (memory budget) after %llu memo "
      "entries in %.3f s, peak %.2f MiB\n",
      static_cast<unsigned long long>(info.partitions[0].cache_entries), took,
      static_cast<double>(info.memory_peak) / kMiB);

  // With room for its n * n / 8 bytes the same history is checked.
  limits.memory_bytes = 256 * kMiB;
  EXPECT_EQ(lin::CheckOperations(lin::KvModel{}, h, limits, &info),
            CheckResult::kOk);
  EXPECT_EQ(info.stop, StopReason::kNone);
  EXPECT_GT(info.memory_peak, 40 * kMiB);
}

TEST(LinearizabilityLimits, ExplodingSearchStopsAtTheBudgetVerboseToo) {
  const std::vector<KvOperation> h = Exploding("k", 0);
  lin::CheckLimits limits;
  limits.timeout = seconds(5);
  limits.memory_bytes = 8 * kMiB;
  for (bool verbose : {false, true}) {
    lin::LinearizationInfo info;
    const auto start = Clock::now();
    const CheckResult r =
        verbose ? lin::CheckOperationsVerbose(lin::KvModel{}, h, limits, &info)
                : lin::CheckOperations(lin::KvModel{}, h, limits, &info);
    const double took = SecondsSince(start);
    EXPECT_EQ(r, CheckResult::kUnknown) << verbose;
    EXPECT_EQ(info.stop, StopReason::kMemoryLimit) << verbose;
    EXPECT_LE(info.memory_peak, 8 * kMiB) << verbose;
    EXPECT_LT(took, 10.0) << verbose;
    std::printf(
        "24 appends, 8 MiB, %s: unknown (memory budget) after %llu "
        "steps in %.3f s\n",
        verbose ? "verbose" : "plain",
        static_cast<unsigned long long>(info.partitions[0].steps), took);
  }
}

TEST(LinearizabilityLimits, OtherPartitionsGoOnAfterOneReachesTheBudget) {
  std::vector<KvOperation> h = Exploding("hard", 0);
  h.push_back(Op(30, 0, 10, lin::KvOp::kPut, "easy", "1"));
  h.push_back(Op(31, 20, 30, lin::KvOp::kGet, "easy", "1"));
  lin::CheckLimits limits;
  limits.timeout = seconds(5);
  limits.memory_bytes = 8 * kMiB;
  lin::LinearizationInfo info;
  EXPECT_EQ(lin::CheckOperationsVerbose(lin::KvModel{}, h, limits, &info),
            CheckResult::kUnknown);
  EXPECT_EQ(info.stop, StopReason::kMemoryLimit);
  ASSERT_EQ(info.partitions.size(), 2u);
  EXPECT_EQ(info.partitions[0].key, "easy");
  EXPECT_EQ(info.partitions[0].result, CheckResult::kOk);
  EXPECT_EQ(info.partitions[1].stop, StopReason::kMemoryLimit);

  // An Illegal partition beside it decides the verdict.
  h.push_back(Op(32, 40, 50, lin::KvOp::kGet, "easy", "stale"));
  EXPECT_EQ(lin::CheckOperations(lin::KvModel{}, h, limits, &info),
            CheckResult::kIllegal);
  EXPECT_EQ(info.stop, StopReason::kNone);
}

TEST(LinearizabilityLimits, SearchGivesBackEverythingItReserved) {
  const std::vector<KvOperation> h = Exploding("k", 0);
  std::vector<const KvOperation*> ops;
  for (const KvOperation& op : h) ops.push_back(&op);
  const lin::KvModel model;
  for (size_t limit : {size_t{0}, 2 * kMiB}) {
    lin::MemoryBudget budget(limit);
    {
      lin::PartitionSearch<lin::KvModel> search(model, ops, true, budget);
      search.Run(Clock::now() + std::chrono::milliseconds(50));
      EXPECT_GT(budget.used(), 0u);
      EXPECT_EQ(search.out_of_memory(), limit != 0);
    }
    EXPECT_EQ(budget.used(), 0u) << limit;
  }
}

// --- Readers ----------------------------------------------------------------

std::string PorcupineError(const std::string& text) {
  std::istringstream in(text);
  try {
    lin::ReadPorcupineKvHistory(in, "kv");
  } catch (const lin::ParseError& e) {
    return e.what();
  }
  return "";
}

TEST(LinearizabilityLimits, PorcupineReturnMustAnswerItsCall) {
  const std::string get =
      "{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}\n";
  EXPECT_EQ(PorcupineError(get + "{:process 0, :type :ok, :f :put, :key "
                                 "\"1\", :value \"x\"}\n"),
            "kv:2: :ok :put does not match the :get pending for process 0");
  EXPECT_EQ(PorcupineError(get + "{:process 0, :type :info, :f :append, "
                                 ":key \"1\", :value \"x\"}\n"),
            "kv:2: :info :append does not match the :get pending for process "
            "0");
  EXPECT_EQ(PorcupineError(get + "{:process 0, :type :ok, :f :get, :key "
                                 "\"2\", :value \"x\"}\n"),
            "kv:2: :ok on another :key than the :get of \"1\" pending for "
            "process 0");
  EXPECT_EQ(PorcupineError(get + "{:process 0, :type :ok, :f :get, :key "
                                 "\"1\", :value \"x\"}\n"),
            "");
  // A return without :key (porcupine's own files always have one) is fine.
  EXPECT_EQ(PorcupineError(get + "{:process 0, :type :ok, :f :get, :value "
                                 "\"x\"}\n"),
            "");
}

TEST(LinearizabilityLimits, BinaryContentIsNoHistory) {
  EXPECT_EQ(lin::BinaryContentError("0 1 2 get k - v\n", "h"), "");
  EXPECT_EQ(lin::BinaryContentError(std::string("a\nb\nc\0d", 7), "h"),
            "h:3: a NUL byte: this is binary data, expected a text history "
            "file");
  for (lin::HistoryFormat f :
       {lin::HistoryFormat::kText, lin::HistoryFormat::kPorcupineKv,
        lin::HistoryFormat::kJepsen}) {
    EXPECT_NE(std::string(lin::FormatExample(f)).find('\''), std::string::npos);
  }
}

}  // namespace
