// Graded 2C test bodies that another suite runs as they are, so that both
// run the same scenario: RaftDeterminism traces Persist1's twice from one
// seed and compares the traces.
//
//   TEST(Raft2C, Persist1) { RunRaftTest({.servers = 3}, TestPersist12C); }
#ifndef RAFTLAB_TESTS_RAFT_2C_SCENARIOS_H_
#define RAFTLAB_TESTS_RAFT_2C_SCENARIOS_H_

#include "tests/raft_config.h"

namespace raftlab_test {

// Go's TestPersist12C ("Test (2C): basic persistence"): crash and restart
// every peer, then the leader twice, then a follower, agreeing on a command
// after each step.
void TestPersist12C(const RaftConfigPtr& cfg);

}  // namespace raftlab_test

#endif  // RAFTLAB_TESTS_RAFT_2C_SCENARIOS_H_
