// The core search for one partition (porcupine's checkSingle, after Wing &
// Gong and Lowe): depth-first over the entry list, trying to linearize each
// pending call in turn, backtracking when an operation's return is reached
// before it was linearized, and memoising every (linearized set, state) pair
// so no subtree is searched twice.
//
// The search is resumable (Run works in time slices), so the checker can
// interleave partitions like porcupine's one-goroutine-per-partition: an
// easy failing partition is found even when another one is very hard.
//
// Everything it allocates is counted in a MemoryBudget shared with the
// other partitions: when the memo, the state pool or the partial
// linearizations would go over it, the search stops without a verdict.
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

#include "linearizability/cpu_clock.h"
#include "linearizability/entry_list.h"
#include "linearizability/info.h"
#include "linearizability/memory_budget.h"
#include "linearizability/model.h"
#include "linearizability/operation.h"
#include "linearizability/state_cache.h"

namespace linearizability {

template <Model M>
class PartitionSearch {
 public:
  using Op = Operation<typename M::Input, typename M::Output>;
  using Clock = std::chrono::steady_clock;

  // ops are the partition's operations (local id = position); they, the
  // model and the budget must outlive the search. With compute_partial, the
  // search also records partial linearizations for the picture.
  PartitionSearch(const M& model, std::vector<const Op*> ops,
                  bool compute_partial, MemoryBudget& budget)
      : model_(model),
        budget_(budget),
        ops_(std::move(ops)),
        n_(static_cast<uint32_t>(ops_.size())),
        list_(Intervals(ops_)),
        zobrist_(n_),
        linearized_(n_),
        pool_(budget),
        cache_(linearized_.words(), budget),
        compute_partial_(compute_partial),
        longest_(compute_partial ? n_ : 0),
        longest_len_(compute_partial ? n_ : 0, 0) {
    for (uint32_t i = 0; i < n_; i++) {
      zobrist_[i] = Mix64(i * 0x2545f4914f6cdd1dull + 1);
    }
    stack_.reserve(n_);
    // The per-operation arrays: the search cannot start without them.
    fixed_bytes_ = ops_.capacity() * sizeof(const Op*) + list_.MemoryBytes() +
                   zobrist_.capacity() * sizeof(uint64_t) +
                   linearized_.words() * sizeof(uint64_t) +
                   stack_.capacity() * sizeof(Frame) +
                   longest_.capacity() * sizeof(longest_[0]) +
                   longest_len_.capacity() * sizeof(uint32_t);
    budget_.Reserve(fixed_bytes_);
    typename M::State init = model_.Init();
    const uint64_t h = model_traits::HashState(model_, init);
    state_ = pool_.Intern(std::move(init), h, HeapBytes());
    out_of_memory_ = state_ == StatePool<typename M::State>::kFull;
    node_ = list_.First();
  }
  // The pool, the memo and the partial linearizations release their own.
  ~PartitionSearch() { budget_.Release(fixed_bytes_); }
  PartitionSearch(const PartitionSearch&) = delete;
  PartitionSearch& operator=(const PartitionSearch&) = delete;

  // Searches until a verdict, the memory budget is reached, the wall clock
  // reaches `deadline` (checked every few hundred steps) or this thread's
  // CPU clock reaches `slice_end` (checked every few thousand: reading it
  // costs more). True once the search is over: with a verdict, or out of
  // memory.
  bool Run(Clock::time_point deadline, ThreadCpuClock::time_point slice_end =
                                           ThreadCpuClock::time_point::max()) {
    uint32_t iterations = 0;
    // A deadline in the past still gets a few hundred steps, so every
    // partition makes progress.
    while (!done_ && !out_of_memory_) {
      if (list_.Empty()) {
        Finish(true);
        break;
      }
      if ((++iterations & 255) == 0) {
        if (Clock::now() >= deadline) break;
        if ((iterations & 2047) == 0 && ThreadCpuClock::now() >= slice_end) {
          break;
        }
      }
      if (list_.IsCall(node_)) {
        TryLinearize();
      } else if (!Backtrack()) {
        Finish(false);
      }
    }
    return done_ || out_of_memory_;
  }

  bool done() const { return done_; }
  bool out_of_memory() const { return out_of_memory_; }

  // Fills out's verdict (kUnknown if Run has not finished), costs and,
  // with compute_partial, the partial linearizations found so far.
  void Report(PartitionInfo& out) const;

 private:
  using Seq = std::vector<uint32_t>;

  struct Frame {
    uint32_t call;      // the call entry that was linearized
    uint32_t previous;  // the state id before it
    uint64_t previous_set_hash;
    // min(longest_len_) over this frame and those below it: lets a
    // backtrack skip the partial bookkeeping in O(1) when it is no news.
    uint32_t prefix_min_longest;
  };

  // Bytes a shared partial linearization costs beyond its elements (the
  // shared_ptr control block and the vector), for the budget.
  static constexpr size_t kSeqOverhead = 64;

  auto HeapBytes() const {
    return [this](const typename M::State& s) {
      return model_traits::StateHeapBytes(model_, s);
    };
  }

  // An empty sequence with room for `len` ids whose bytes are counted in the
  // budget until it is freed; null if the budget has no room (unless force).
  std::shared_ptr<Seq> NewSeq(size_t len, bool force) {
    const size_t bytes = len * sizeof(uint32_t) + kSeqOverhead;
    if (force) {
      budget_.Reserve(bytes);
    } else if (!budget_.TryReserve(bytes)) {
      return nullptr;
    }
    MemoryBudget* budget = &budget_;
    std::shared_ptr<Seq> seq(new Seq(), [budget, bytes](Seq* s) {
      budget->Release(bytes);
      delete s;
    });
    seq->reserve(len);
    return seq;
  }

  static std::vector<EntryList::Interval> Intervals(
      const std::vector<const Op*>& ops) {
    std::vector<EntryList::Interval> v;
    v.reserve(ops.size());
    for (const Op* op : ops) v.push_back({op->call, op->ret, op->pending});
    return v;
  }

  // At a call entry: linearize it now if that is legal and new, else move on.
  void TryLinearize() {
    const uint32_t id = list_.Op(node_);
    steps_++;
    std::optional<typename M::State> next =
        model_.Step(pool_.Get(state_), ops_[id]->input, ops_[id]->output);
    if (next) {
      // Reads leave the state as it was: skip hashing it again.
      uint32_t next_id = state_;
      if (!(*next == pool_.Get(state_))) {
        const uint64_t h = model_traits::HashState(model_, *next);
        next_id = pool_.Intern(std::move(*next), h, HeapBytes());
        if (next_id == StatePool<typename M::State>::kFull) {
          out_of_memory_ = true;
          return;
        }
      }
      const uint64_t set_hash = set_hash_ ^ zobrist_[id];
      linearized_.Set(id);
      const StateCache::Insertion added =
          cache_.Insert(linearized_, set_hash, next_id);
      if (added == StateCache::Insertion::kFull) {
        linearized_.Clear(id);
        out_of_memory_ = true;
        return;
      }
      if (added == StateCache::Insertion::kAdded) {
        uint32_t below =
            stack_.empty() ? UINT32_MAX : stack_.back().prefix_min_longest;
        uint32_t mine = compute_partial_ ? longest_len_[id] : 0;
        stack_.push_back({node_, state_, set_hash_, std::min(below, mine)});
        state_ = next_id;
        set_hash_ = set_hash;
        list_.Lift(node_);
        node_ = list_.First();
        return;
      }
      linearized_.Clear(id);
    }
    node_ = list_.Next(node_);
  }

  // At a return entry: its operation should have been linearized by now, so
  // undo the last linearization. False if there is none (not linearizable).
  bool Backtrack() {
    const uint32_t depth = static_cast<uint32_t>(stack_.size());
    const bool deepest = static_cast<int64_t>(depth) > deepest_backtrack_;
    if (deepest) {
      deepest_backtrack_ = depth;
      failing_op_ = static_cast<int>(list_.Op(node_));
    }
    if (compute_partial_ && depth > 0 &&
        stack_.back().prefix_min_longest < depth) {
      RecordPartial(deepest);
    }
    if (depth == 0) return false;
    const Frame top = stack_.back();
    stack_.pop_back();
    node_ = top.call;
    state_ = top.previous;
    set_hash_ = top.previous_set_hash;
    linearized_.Clear(list_.Op(node_));
    list_.Unlift(node_);
    node_ = list_.Next(node_);
    return true;
  }

  // The current stack is longer than the longest recorded one for some of
  // its operations: record it for them.
  void RecordPartial(bool deepest) {
    const uint32_t depth = static_cast<uint32_t>(stack_.size());
    std::shared_ptr<Seq> seq = NewSeq(depth, false);
    if (!seq) {
      out_of_memory_ = true;
      return;
    }
    for (const Frame& f : stack_) seq->push_back(list_.Op(f.call));
    uint32_t prefix_min = UINT32_MAX;
    for (Frame& f : stack_) {
      const uint32_t id = list_.Op(f.call);
      if (longest_len_[id] < depth) {
        longest_[id] = seq;
        longest_len_[id] = depth;
      }
      prefix_min = std::min(prefix_min, longest_len_[id]);
      f.prefix_min_longest = prefix_min;
    }
    if (deepest) deepest_seq_ = seq;
  }

  void Finish(bool ok) {
    done_ = true;
    ok_ = ok;
    if (ok && compute_partial_) {
      std::shared_ptr<Seq> seq = NewSeq(stack_.size(), true);
      for (const Frame& f : stack_) seq->push_back(list_.Op(f.call));
      for (uint32_t i = 0; i < n_; i++) longest_[i] = seq;
      deepest_seq_ = seq;
    }
  }

  const M& model_;
  MemoryBudget& budget_;
  size_t fixed_bytes_ = 0;  // reserved for the arrays of n_ entries
  std::vector<const Op*> ops_;
  uint32_t n_;
  EntryList list_;
  // Zobrist hashing: a set's hash is the XOR of its members' keys, so adding
  // or removing an operation updates it in O(1).
  std::vector<uint64_t> zobrist_;
  Bitset linearized_;
  uint64_t set_hash_ = 0;
  StatePool<typename M::State> pool_;
  StateCache cache_;
  uint32_t state_ = 0;  // current state id
  std::vector<Frame> stack_;
  uint32_t node_ = 0;  // the entry the walk is at

  bool done_ = false;
  bool ok_ = false;
  bool out_of_memory_ = false;
  uint64_t steps_ = 0;
  // The stack at the deepest backtrack is the longest linearizable prefix;
  // failing_op_ is the operation whose return entry was reached there.
  int64_t deepest_backtrack_ = -1;
  int failing_op_ = -1;

  // Partial linearizations: per operation, the longest stack seen at a
  // backtrack that contained it (shared between operations).
  bool compute_partial_;
  std::vector<std::shared_ptr<const Seq>> longest_;
  std::vector<uint32_t> longest_len_;
  std::shared_ptr<const Seq> deepest_seq_;
};

template <Model M>
void PartitionSearch<M>::Report(PartitionInfo& out) const {
  out.searched = true;
  out.steps = steps_;
  out.cache_entries = cache_.size();
  out.distinct_states = pool_.size();
  out.result = !done_ ? CheckResult::kUnknown
               : ok_  ? CheckResult::kOk
                      : CheckResult::kIllegal;
  out.stop = done_            ? StopReason::kNone
             : out_of_memory_ ? StopReason::kMemoryLimit
                              : StopReason::kTimeLimit;
  out.failing_op = out.result == CheckResult::kIllegal ? failing_op_ : -1;
  out.partials.clear();
  out.largest.clear();
  if (!compute_partial_) return;
  // Number the distinct sequences: the longest prefix first, then by length
  // (ties: first seen).
  std::vector<const Seq*> distinct;
  std::unordered_map<const Seq*, int> index;
  for (uint32_t i = 0; i < n_; i++) {
    if (longest_[i] && index.emplace(longest_[i].get(), 0).second) {
      distinct.push_back(longest_[i].get());
    }
  }
  const Seq* first = deepest_seq_.get();
  std::stable_sort(distinct.begin(), distinct.end(),
                   [first](const Seq* a, const Seq* b) {
                     if (a == first || b == first) return a == first && b != a;
                     return a->size() > b->size();
                   });
  for (size_t k = 0; k < distinct.size(); k++) {
    index[distinct[k]] = static_cast<int>(k);
    out.partials.push_back(*distinct[k]);
  }
  out.largest.assign(n_, -1);
  for (uint32_t i = 0; i < n_; i++) {
    if (longest_[i]) out.largest[i] = index[longest_[i].get()];
  }
}

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_SEARCH_H_
