// Safety invariants of a running Raft cluster, checked from the outside on
// every test: the harness feeds observations of each live peer's
// Raft::Status() (every ~10 ms and once at the end of the test), and the
// checker fails the test at the first observation that breaks one of:
//
//   1. at most one leader per term (Election Safety), over every
//      observation of the whole test;
//   2. a peer's current term never decreases, also across restarts, since a
//      restart resumes from the persisted term;
//   3. a peer's commit index never decreases within one incarnation, and
//      never passes its last log index;
//   4. a peer's last applied index never passes its commit index.
//
// The checks are O(1) per observation, so they cost little in every test.
#ifndef RAFTLAB_TESTS_RAFT_INVARIANTS_H_
#define RAFTLAB_TESTS_RAFT_INVARIANTS_H_

#include <string>
#include <unordered_map>
#include <vector>

#include "raft/raft.h"

namespace raftlab_test {

class InvariantChecker {
 public:
  // A checker for peers 0..n-1.
  explicit InvariantChecker(int n);

  // Records that peer status.me, in its incarnation `incarnation` (bumped at
  // each crash), reported `status`. The caller guarantees that the instance
  // was alive and still the current incarnation when it answered, so that
  // everything observed had been persisted where the next incarnation will
  // find it. Calls raftlab_test::Fatal on a violation. Not thread-safe: the
  // caller serialises calls (the Config calls it under its mutex).
  void Observe(int incarnation, const raft::RaftStatus& status);

  // Number of observations so far (for tests of the checker itself).
  long observations() const { return observations_; }

 private:
  struct Peer {
    int incarnation = -1;  // of the last observation
    int max_term = 0;      // highest term ever observed, any incarnation
    int commit_index = 0;  // last observed, in `incarnation`
  };

  std::vector<Peer> peers_;
  std::unordered_map<int, int> leader_of_term_;  // term -> peer seen leading
  long observations_ = 0;
};

}  // namespace raftlab_test

#endif  // RAFTLAB_TESTS_RAFT_INVARIANTS_H_
