// Unit tests of the harness's Raft invariant checker: it accepts legal
// histories of observations and fails at the first illegal one.
#include "tests/raft_invariants.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/test_world.h"

namespace raftlab_test {
namespace {

raft::RaftStatus St(int me, int term, bool leader, int commit = 0,
                    int applied = 0, int last_log = 100) {
  raft::RaftStatus s;
  s.me = me;
  s.current_term = term;
  s.is_leader = leader;
  s.commit_index = commit;
  s.last_applied = applied;
  s.last_log_index = last_log;
  return s;
}

// The message of the FatalFailure that `observe` throws, or "" if none.
template <class F>
std::string FailureOf(F observe) {
  try {
    observe();
  } catch (const FatalFailure& f) {
    return f.message;
  }
  return "";
}

TEST(RaftInvariants, AcceptsLegalHistory) {
  InvariantChecker c(3);
  c.Observe(0, St(0, 0, false));
  c.Observe(0, St(0, 1, true, 0, 0, 1));
  c.Observe(0, St(0, 1, true, 1, 1, 1));  // same leader again: fine
  c.Observe(0, St(1, 1, false, 1, 0, 1));
  c.Observe(0, St(2, 2, true, 1, 1, 2));   // new term, new leader
  c.Observe(0, St(0, 2, false, 1, 1, 2));  // stale leader steps down
  c.Observe(1, St(0, 2, false, 0, 0, 2));  // restart: commit back to 0
  c.Observe(1, St(0, 3, true, 2, 2, 3));
  EXPECT_EQ(c.observations(), 8);
}

TEST(RaftInvariants, TwoLeadersInOneTerm) {
  InvariantChecker c(3);
  c.Observe(0, St(0, 4, true));
  c.Observe(0, St(0, 5, false));
  std::string msg = FailureOf([&] { c.Observe(0, St(2, 4, true)); });
  EXPECT_NE(msg.find("term 4 has two leaders: S0 and S2"), std::string::npos)
      << msg;
}

TEST(RaftInvariants, TermDecreases) {
  InvariantChecker c(2);
  c.Observe(0, St(1, 7, false));
  std::string msg = FailureOf([&] { c.Observe(0, St(1, 6, false)); });
  EXPECT_NE(msg.find("S1's term went down from 7 to 6"), std::string::npos)
      << msg;
}

TEST(RaftInvariants, TermDecreasesAcrossRestart) {
  InvariantChecker c(2);
  c.Observe(0, St(1, 7, false));
  std::string msg = FailureOf([&] { c.Observe(1, St(1, 0, false)); });
  EXPECT_NE(msg.find("across a restart"), std::string::npos) << msg;
}

TEST(RaftInvariants, CommitIndexDecreases) {
  InvariantChecker c(1);
  c.Observe(3, St(0, 1, false, 5, 5));
  std::string msg = FailureOf([&] { c.Observe(3, St(0, 1, false, 4, 4)); });
  EXPECT_NE(msg.find("commit index went down from 5 to 4"), std::string::npos)
      << msg;
}

TEST(RaftInvariants, CommitIndexPassesLog) {
  InvariantChecker c(1);
  std::string msg = FailureOf([&] { c.Observe(0, St(0, 1, false, 6, 0, 5)); });
  EXPECT_NE(msg.find("commit index 6 passes its last log index 5"),
            std::string::npos)
      << msg;
}

TEST(RaftInvariants, AppliedPassesCommit) {
  InvariantChecker c(1);
  std::string msg = FailureOf([&] { c.Observe(0, St(0, 1, false, 3, 4)); });
  EXPECT_NE(msg.find("last applied index 4 passes its commit index 3"),
            std::string::npos)
      << msg;
}

TEST(RaftInvariants, BadPeerId) {
  InvariantChecker c(3);
  std::string msg = FailureOf([&] { c.Observe(0, St(3, 1, false)); });
  EXPECT_NE(msg.find("me=3"), std::string::npos) << msg;
}

}  // namespace
}  // namespace raftlab_test
