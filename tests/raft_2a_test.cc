// Graded Raft tests, stage 2A: leader election (Go's test_test.go, 2A part).
#include <gtest/gtest.h>

#include <cstdio>

#include "labrpc/runtime.h"
#include "labrpc/trace.h"
#include "tests/raft_config.h"
#include "tests/test_world.h"

namespace raftlab_test {
namespace {

using namespace std::chrono_literals;

TEST(Raft2A, InitialElection) {
  const int servers = 3;
  RunRaftTest({.servers = servers}, [&](const RaftConfigPtr& cfg) {
    cfg->Begin("Test (2A): initial election");

    // A leader must emerge.
    cfg->CheckOneLeader();

    // Give the followers a moment to hear of the election; then all peers
    // must agree on the term.
    labrpc::Sleep(50ms);
    int term1 = cfg->CheckTerms();
    if (term1 < 1) {
      Fatal(labrpc::Sprintf("term is %d, but should be at least 1", term1));
    }

    // Without failures the term should stay put (only a warning if not).
    labrpc::Sleep(2 * kRaftElectionTimeout);
    int term2 = cfg->CheckTerms();
    if (term1 != term2) {
      std::printf("warning: term changed even though there were no failures\n");
    }

    // And a leader must still be there.
    cfg->CheckOneLeader();

    cfg->End();
  });
}

TEST(Raft2A, ReElection) {
  const int servers = 3;
  RunRaftTest({.servers = servers}, [&](const RaftConfigPtr& cfg) {
    cfg->Begin("Test (2A): election after network failure");

    int leader1 = cfg->CheckOneLeader();

    // Cut off the leader: the other two elect a new one.
    cfg->Disconnect(leader1);
    cfg->CheckOneLeader();

    // The old leader comes back: it must step down, not disturb the new one.
    cfg->Connect(leader1);
    int leader2 = cfg->CheckOneLeader();

    // Leave one peer alone: without a majority nobody may lead.
    cfg->Disconnect(leader2);
    cfg->Disconnect((leader2 + 1) % servers);
    labrpc::Sleep(2 * kRaftElectionTimeout);

    cfg->CheckNoLeader();

    // Two peers make a majority again: they elect a leader.
    cfg->Connect((leader2 + 1) % servers);
    cfg->CheckOneLeader();

    // The third one rejoining must not leave the cluster leaderless.
    cfg->Connect(leader2);
    cfg->CheckOneLeader();

    cfg->End();
  });
}

TEST(Raft2A, ManyElections) {
  const int servers = 7;
  RunRaftTest({.servers = servers}, [&](const RaftConfigPtr& cfg) {
    cfg->Begin("Test (2A): multiple elections");

    cfg->CheckOneLeader();

    const int iters = 10;
    for (int ii = 1; ii < iters; ii++) {
      // Cut off three random peers (possibly the same one twice).
      int i1 = labrpc::RandInt(servers);
      int i2 = labrpc::RandInt(servers);
      int i3 = labrpc::RandInt(servers);
      cfg->Disconnect(i1);
      cfg->Disconnect(i2);
      cfg->Disconnect(i3);

      // The remaining majority keeps or elects a leader.
      cfg->CheckOneLeader();

      cfg->Connect(i1);
      cfg->Connect(i2);
      cfg->Connect(i3);
    }

    cfg->CheckOneLeader();

    cfg->End();
  });
}

}  // namespace
}  // namespace raftlab_test
