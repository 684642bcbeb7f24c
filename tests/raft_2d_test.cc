// Graded Raft tests, stage 2D: log compaction and snapshots (Go's
// test_test.go, 2D part, 2023 set). All use the snapshotting applier, which
// asks Raft for a snapshot every kSnapShotInterval applied entries.
#include <gtest/gtest.h>

#include <string>

#include "labrpc/runtime.h"
#include "labrpc/trace.h"
#include "tests/raft_config.h"
#include "tests/test_world.h"

namespace raftlab_test {
namespace {

// Go's snapcommon: 30 rounds in which one peer (alternately a follower and
// the leader) falls behind by being disconnected or crashed, or not at all,
// while the others commit enough to snapshot; then it must catch up, by
// InstallSnapshot when it lags behind the leader's snapshot.
void SnapCommon(const std::string& name, bool disconnect, bool reliable,
                bool crash) {
  const int iters = 30;
  const int servers = 3;
  RunRaftTest({.servers = servers, .unreliable = !reliable, .snapshot = true},
              [&](const RaftConfigPtr& cfg) {
                cfg->Begin(name);

                cfg->One(RandInt63(), servers, true);
                int leader1 = cfg->CheckOneLeader();

                for (int i = 0; i < iters; i++) {
                  int victim = (leader1 + 1) % servers;
                  int sender = leader1;
                  if (i % 3 == 1) {
                    sender = (leader1 + 1) % servers;
                    victim = leader1;
                  }

                  if (disconnect) {
                    cfg->Disconnect(victim);
                    cfg->One(RandInt63(), servers - 1, true);
                  }
                  if (crash) {
                    cfg->Crash1(victim);
                    cfg->One(RandInt63(), servers - 1, true);
                  }

                  // Enough entries for the others to snapshot; the sender may
                  // not be the leader, then they go nowhere.
                  int nn = kSnapShotInterval / 2 +
                           labrpc::RandInt(kSnapShotInterval);
                  for (int j = 0; j < nn; j++) {
                    if (auto rf = cfg->raft(sender))
                      rf->Start(IntCmd(RandInt63()));
                  }

                  // Let the applier threads catch up with the Start()s.
                  if (!disconnect && !crash) {
                    // Everyone is up: all followers are in sync, so the basic
                    // test needs no InstallSnapshot.
                    cfg->One(RandInt63(), servers, true);
                  } else {
                    cfg->One(RandInt63(), servers - 1, true);
                  }

                  if (cfg->LogSize() >= kMaxLogSize)
                    Fatal("Log size too large");

                  if (disconnect) {
                    // The victim reconnects, perhaps far behind the leader's
                    // snapshot.
                    cfg->Connect(victim);
                    cfg->One(RandInt63(), servers, true);
                    leader1 = cfg->CheckOneLeader();
                  }
                  if (crash) {
                    cfg->Start1(victim);
                    cfg->Connect(victim);
                    cfg->One(RandInt63(), servers, true);
                    leader1 = cfg->CheckOneLeader();
                  }
                }

                cfg->End();
              });
}

TEST(Raft2D, SnapshotBasic) {
  SnapCommon("Test (2D): snapshots basic", false, true, false);
}

TEST(Raft2D, SnapshotInstall) {
  SnapCommon("Test (2D): install snapshots (disconnect)", true, true, false);
}

TEST(Raft2D, SnapshotInstallUnreliable) {
  SnapCommon("Test (2D): install snapshots (disconnect+unreliable)", true,
             false, false);
}

TEST(Raft2D, SnapshotInstallCrash) {
  SnapCommon("Test (2D): install snapshots (crash)", false, true, true);
}

TEST(Raft2D, SnapshotInstallUnCrash) {
  SnapCommon("Test (2D): install snapshots (unreliable+crash)", false, false,
             true);
}

// Crash and restart every peer at once, repeatedly: they must come back
// from their snapshots and keep the log growing.
TEST(Raft2D, SnapshotAllCrash) {
  const int servers = 3;
  const int iters = 5;
  RunRaftTest(
      {.servers = servers, .snapshot = true}, [&](const RaftConfigPtr& cfg) {
        cfg->Begin("Test (2D): crash and restart all servers");

        cfg->One(RandInt63(), servers, true);

        for (int i = 0; i < iters; i++) {
          // Enough entries for a snapshot.
          int nn = kSnapShotInterval / 2 + labrpc::RandInt(kSnapShotInterval);
          for (int j = 0; j < nn; j++) cfg->One(RandInt63(), servers, true);

          int index1 = cfg->One(RandInt63(), servers, true);

          // Crash all, then revive all.
          for (int j = 0; j < servers; j++) cfg->Crash1(j);
          for (int j = 0; j < servers; j++) {
            cfg->Start1(j);
            cfg->Connect(j);
          }

          int index2 = cfg->One(RandInt63(), servers, true);
          if (index2 < index1 + 1) {
            Fatal(labrpc::Sprintf("index decreased from %d to %d", index1,
                                  index2));
          }
        }

        cfg->End();
      });
}

// A restarted Raft must keep its snapshot: the next Persister::Save must
// not drop it (2023's Save replaces both blobs).
TEST(Raft2D, SnapshotInit) {
  const int servers = 3;
  RunRaftTest({.servers = servers, .snapshot = true},
              [&](const RaftConfigPtr& cfg) {
                cfg->Begin("Test (2D): snapshot initialization after crash");

                cfg->One(RandInt63(), servers, true);

                // Enough entries for a snapshot.
                const int nn = kSnapShotInterval + 1;
                for (int i = 0; i < nn; i++)
                  cfg->One(RandInt63(), servers, true);

                // Crash all, then revive all.
                for (int i = 0; i < servers; i++) cfg->Crash1(i);
                for (int i = 0; i < servers; i++) {
                  cfg->Start1(i);
                  cfg->Connect(i);
                }

                // One entry, so that every peer persists again.
                cfg->One(RandInt63(), servers, true);

                // Crash all, then revive all once more.
                for (int i = 0; i < servers; i++) cfg->Crash1(i);
                for (int i = 0; i < servers; i++) {
                  cfg->Start1(i);
                  cfg->Connect(i);
                }

                // A peer that lost its snapshot fails here.
                cfg->One(RandInt63(), servers, true);

                cfg->End();
              });
}

}  // namespace
}  // namespace raftlab_test
