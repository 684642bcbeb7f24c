// The core search for one partition (porcupine's checkSingle, after Wing &
// Gong and Lowe): depth-first over the entry list, trying to linearize each
// pending call in turn, backtracking when an operation's return is reached
// before it was linearized, and memoising every (linearized set, state) pair
// so no subtree is searched twice.
#ifndef RAFTLAB_LINEARIZABILITY_SEARCH_H_
#define RAFTLAB_LINEARIZABILITY_SEARCH_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "linearizability/entry_list.h"
#include "linearizability/info.h"
#include "linearizability/model.h"
#include "linearizability/operation.h"
#include "linearizability/state_cache.h"

namespace linearizability {

// A wall-clock budget shared by the partitions of one check. Uses
// std::chrono::steady_clock directly: it is a computation budget, not part
// of the simulated world, and only the kUnknown verdict depends on it.
class Budget {
 public:
  // A timeout of zero or less means no limit.
  explicit Budget(std::chrono::nanoseconds timeout) {
    if (timeout.count() > 0) {
      deadline_ = std::chrono::steady_clock::now() + timeout;
    }
  }
  bool Expired() {
    if (expired_) return true;
    if (deadline_ && std::chrono::steady_clock::now() >= *deadline_) {
      expired_ = true;
    }
    return expired_;
  }

 private:
  std::optional<std::chrono::steady_clock::time_point> deadline_;
  bool expired_ = false;
};

// Searches one partition (ops are its operations, local id = position) and
// fills `out` (result, partials, largest, failing_op, costs). With
// compute_partial false only the verdict and costs are filled.
template <Model M>
void SearchPartition(
    const M& model,
    const std::vector<const Operation<typename M::Input, typename M::Output>*>&
        ops,
    Budget& budget, bool compute_partial, PartitionInfo& out) {
  using State = typename M::State;
  using Seq = std::vector<uint32_t>;
  const uint32_t n = static_cast<uint32_t>(ops.size());

  std::vector<EntryList::Interval> intervals(n);
  for (uint32_t i = 0; i < n; i++) {
    intervals[i] = {ops[i]->call, ops[i]->ret, ops[i]->pending};
  }
  EntryList list(intervals);

  // Zobrist hashing: the bitset's hash is the XOR of its members' keys, so
  // adding or removing an operation updates it in O(1).
  std::vector<uint64_t> zobrist(n);
  for (uint32_t i = 0; i < n; i++) zobrist[i] = Mix64(i * 0x2545f4914f6cdd1dull + 1);

  struct Frame {
    uint32_t call;   // the call entry that was linearized
    State previous;  // the state before it
    uint64_t previous_hash;
  };
  std::vector<Frame> stack;
  stack.reserve(n);
  Bitset linearized(n);
  uint64_t set_hash = 0;
  StateCache<State> cache(linearized.words());
  State state = model.Init();

  // Partial linearizations: for each operation the longest stack seen that
  // contained it (shared between operations, built only when it is news).
  std::vector<std::shared_ptr<const Seq>> longest(compute_partial ? n : 0);
  std::vector<uint32_t> longest_len(compute_partial ? n : 0, 0);
  // The longest prefix: the stack at the deepest backtrack; failing_op is the
  // operation whose return entry was reached there.
  int64_t deepest_backtrack = -1;
  std::shared_ptr<const Seq> deepest_seq;

  uint64_t steps = 0;
  uint32_t iterations = 0;
  bool ok = false;
  bool timed_out = false;
  uint32_t node = list.First();
  while (true) {
    if (list.Empty()) {
      ok = true;
      break;
    }
    if ((++iterations & 1023) == 0 && budget.Expired()) {
      timed_out = true;
      break;
    }
    if (list.IsCall(node)) {
      const uint32_t id = list.Op(node);
      steps++;
      std::optional<State> next =
          model.Step(state, ops[id]->input, ops[id]->output);
      if (next) {
        const uint64_t h = set_hash ^ zobrist[id];
        linearized.Set(id);
        if (cache.Insert(linearized,
                         h ^ Mix64(model_traits::HashState(model, *next)),
                         *next)) {
          stack.push_back({node, std::move(state), set_hash});
          state = std::move(*next);
          set_hash = h;
          list.Lift(node);
          node = list.First();
          continue;
        }
        linearized.Clear(id);
      }
      node = list.Next(node);
      continue;
    }
    // A return entry: its operation should have been linearized by now.
    const bool deepest = static_cast<int64_t>(stack.size()) > deepest_backtrack;
    if (deepest) {
      deepest_backtrack = static_cast<int64_t>(stack.size());
      out.failing_op = static_cast<int>(list.Op(node));
    }
    if (compute_partial && !stack.empty()) {
      const uint32_t depth = static_cast<uint32_t>(stack.size());
      std::shared_ptr<const Seq> seq;
      for (const Frame& f : stack) {
        const uint32_t id = list.Op(f.call);
        if (longest_len[id] < depth) {
          if (!seq) {
            auto s = std::make_shared<Seq>();
            s->reserve(depth);
            for (const Frame& g : stack) s->push_back(list.Op(g.call));
            seq = std::move(s);
          }
          longest[id] = seq;
          longest_len[id] = depth;
        }
      }
      // A new deepest stack is news to all its operations, so seq is set.
      if (deepest) deepest_seq = seq;
    }
    if (stack.empty()) break;  // nothing left to undo: not linearizable
    Frame& top = stack.back();
    node = top.call;
    state = std::move(top.previous);
    set_hash = top.previous_hash;
    stack.pop_back();
    linearized.Clear(list.Op(node));
    list.Unlift(node);
    node = list.Next(node);
  }

  out.searched = true;
  out.steps = steps;
  out.cache_entries = cache.size();
  out.result = ok ? CheckResult::kOk
                  : (timed_out ? CheckResult::kUnknown : CheckResult::kIllegal);
  if (out.result != CheckResult::kIllegal) out.failing_op = -1;
  if (!compute_partial) return;

  if (ok) {
    auto seq = std::make_shared<Seq>();
    for (const Frame& f : stack) seq->push_back(list.Op(f.call));
    for (uint32_t i = 0; i < n; i++) longest[i] = seq;
    deepest_seq = seq;
  }
  // Number the distinct sequences: the longest prefix first, then by length
  // (ties: first seen).
  std::vector<const Seq*> distinct;
  std::unordered_map<const Seq*, int> index;
  for (uint32_t i = 0; i < n; i++) {
    if (longest[i] && index.emplace(longest[i].get(), 0).second) {
      distinct.push_back(longest[i].get());
    }
  }
  std::stable_sort(
      distinct.begin(), distinct.end(),
      [&](const Seq* a, const Seq* b) {
        if (a == deepest_seq.get() || b == deepest_seq.get()) {
          return a == deepest_seq.get() && b != a;
        }
        return a->size() > b->size();
      });
  out.partials.clear();
  for (size_t k = 0; k < distinct.size(); k++) {
    index[distinct[k]] = static_cast<int>(k);
    out.partials.push_back(*distinct[k]);
  }
  out.largest.assign(n, -1);
  for (uint32_t i = 0; i < n; i++) {
    if (longest[i]) out.largest[i] = index[longest[i].get()];
  }
}

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_SEARCH_H_
