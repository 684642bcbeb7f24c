// Safety invariants of a running Raft cluster (see raft_invariants.h).
#include "tests/raft_invariants.h"

#include "labrpc/trace.h"
#include "tests/test_world.h"

namespace raftlab_test {

InvariantChecker::InvariantChecker(int n) : peers_(n) {}

void InvariantChecker::Observe(int incarnation,
                               const raft::RaftStatus& status) {
  observations_++;
  const int me = status.me;
  if (me < 0 || me >= static_cast<int>(peers_.size())) {
    Fatal(
        labrpc::Sprintf("invariant: Status() reports me=%d, not a peer id "
                        "in [0, %zu)",
                        me, peers_.size()));
  }
  Peer& p = peers_[me];

  // Election Safety: at most one leader can be elected in a given term.
  if (status.is_leader) {
    auto [it, inserted] = leader_of_term_.emplace(status.current_term, me);
    if (!inserted && it->second != me) {
      Fatal(labrpc::Sprintf(
          "invariant: term %d has two leaders: S%d and S%d (Election Safety)",
          status.current_term, it->second, me));
    }
  }

  // currentTerm only grows, and is persisted, so a restart resumes from it.
  if (status.current_term < p.max_term) {
    Fatal(labrpc::Sprintf("invariant: S%d's term went down from %d to %d%s", me,
                          p.max_term, status.current_term,
                          incarnation != p.incarnation
                              ? " across a restart (was currentTerm persisted?)"
                              : ""));
  }
  p.max_term = status.current_term;

  // commitIndex is volatile but monotonic while the peer lives.
  if (incarnation == p.incarnation && status.commit_index < p.commit_index) {
    Fatal(
        labrpc::Sprintf("invariant: S%d's commit index went down from %d to %d",
                        me, p.commit_index, status.commit_index));
  }
  p.incarnation = incarnation;
  p.commit_index = status.commit_index;

  if (status.commit_index > status.last_log_index) {
    Fatal(labrpc::Sprintf(
        "invariant: S%d's commit index %d passes its last log index %d", me,
        status.commit_index, status.last_log_index));
  }
  if (status.last_applied > status.commit_index) {
    Fatal(labrpc::Sprintf(
        "invariant: S%d's last applied index %d passes its commit index %d", me,
        status.last_applied, status.commit_index));
  }
}

}  // namespace raftlab_test
