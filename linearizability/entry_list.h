// The search's view of one partition: every operation as a call entry and a
// return entry, sorted by time (calls before returns at equal times), in a
// doubly-linked list from which a linearized operation's two entries are
// "lifted" and later put back ("unlifted") when the search backtracks.
//
// Nodes live in flat arrays (index 0 is the head sentinel, the last index
// the tail sentinel), so lift and unlift are a few stores and the list never
// allocates after construction.
#ifndef RAFTLAB_LINEARIZABILITY_ENTRY_LIST_H_
#define RAFTLAB_LINEARIZABILITY_ENTRY_LIST_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "linearizability/operation.h"

namespace linearizability {

class EntryList {
 public:
  // One operation's interval; a pending operation returns after everything.
  struct Interval {
    Time call = 0;
    Time ret = 0;
    bool pending = false;
  };

  // Builds the list for operations 0..n-1 of one partition. Ties: calls
  // before returns, then by operation id, so the order is deterministic.
  explicit EntryList(const std::vector<Interval>& ops);

  static constexpr uint32_t kHead = 0;

  // The first entry, or the tail sentinel if every operation is lifted.
  uint32_t First() const { return next_[kHead]; }
  uint32_t Next(uint32_t node) const { return next_[node]; }
  bool Empty() const { return next_[kHead] == tail_; }
  bool IsCall(uint32_t node) const { return match_[node] != 0; }
  // The operation (0..n-1) an entry belongs to.
  uint32_t Op(uint32_t node) const { return op_[node]; }
  // What the list's arrays occupy.
  size_t MemoryBytes() const {
    return (next_.capacity() + prev_.capacity() + op_.capacity() +
            match_.capacity()) *
           sizeof(uint32_t);
  }

  // Removes a call entry and its return entry from the list.
  void Lift(uint32_t call) {
    Unlink(call);
    Unlink(match_[call]);
  }
  // Undoes the Lift of `call`; lifts must be undone in reverse order.
  void Unlift(uint32_t call) {
    Relink(match_[call]);
    Relink(call);
  }

 private:
  void Unlink(uint32_t n) {
    next_[prev_[n]] = next_[n];
    prev_[next_[n]] = prev_[n];
  }
  void Relink(uint32_t n) {
    next_[prev_[n]] = n;
    prev_[next_[n]] = n;
  }

  uint32_t tail_;
  std::vector<uint32_t> next_, prev_, op_;
  std::vector<uint32_t> match_;  // call -> its return node; 0 on returns
};

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_ENTRY_LIST_H_
