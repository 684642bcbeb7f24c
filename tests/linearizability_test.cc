// Tests of the linearizability checker (linearizability/): hand-made key/value
// and register histories, random histories against a brute-force checker,
// the time limit, a large generated history, every third-party history in
// testdata/linearizability with its known verdict, the file readers and
// the HTML picture. The checker is plain C++, so no test needs a World.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "linearizability/checker.h"
#include "linearizability/history_format.h"
#include "linearizability/jepsen_format.h"
#include "linearizability/kv_model.h"
#include "linearizability/lex.h"
#include "linearizability/porcupine_format.h"
#include "linearizability/prefix.h"
#include "linearizability/register_model.h"
#include "linearizability/text_format.h"
#include "linearizability/visualization.h"

#ifndef RAFTLAB_TESTDATA
#error "RAFTLAB_TESTDATA must name testdata/linearizability (set by CMake)"
#endif

namespace lin = linearizability;
using lin::CheckResult;
using lin::KvOp;
using lin::KvOperation;
using lin::RegisterOp;
using lin::RegisterOperation;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

// --- Building histories -----------------------------------------------------

KvOperation Get(int client, lin::Time call, lin::Time ret, std::string key,
                std::string read) {
  KvOperation op;
  op.client_id = client;
  op.call = call;
  op.ret = ret;
  op.input = {KvOp::kGet, std::move(key), ""};
  op.output.value = std::move(read);
  return op;
}

KvOperation Put(int client, lin::Time call, lin::Time ret, std::string key,
                std::string value) {
  KvOperation op;
  op.client_id = client;
  op.call = call;
  op.ret = ret;
  op.input = {KvOp::kPut, std::move(key), std::move(value)};
  return op;
}

KvOperation Append(int client, lin::Time call, lin::Time ret, std::string key,
                   std::string value) {
  KvOperation op = Put(client, call, ret, std::move(key), std::move(value));
  op.input.op = KvOp::kAppend;
  return op;
}

// A call that never returned: it may or may not have taken effect.
KvOperation Pending(KvOperation op) {
  op.pending = true;
  op.output.unknown = true;
  return op;
}

CheckResult CheckKv(const std::vector<KvOperation>& h) {
  return lin::CheckOperations(lin::KvModel{}, h);
}

RegisterOperation Reg(int client, lin::Time call, lin::Time ret, RegisterOp op,
                      int64_t a = 0, int64_t b = 0) {
  RegisterOperation o;
  o.client_id = client;
  o.call = call;
  o.ret = ret;
  o.input.op = op;
  if (op == RegisterOp::kWrite) o.input.value = a;
  if (op == RegisterOp::kCas) {
    o.input.from = a;
    o.input.to = b;
  }
  return o;
}

RegisterOperation Read(int client, lin::Time call, lin::Time ret,
                       std::optional<int64_t> v) {
  RegisterOperation o = Reg(client, call, ret, RegisterOp::kRead);
  o.output.value = v;
  return o;
}

RegisterOperation CasFailed(RegisterOperation o) {
  o.output.ok = false;
  return o;
}

CheckResult CheckRegister(const std::vector<RegisterOperation>& h) {
  return lin::CheckOperations(lin::RegisterModel{}, h);
}

// --- A brute-force checker --------------------------------------------------

// True if some order of all ops that respects real time (a before b when
// a.ret < b.call) is legal, trying every such order. `step` applies one op
// to the state and says whether it was legal.
template <class Op, class State, class StepFn>
bool BruteForce(const std::vector<Op>& h, State state, StepFn step,
                std::vector<bool>& used, size_t placed) {
  if (placed == h.size()) return true;
  for (size_t i = 0; i < h.size(); i++) {
    if (used[i]) continue;
    bool ready = true;
    for (size_t j = 0; j < h.size() && ready; j++) {
      if (!used[j] && j != i && !h[j].pending && h[j].ret < h[i].call) {
        ready = false;
      }
    }
    if (!ready) continue;
    State next = state;
    if (!step(next, h[i])) continue;
    used[i] = true;
    bool ok = BruteForce(h, next, step, used, placed + 1);
    used[i] = false;
    if (ok) return true;
  }
  return false;
}

// Brute force over all keys at once (a map), independent of partitioning.
bool BruteForceKv(const std::vector<KvOperation>& h) {
  std::vector<bool> used(h.size(), false);
  auto step = [](std::map<std::string, std::string>& s, const KvOperation& op) {
    auto next = lin::KvModel{}.Step(s[op.input.key], op.input, op.output);
    if (!next) return false;
    s[op.input.key] = *next;
    return true;
  };
  return BruteForce(h, std::map<std::string, std::string>{}, step, used, 0);
}

bool BruteForceRegister(const std::vector<RegisterOperation>& h) {
  std::vector<bool> used(h.size(), false);
  auto step = [](lin::RegisterModel::State& s, const RegisterOperation& op) {
    auto next = lin::RegisterModel{}.Step(s, op.input, op.output);
    if (!next) return false;
    s = *next;
    return true;
  };
  return BruteForce(h, lin::RegisterModel::State{}, step, used, 0);
}

// --- Generated histories ----------------------------------------------------

// A linearizable KV history: each op takes effect at a random point inside
// its interval, and gets read the value at that point.
// With short_values, puts and appends write "1" or "2" (so that random reads
// often match something); else "x <client> <i> y".
std::vector<KvOperation> GenerateKv(std::mt19937_64& rng, int nops,
                                    int nclients, int nkeys,
                                    lin::Time max_duration, lin::Time max_think,
                                    bool short_values = false) {
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  struct Planned {
    KvOperation op;
    lin::Time point;
  };
  std::vector<Planned> plan;
  std::vector<lin::Time> clock(nclients, 0);
  for (int i = 0; i < nops; i++) {
    int c = static_cast<int>(uniform(0, nclients - 1));
    Planned p;
    p.op.client_id = c;
    p.op.call = clock[c] + uniform(0, max_think);
    p.op.ret = p.op.call + uniform(0, max_duration);
    clock[c] = p.op.ret + 1;
    p.point = uniform(p.op.call, p.op.ret);
    p.op.input.key =
        std::string(1, static_cast<char>('a' + uniform(0, nkeys - 1)));
    int r = static_cast<int>(uniform(0, 99));
    p.op.input.op = r < 35 ? KvOp::kPut : r < 55 ? KvOp::kAppend : KvOp::kGet;
    if (p.op.input.op != KvOp::kGet) {
      p.op.input.value = short_values ? std::to_string(uniform(1, 2))
                                      : "x " + std::to_string(c) + " " +
                                            std::to_string(i) + " y";
    }
    plan.push_back(std::move(p));
  }
  std::stable_sort(
      plan.begin(), plan.end(),
      [](const Planned& a, const Planned& b) { return a.point < b.point; });
  std::map<std::string, std::string> store;
  std::vector<KvOperation> ops;
  for (Planned& p : plan) {
    auto next = lin::KvModel{}.Step(store[p.op.input.key], p.op.input, {});
    if (p.op.input.op == KvOp::kGet) {
      p.op.output.value = store[p.op.input.key];
    } else {
      store[p.op.input.key] = *next;
    }
    ops.push_back(std::move(p.op));
  }
  std::stable_sort(ops.begin(), ops.end(),
                   [](const KvOperation& a, const KvOperation& b) {
                     return a.call < b.call;
                   });
  return ops;
}

std::string DataDir() { return RAFTLAB_TESTDATA; }

// Fails the test (not skips it) when the test data folder is missing.
bool RequireDataDir() {
  if (std::filesystem::is_directory(DataDir() + "/kv") &&
      std::filesystem::is_directory(DataDir() + "/jepsen-etcd")) {
    return true;
  }
  ADD_FAILURE() << "the third-party histories are missing: expected "
                << DataDir() << "/kv and " << DataDir()
                << "/jepsen-etcd (testdata/ of the repository)";
  return false;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// --- Hand-made KV histories -------------------------------------------------

TEST(Linearizability, EmptyHistoryIsLinearizable) {
  EXPECT_EQ(CheckKv({}), CheckResult::kOk);
}

TEST(Linearizability, SequentialKv) {
  EXPECT_EQ(CheckKv({Put(0, 0, 10, "x", "1"), Get(1, 20, 30, "x", "1"),
                     Append(0, 40, 50, "x", "2"), Get(1, 60, 70, "x", "12")}),
            CheckResult::kOk);
  EXPECT_EQ(CheckKv({Put(0, 0, 10, "x", "1"), Get(1, 20, 30, "x", "2")}),
            CheckResult::kIllegal);
}

TEST(Linearizability, MissingKeyReadsEmptyAndAppendActsOnEmpty) {
  EXPECT_EQ(CheckKv({Get(0, 0, 1, "k", ""), Append(0, 2, 3, "k", "a"),
                     Get(1, 4, 5, "k", "a")}),
            CheckResult::kOk);
}

TEST(Linearizability, ConcurrentReadMaySeeEitherValue) {
  // The get overlaps the put: it may be ordered before or after it.
  EXPECT_EQ(CheckKv({Put(0, 0, 100, "x", "1"), Get(1, 10, 20, "x", "")}),
            CheckResult::kOk);
  EXPECT_EQ(CheckKv({Put(0, 0, 100, "x", "1"), Get(1, 10, 20, "x", "1")}),
            CheckResult::kOk);
}

TEST(Linearizability, StaleReadIsIllegal) {
  // The put completed before the get began, so "" is stale.
  EXPECT_EQ(CheckKv({Put(0, 0, 10, "x", "1"), Put(0, 20, 30, "x", "2"),
                     Get(1, 40, 50, "x", "1")}),
            CheckResult::kIllegal);
}

TEST(Linearizability, ReadsMustAgreeOnTheOrderOfConcurrentAppends) {
  std::vector<KvOperation> h = {Append(0, 0, 100, "x", "A"),
                                Append(1, 0, 100, "x", "B"),
                                Get(2, 110, 120, "x", "BA")};
  EXPECT_EQ(CheckKv(h), CheckResult::kOk);
  h.push_back(Get(3, 130, 140, "x", "AB"));
  EXPECT_EQ(CheckKv(h), CheckResult::kIllegal);
}

TEST(Linearizability, ReadsMustNotGoBackInTime) {
  // Two reads during a long put: once one sees the new value, a later one
  // cannot see the old one.
  EXPECT_EQ(CheckKv({Put(0, 0, 100, "x", "1"), Get(1, 10, 20, "x", "1"),
                     Get(2, 30, 40, "x", "")}),
            CheckResult::kIllegal);
  EXPECT_EQ(CheckKv({Put(0, 0, 100, "x", "1"), Get(1, 10, 20, "x", ""),
                     Get(2, 30, 40, "x", "1")}),
            CheckResult::kOk);
}

TEST(Linearizability, EqualTimesOverlap) {
  // A call at the instant of another's return may be ordered before it.
  EXPECT_EQ(CheckKv({Put(0, 0, 10, "x", "1"), Get(1, 10, 20, "x", "")}),
            CheckResult::kOk);
  EXPECT_EQ(CheckKv({Put(0, 0, 10, "x", "1"), Get(1, 11, 20, "x", "")}),
            CheckResult::kIllegal);
}

TEST(Linearizability, KeysAreIndependentPartitions) {
  std::vector<KvOperation> h = {
      Put(0, 0, 10, "x", "1"), Put(1, 0, 10, "y", "2"),
      Get(2, 20, 30, "x", "1"), Get(2, 40, 50, "y", "1")};
  lin::LinearizationInfo info;
  EXPECT_EQ(lin::CheckOperationsVerbose(lin::KvModel{}, h, seconds(0), &info),
            CheckResult::kIllegal);
  ASSERT_EQ(info.partitions.size(), 2u);
  EXPECT_EQ(info.partitions[0].key, "x");
  EXPECT_EQ(info.partitions[0].result, CheckResult::kOk);
  EXPECT_EQ(info.partitions[1].key, "y");
  EXPECT_EQ(info.partitions[1].result, CheckResult::kIllegal);
  EXPECT_EQ(lin::CountPartitions(lin::KvModel{}, h), 2u);
}

TEST(Linearizability, PendingCallMayOrMayNotTakeEffect) {
  EXPECT_EQ(
      CheckKv({Pending(Put(0, 0, 0, "x", "1")), Get(1, 10, 20, "x", "1")}),
      CheckResult::kOk);
  EXPECT_EQ(CheckKv({Pending(Put(0, 0, 0, "x", "1")), Get(1, 10, 20, "x", "")}),
            CheckResult::kOk);
  // ...but not before it was called, and not twice.
  EXPECT_EQ(CheckKv({Get(1, 0, 5, "x", "1"), Pending(Put(0, 10, 0, "x", "1"))}),
            CheckResult::kIllegal);
  EXPECT_EQ(CheckKv({Pending(Append(0, 0, 0, "x", "a")),
                     Get(1, 10, 20, "x", "a"), Get(1, 30, 40, "x", "aa")}),
            CheckResult::kIllegal);
}

TEST(Linearizability, ReturnBeforeCallIsRejected) {
  EXPECT_THROW(CheckKv({Put(0, 10, 5, "x", "1")}), std::invalid_argument);
}

TEST(Linearizability, VerboseInfoOfIllegalHistory) {
  // put 1; put 2; get -> 1 (stale).
  std::vector<KvOperation> h = {Put(0, 0, 10, "x", "1"),
                                Put(0, 20, 30, "x", "2"),
                                Get(1, 40, 50, "x", "1")};
  lin::LinearizationInfo info;
  ASSERT_EQ(lin::CheckOperationsVerbose(lin::KvModel{}, h, seconds(1), &info),
            CheckResult::kIllegal);
  ASSERT_EQ(info.partitions.size(), 1u);
  const lin::PartitionInfo& p = info.partitions[0];
  ASSERT_FALSE(p.partials.empty());
  EXPECT_EQ(p.partials[0], (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(p.failing_op, 2);
  EXPECT_EQ(p.largest[0], 0);
  EXPECT_EQ(p.largest[2], -1);
}

TEST(Linearizability, VerboseInfoOfLinearizableHistory) {
  std::vector<KvOperation> h = {Append(0, 0, 100, "x", "A"),
                                Append(1, 0, 100, "x", "B"),
                                Get(2, 110, 120, "x", "BA")};
  lin::LinearizationInfo info;
  ASSERT_EQ(lin::CheckOperationsVerbose(lin::KvModel{}, h, seconds(1), &info),
            CheckResult::kOk);
  const lin::PartitionInfo& p = info.partitions[0];
  ASSERT_EQ(p.partials.size(), 1u);
  EXPECT_EQ(p.partials[0], (std::vector<uint32_t>{1, 0, 2}));
  EXPECT_EQ(p.largest, (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(p.failing_op, -1);
}

TEST(Linearizability, EventsAreCheckedLikeOperations) {
  using E = lin::Event<lin::KvInput, lin::KvOutput>;
  std::vector<E> events = {
      {0, lin::EventKind::kCall, {KvOp::kPut, "x", "1"}, {}, 0},
      {1, lin::EventKind::kCall, {KvOp::kGet, "x", ""}, {}, 1},
      {1, lin::EventKind::kReturn, {}, {"1", false}, 1},
      {0, lin::EventKind::kReturn, {}, {}, 0},
      {1, lin::EventKind::kCall, {KvOp::kGet, "x", ""}, {}, 2},
      {1, lin::EventKind::kReturn, {}, {"", false}, 2},
  };
  EXPECT_EQ(lin::CheckEvents(lin::KvModel{}, events), CheckResult::kIllegal);
  events[5].output.value = "1";
  EXPECT_EQ(lin::CheckEvents(lin::KvModel{}, events), CheckResult::kOk);
  // A call without a return is pending.
  events.pop_back();
  auto ops = lin::EventsToOperations(events);
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_TRUE(ops[2].pending);
  EXPECT_EQ(ops[1].call, 1);
  EXPECT_EQ(ops[1].ret, 2);
  events.push_back({1, lin::EventKind::kReturn, {}, {}, 9});
  EXPECT_THROW(lin::EventsToOperations(events), std::invalid_argument);
}

// --- The register model -----------------------------------------------------

TEST(Linearizability, RegisterModel) {
  EXPECT_EQ(
      CheckRegister({Read(0, 0, 1, std::nullopt),
                     Reg(0, 2, 3, RegisterOp::kWrite, 5),
                     Reg(1, 4, 5, RegisterOp::kCas, 5, 6), Read(2, 6, 7, 6)}),
      CheckResult::kOk);
  // A successful cas needs a matching value; a failed one a different value.
  EXPECT_EQ(CheckRegister({Reg(0, 0, 1, RegisterOp::kWrite, 1),
                           Reg(1, 2, 3, RegisterOp::kCas, 2, 3)}),
            CheckResult::kIllegal);
  EXPECT_EQ(CheckRegister({Reg(0, 0, 1, RegisterOp::kWrite, 1),
                           CasFailed(Reg(1, 2, 3, RegisterOp::kCas, 2, 3))}),
            CheckResult::kOk);
  EXPECT_EQ(CheckRegister({Reg(0, 0, 1, RegisterOp::kWrite, 2),
                           CasFailed(Reg(1, 2, 3, RegisterOp::kCas, 2, 3))}),
            CheckResult::kIllegal);
  // An unknown cas swaps when its compare succeeds, wherever it is placed.
  RegisterOperation unknown_cas = Reg(1, 2, 0, RegisterOp::kCas, 1, 7);
  unknown_cas.pending = true;
  unknown_cas.output.unknown = true;
  EXPECT_EQ(CheckRegister({Reg(0, 0, 1, RegisterOp::kWrite, 1), unknown_cas,
                           Read(2, 10, 11, 7)}),
            CheckResult::kOk);
  EXPECT_EQ(CheckRegister({Reg(0, 0, 1, RegisterOp::kWrite, 2), unknown_cas,
                           Read(2, 10, 11, 7)}),
            CheckResult::kIllegal);
  // A timed-out read accepts anything inside its window.
  RegisterOperation timed_out = Read(1, 2, 3, 99);
  timed_out.output.unknown = true;
  EXPECT_EQ(CheckRegister({Reg(0, 0, 1, RegisterOp::kWrite, 1), timed_out}),
            CheckResult::kOk);
}

// --- Random histories against the brute-force checker ----------------------

TEST(Linearizability, RandomKvHistoriesAgreeWithBruteForce) {
  std::mt19937_64 rng(0x5eed1);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const std::vector<std::string> reads = {"", "1", "2", "12", "21", "22", "3"};
  int ok = 0, illegal = 0;
  for (int iter = 0; iter < 400; iter++) {
    std::vector<KvOperation> h =
        GenerateKv(rng, static_cast<int>(uniform(1, 7)), 3,
                   static_cast<int>(uniform(1, 2)), 6, 4, true);
    for (KvOperation& op : h) {
      int r = static_cast<int>(uniform(0, 99));
      if (op.input.op == KvOp::kGet && r < 60) {
        op.output.value = reads[uniform(0, reads.size() - 1)];
      } else if (r < 8) {
        op = Pending(op);
      }
    }
    const bool expected = BruteForceKv(h);
    const CheckResult got = CheckKv(h);
    ASSERT_EQ(got, expected ? CheckResult::kOk : CheckResult::kIllegal)
        << "history " << iter;
    lin::LinearizationInfo info;
    ASSERT_EQ(lin::CheckOperationsVerbose(lin::KvModel{}, h, seconds(0), &info),
              got);
    (expected ? ok : illegal)++;
  }
  // Both verdicts must be well represented for the comparison to mean much.
  EXPECT_GT(ok, 80);
  EXPECT_GT(illegal, 80);
}

// --- Prefixes by call time ---------------------------------------------------

TEST(Linearizability, CallTimePrefixMakesStraddlingCallsPending) {
  // A put still running when the first left-out get is called.
  std::vector<KvOperation> h = {Get(1, 20, 21, "k", "1"),
                                Put(0, 0, 30, "k", "1"),
                                Put(2, 5, 8, "j", "2")};
  std::vector<KvOperation> p = lin::CallTimePrefix(h, 2);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].input.key, "k");  // call-time order: the put at 0 first
  EXPECT_TRUE(p[0].pending);
  EXPECT_TRUE(p[0].output.unknown);
  EXPECT_EQ(p[1].input.key, "j");  // returned at 8 < 20: stays complete
  EXPECT_FALSE(p[1].pending);
  EXPECT_EQ(p[1].ret, 8);
  EXPECT_THROW(lin::CallTimePrefix(h, 3), std::out_of_range);
}

TEST(Linearizability, CallTimePrefixesOfRandomHistories) {
  // Soundness: every prefix of a linearizable history is linearizable, so
  // an illegal prefix proves the whole history illegal. Usefulness: the
  // prefixes do catch many illegal histories.
  std::mt19937_64 rng(0x9ef1);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const std::vector<std::string> reads = {"", "1", "2", "12", "21", "22"};
  int ok_histories = 0, caught_by_prefix = 0;
  for (int iter = 0; iter < 300; iter++) {
    std::vector<KvOperation> h = GenerateKv(rng, 8, 3, 2, 6, 4, true);
    for (KvOperation& op : h) {
      if (op.input.op == KvOp::kGet && uniform(0, 99) < 30) {
        op.output.value = reads[uniform(0, reads.size() - 1)];
      }
    }
    const bool linearizable = BruteForceKv(h);
    ok_histories += linearizable;
    bool prefix_illegal = false;
    for (size_t k = 1; k < h.size(); k++) {
      const CheckResult r = CheckKv(lin::CallTimePrefix(h, k));
      if (linearizable) {
        ASSERT_EQ(r, CheckResult::kOk) << "history " << iter << " k=" << k;
      }
      prefix_illegal |= r == CheckResult::kIllegal;
    }
    caught_by_prefix += prefix_illegal;
  }
  EXPECT_GT(ok_histories, 50);
  EXPECT_GT(caught_by_prefix, 50);
}

TEST(Linearizability, RandomRegisterHistoriesAgreeWithBruteForce) {
  std::mt19937_64 rng(0x5eed2);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  int ok = 0, illegal = 0;
  for (int iter = 0; iter < 400; iter++) {
    std::vector<RegisterOperation> h;
    int n = static_cast<int>(uniform(1, 7));
    for (int i = 0; i < n; i++) {
      RegisterOperation o;
      o.client_id = i % 3;
      o.call = uniform(0, 10);
      o.ret = o.call + uniform(0, 5);
      o.input.op = static_cast<RegisterOp>(uniform(0, 2));
      o.input.value = uniform(0, 2);
      o.input.from = uniform(0, 2);
      o.input.to = uniform(0, 2);
      int64_t v = uniform(-1, 2);
      if (v >= 0) o.output.value = v;
      o.output.ok = uniform(0, 1) == 1;
      int r = static_cast<int>(uniform(0, 99));
      if (r < 8) {
        o.pending = true;
        o.output.unknown = true;
      } else if (r < 14) {
        o.output.unknown = true;
      }
      h.push_back(o);
    }
    const bool expected = BruteForceRegister(h);
    ASSERT_EQ(CheckRegister(h),
              expected ? CheckResult::kOk : CheckResult::kIllegal)
        << "history " << iter;
    (expected ? ok : illegal)++;
  }
  EXPECT_GT(ok, 80);
  EXPECT_GT(illegal, 80);
}

// --- Time limit and size ----------------------------------------------------

// 24 concurrent appends of distinct values, then a read no order explains:
// every order of the appends is a different state, so the search would take
// far longer than the universe has.
std::vector<KvOperation> Pathological() {
  std::vector<KvOperation> h;
  for (int i = 0; i < 24; i++)
    h.push_back(Append(i, 0, 100, "x", std::to_string(i) + ","));
  h.push_back(Get(30, 200, 210, "x", "impossible"));
  return h;
}

TEST(Linearizability, TimeLimitGivesUnknown) {
  std::vector<KvOperation> h = Pathological();
  EXPECT_EQ(lin::CheckOperations(lin::KvModel{}, h, milliseconds(20)),
            CheckResult::kUnknown);
  lin::LinearizationInfo info;
  EXPECT_EQ(
      lin::CheckOperationsVerbose(lin::KvModel{}, h, milliseconds(20), &info),
      CheckResult::kUnknown);
  ASSERT_EQ(info.partitions.size(), 1u);
  EXPECT_EQ(info.partitions[0].result, CheckResult::kUnknown);
  EXPECT_FALSE(info.partitions[0].partials.empty());
}

TEST(Linearizability, EasyIllegalPartitionIsFoundBesideAHardOne) {
  // Partitions take turns, so the hard one cannot hide the easy failure,
  // even though the easy one is bigger and so is searched after it.
  std::vector<KvOperation> h = Pathological();
  for (int i = 0; i < 40; i++) {
    h.push_back(Put(0, 300 + 10 * i, 305 + 10 * i, "y", std::to_string(i)));
  }
  h.push_back(Get(1, 800, 810, "y", "0"));
  lin::LinearizationInfo info;
  EXPECT_EQ(
      lin::CheckOperationsVerbose(lin::KvModel{}, h, milliseconds(200), &info),
      CheckResult::kIllegal);
  EXPECT_EQ(lin::CheckOperations(lin::KvModel{}, h, milliseconds(200)),
            CheckResult::kIllegal);
}

TEST(Linearizability, LargeGeneratedHistory) {
  std::mt19937_64 rng(42);
  std::vector<KvOperation> h = GenerateKv(rng, 8000, 10, 4, 100, 60);
  ASSERT_EQ(h.size(), 8000u);
  // Timings are printed for the record, not asserted.
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  };
  auto start = Clock::now();
  EXPECT_EQ(lin::CheckOperations(lin::KvModel{}, h, seconds(60)),
            CheckResult::kOk);
  const double plain = since(start);
  start = Clock::now();
  lin::LinearizationInfo info;
  EXPECT_EQ(lin::CheckOperationsVerbose(lin::KvModel{}, h, seconds(60), &info),
            CheckResult::kOk);
  const double verbose = since(start);
  // One stale read late in the history.
  for (size_t i = h.size() - 200; i < h.size(); i++) {
    if (h[i].input.op == KvOp::kGet) {
      h[i].output.value += "stale";
      break;
    }
  }
  start = Clock::now();
  EXPECT_EQ(lin::CheckOperations(lin::KvModel{}, h, seconds(60)),
            CheckResult::kIllegal);
  std::printf(
      "  8000 operations: plain check %.3f s, verbose %.3f s; with a stale "
      "read: %.3f s\n",
      plain, verbose, since(start));
}

// --- Third-party histories with known verdicts ------------------------------

TEST(Linearizability, PorcupineKvHistories) {
  if (!RequireDataDir()) return;
  int files = 0;
  for (const std::string name :
       {"c01-ok", "c01-bad", "c10-ok", "c10-bad", "c50-ok", "c50-bad"}) {
    const std::string path = DataDir() + "/kv/" + name + ".txt";
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    std::ifstream in(path);
    lin::KvHistory h = lin::ReadPorcupineKvHistory(in, path);
    const bool ok = name.find("-ok") != std::string::npos;
    EXPECT_EQ(lin::CheckOperations(lin::KvModel{}, h.ops, seconds(60)),
              ok ? CheckResult::kOk : CheckResult::kIllegal)
        << path;
    files++;
  }
  // Every file in the folder is one of the above.
  int present = 0;
  for (const auto& e : std::filesystem::directory_iterator(DataDir() + "/kv")) {
    if (e.path().extension() == ".txt") present++;
  }
  EXPECT_EQ(present, files);
}

TEST(Linearizability, PorcupineKvHistoriesVerbose) {
  if (!RequireDataDir()) return;
  for (const std::string name : {"c01-bad", "c10-bad"}) {
    const std::string path = DataDir() + "/kv/" + name + ".txt";
    std::ifstream in(path);
    lin::KvHistory h = lin::ReadPorcupineKvHistory(in, path);
    lin::LinearizationInfo info;
    ASSERT_EQ(
        lin::CheckOperationsVerbose(lin::KvModel{}, h.ops, seconds(60), &info),
        CheckResult::kIllegal)
        << path;
    bool some_failing_op = false;
    for (const lin::PartitionInfo& p : info.partitions) {
      if (p.result == CheckResult::kIllegal)
        some_failing_op |= p.failing_op >= 0;
    }
    EXPECT_TRUE(some_failing_op);
    lin::VisualizationData data =
        lin::MakeVisualization(lin::KvModel{}, h.ops, info);
    EXPECT_EQ(data.partitions.size(), info.partitions.size());
  }
}

TEST(Linearizability, JepsenEtcdHistories) {
  if (!RequireDataDir()) return;
  const std::string dir = DataDir() + "/jepsen-etcd";
  std::ifstream verdicts(dir + "/VERDICTS");
  ASSERT_TRUE(verdicts) << dir << "/VERDICTS is missing";
  std::map<std::string, std::string> expected;
  std::string file, verdict;
  while (verdicts >> file >> verdict) expected[file] = verdict;
  int checked = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".log") continue;
    const std::string name = e.path().filename().string();
    ASSERT_TRUE(expected.count(name)) << name << " has no verdict in VERDICTS";
    std::ifstream in(e.path());
    lin::RegisterHistory h = lin::ReadJepsenHistory(in, name);
    ASSERT_FALSE(h.ops.empty()) << name;
    const CheckResult want = expected[name] == "linearizable"
                                 ? CheckResult::kOk
                                 : CheckResult::kIllegal;
    EXPECT_EQ(lin::CheckOperations(lin::RegisterModel{}, h.ops, seconds(60)),
              want)
        << name;
    checked++;
  }
  EXPECT_EQ(checked, static_cast<int>(expected.size()));
  EXPECT_GE(checked, 51);
}

// --- File formats -----------------------------------------------------------

TEST(Linearizability, TextFormatReadsAndRoundTrips) {
  std::istringstream in(
      "# a comment\n"
      "unit ms\n"
      "fault 120 900 \"partition [0 1] [2 3 4]\"\n"
      "fault 450 - \"S2 down\"  # trailing comment\n"
      "\n"
      "0 100 130 put k \"x 0 0 y\" -\n"
      "1 110 140 get k - \"x 0 0 y\"\n"
      "2 150 - append \"key with space\" \"tab\\there \\\"q\\\" \\x41\" -\n"
      "3 160 170 get k - ?\n"
      "4 180 190 get k - -\n"
      "4 200 210 put k \"-\" -\n");
  lin::KvHistory h = lin::ReadTextHistory(in, "t");
  EXPECT_EQ(h.ticks_per_second, 1e3);
  ASSERT_EQ(h.faults.size(), 2u);
  EXPECT_EQ(h.faults[0].label, "partition [0 1] [2 3 4]");
  EXPECT_EQ(*h.faults[0].end, 900);
  EXPECT_FALSE(h.faults[1].end.has_value());
  ASSERT_EQ(h.ops.size(), 6u);
  EXPECT_EQ(h.ops[0].input.value, "x 0 0 y");
  EXPECT_EQ(h.ops[1].output.value, "x 0 0 y");
  EXPECT_TRUE(h.ops[2].pending);
  EXPECT_EQ(h.ops[2].input.key, "key with space");
  EXPECT_EQ(h.ops[2].input.value, "tab\there \"q\" A");
  EXPECT_TRUE(h.ops[3].output.unknown);
  EXPECT_EQ(h.ops[4].output.value, "");
  EXPECT_EQ(h.ops[5].input.value, "-");

  std::ostringstream out;
  lin::WriteTextHistory(out, h.ops, h.faults, "ms");
  std::istringstream again(out.str());
  lin::KvHistory h2 = lin::ReadTextHistory(again, "t2");
  ASSERT_EQ(h2.ops.size(), h.ops.size());
  for (size_t i = 0; i < h.ops.size(); i++) {
    EXPECT_EQ(h2.ops[i].input.key, h.ops[i].input.key) << i;
    EXPECT_EQ(h2.ops[i].input.value, h.ops[i].input.value) << i;
    EXPECT_EQ(h2.ops[i].output.value, h.ops[i].output.value) << i;
    EXPECT_EQ(h2.ops[i].output.unknown, h.ops[i].output.unknown) << i;
    EXPECT_EQ(h2.ops[i].pending, h.ops[i].pending) << i;
    EXPECT_EQ(h2.ops[i].call, h.ops[i].call) << i;
  }
  EXPECT_EQ(h2.faults[0].label, h.faults[0].label);
  EXPECT_EQ(h2.ticks_per_second, 1e3);
}

// The error message of reading `text` in raftlab text format ("" if none).
std::string TextError(const std::string& text) {
  std::istringstream in(text);
  try {
    lin::ReadTextHistory(in, "f.txt");
  } catch (const lin::ParseError& e) {
    return e.what();
  }
  return "";
}

TEST(Linearizability, TextFormatErrorsNameTheLine) {
  EXPECT_EQ(TextError("0 1 2 get k - v\n0 1 x get k - v\n"),
            "f.txt:2: return time must be an integer, not 'x'");
  EXPECT_EQ(TextError("\n\n0 1 2 frob k - v\n"),
            "f.txt:3: op must be get, put or append, not 'frob'");
  EXPECT_EQ(TextError("0 5 2 get k - v\n"),
            "f.txt:1: return time is before call time");
  EXPECT_EQ(TextError("0 1 2 get k - \"unterminated\n"),
            "f.txt:1: unterminated string");
  EXPECT_EQ(TextError("0 1 2 get k -\n"),
            "f.txt:1: expected 7 fields (client call return op key value "
            "output), got 6");
  EXPECT_EQ(
      TextError("0 1 - get k - v\n"),
      "f.txt:1: a pending get (return -) must have output ? (never seen)");
  EXPECT_EQ(TextError("unit parsecs\n"),
            "f.txt:1: a unit line is: unit ns|us|ms|s|none");
  EXPECT_EQ(TextError("0 1 2 get k - v\"w\n"),
            "f.txt:1: '\"' inside a bare word (quote the whole string)");
  EXPECT_EQ(TextError("0 1 2 get k - v\n"), "");
}

TEST(Linearizability, PorcupineAndJepsenReaders) {
  std::istringstream kv(
      "{:process 0, :type :invoke, :f :put, :key \"a\", :value \"x 0 0 y\"}\n"
      "{:process 1, :type :invoke, :f :get, :key \"a\", :value nil}\n"
      "{:process 0, :type :ok, :f :put, :key \"a\", :value \"x 0 0 y\"}\n"
      "{:process 1, :type :ok, :f :get, :key \"a\", :value \"x 0 0 y\"}\n"
      "{:process 2, :type :invoke, :f :append, :key \"a\", :value \"z\"}\n");
  lin::KvHistory h = lin::ReadPorcupineKvHistory(kv, "kv");
  ASSERT_EQ(h.ops.size(), 3u);
  EXPECT_EQ(h.ops[1].output.value, "x 0 0 y");
  EXPECT_EQ(h.ops[1].call, 1);
  EXPECT_EQ(h.ops[1].ret, 3);
  EXPECT_TRUE(h.ops[2].pending);
  std::istringstream bad(
      "{:process 0, :type :ok, :f :put, :key \"a\", :value \"v\"}\n");
  try {
    lin::ReadPorcupineKvHistory(bad, "kv");
    ADD_FAILURE() << "no error";
  } catch (const lin::ParseError& e) {
    EXPECT_EQ(std::string(e.what()),
              "kv:1: :ok from process 0 with no pending call");
  }

  std::istringstream jep(
      "INFO  jepsen.core - Worker 0 starting\n"
      "INFO  jepsen.util - 0\t:invoke\t:cas\t[3 0]\n"
      "INFO  jepsen.util - 1\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 0\t:fail\t:cas\t[3 0]\n"
      "INFO  jepsen.util - 1\t:fail\t:read\t:timed-out\n"
      "INFO  jepsen.util - 2\t:invoke\t:write\t4\n"
      "INFO  jepsen.util - 2\t:info\t:write\t:timed-out\n"
      "INFO  jepsen.util - 3\t:invoke\t:write\t5\n"
      "INFO  jepsen.util - 3\t:fail\t:write\t5\n"
      "INFO  jepsen.util - 4\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 4\t:ok\t:read\tnil\n"
      "INFO  jepsen.util - :nemesis\t:info\t:start\tnil\n");
  lin::RegisterHistory r = lin::ReadJepsenHistory(jep, "etcd");
  ASSERT_EQ(r.ops.size(), 4u);  // the failed write is dropped
  EXPECT_EQ(r.ops[0].input.op, RegisterOp::kCas);
  EXPECT_FALSE(r.ops[0].output.ok);
  EXPECT_FALSE(r.ops[0].output.unknown);
  EXPECT_TRUE(r.ops[1].output.unknown);
  EXPECT_FALSE(r.ops[1].pending);
  EXPECT_TRUE(r.ops[2].pending);
  EXPECT_FALSE(r.ops[3].output.value.has_value());
  std::istringstream jbad("INFO  jepsen.util - 0\t:invoke\t:cas\t[3]\n");
  try {
    lin::ReadJepsenHistory(jbad, "etcd");
    ADD_FAILURE() << "no error";
  } catch (const lin::ParseError& e) {
    EXPECT_EQ(std::string(e.what()),
              "etcd:1: a cas value is [from to], not '[3]'");
  }
}

TEST(Linearizability, FormatDetection) {
  EXPECT_EQ(lin::DetectFormat("{:process 0, :type :invoke}\n"),
            lin::HistoryFormat::kPorcupineKv);
  EXPECT_EQ(lin::DetectFormat("INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"),
            lin::HistoryFormat::kJepsen);
  EXPECT_EQ(lin::DetectFormat("# c\nunit ns\n0 1 2 get k - v\n"),
            lin::HistoryFormat::kText);
  EXPECT_EQ(lin::FormatFromName("jepsen"), lin::HistoryFormat::kJepsen);
  EXPECT_FALSE(lin::FormatFromName("xml").has_value());
}

// --- The picture ------------------------------------------------------------

TEST(Linearizability, HtmlPictureHasPartitionsFailureAndFaults) {
  std::vector<KvOperation> h = {Put(0, 0, 10, "x", "1"),
                                Put(0, 20, 30, "x", "2"),
                                Get(1, 40, 50, "x", "1"),  // stale
                                Put(2, 5, 15, "y", "</script><b>&"),
                                Get(2, 60, 70, "y", "</script><b>&"),
                                Pending(Append(3, 65, 0, "z", "q"))};
  std::vector<lin::Fault> faults = {{12, 45, "partition [0 1] [2 3 4]"},
                                    {47, std::nullopt, "S3 down"}};
  lin::LinearizationInfo info;
  ASSERT_EQ(lin::CheckOperationsVerbose(lin::KvModel{}, h, seconds(1), &info),
            CheckResult::kIllegal);
  lin::VisualizationData data =
      lin::MakeVisualization(lin::KvModel{}, h, info, faults);
  data.title = "test picture";
  ASSERT_EQ(data.partitions.size(), 3u);
  ASSERT_EQ(data.partitions[0].failing_op, 2);
  EXPECT_EQ(data.partitions[0].ops[2].description, "get('x') -> '1'");
  ASSERT_EQ(data.partitions[0].partials[0].size(), 2u);
  EXPECT_EQ(data.partitions[0].partials[0][1].state, "'2'");

  const std::string path = (std::filesystem::temp_directory_path() /
                            "raftlab-linearizability-test.html")
                               .string();
  std::string error;
  ASSERT_TRUE(lin::WriteHtmlFile(path, data, &error)) << error;
  const std::string html = ReadAll(path);
  std::filesystem::remove(path);
  EXPECT_NE(html.find("data-partitions=\"3\""), std::string::npos);
  EXPECT_NE(html.find("get('x') -&gt; '1'"), std::string::npos);  // the summary
  EXPECT_NE(html.find("\"get('x') -> '1'\""), std::string::npos);  // the data
  EXPECT_NE(html.find("partition [0 1] [2 3 4]"), std::string::npos);
  EXPECT_NE(html.find("S3 down"), std::string::npos);
  EXPECT_NE(html.find("<title>test picture</title>"), std::string::npos);
  // Values cannot close the script early.
  EXPECT_EQ(html.find("</script><b>"), std::string::npos);
  EXPECT_NE(html.find("\\u003c/script>\\u003cb>&"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("@@"), std::string::npos);
}

}  // namespace
