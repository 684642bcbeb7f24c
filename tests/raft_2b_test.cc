// Graded Raft tests, stage 2B: log replication (Go's test_test.go, 2B part,
// 2023 set).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "labrpc/channel.h"
#include "labrpc/runtime.h"
#include "labrpc/trace.h"
#include "tests/raft_config.h"
#include "tests/test_world.h"

namespace raftlab_test {
namespace {

using namespace std::chrono_literals;

// Go's %v of an []int: "[1 2 3]".
std::string JoinInts(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); i++) {
    if (i > 0) s += " ";
    s += std::to_string(v[i]);
  }
  return s + "]";
}

TEST(Raft2B, BasicAgree) {
  const int servers = 3;
  RunRaftTest({.servers = servers}, [&](const RaftConfigPtr& cfg) {
    cfg->Begin("Test (2B): basic agreement");

    const int iters = 3;
    for (int index = 1; index < iters + 1; index++) {
      auto [nd, cmd] = cfg->NCommitted(index);
      if (nd > 0) Fatal("some have committed before Start()");

      int xindex = cfg->One(index * 100, servers, false);
      if (xindex != index) {
        Fatal(labrpc::Sprintf("got index %d but expected %d", xindex, index));
      }
    }

    cfg->End();
  });
}

// Each command should go to each peer about once: the byte count of all
// RPCs may exceed 3x the payload by at most 50000.
TEST(Raft2B, RPCBytes) {
  const int servers = 3;
  RunRaftTest({.servers = servers}, [&](const RaftConfigPtr& cfg) {
    cfg->Begin("Test (2B): RPC byte count");

    cfg->One(99, servers, false);
    int64_t bytes0 = cfg->BytesTotal();

    const int iters = 10;
    int64_t sent = 0;
    for (int index = 2; index < iters + 2; index++) {
      std::string cmd = RandString(5000);
      int xindex = cfg->One(StringCmd(cmd), servers, false);
      if (xindex != index) {
        Fatal(labrpc::Sprintf("got index %d but expected %d", xindex, index));
      }
      sent += static_cast<int64_t>(cmd.size());
    }

    int64_t bytes1 = cfg->BytesTotal();
    int64_t got = bytes1 - bytes0;
    int64_t expected = static_cast<int64_t>(servers) * sent;
    if (got > expected + 50000) {
      Fatal(labrpc::Sprintf("too many RPC bytes; got %lld, expected %lld",
                            static_cast<long long>(got),
                            static_cast<long long>(expected)));
    }

    cfg->End();
  });
}

TEST(Raft2B, FollowerFailure) {
  const int servers = 3;
  RunRaftTest({.servers = servers}, [&](const RaftConfigPtr& cfg) {
    cfg->Begin("Test (2B): test progressive failure of followers");

    cfg->One(101, servers, false);

    // One follower goes away: the other two still agree.
    int leader1 = cfg->CheckOneLeader();
    cfg->Disconnect((leader1 + 1) % servers);

    cfg->One(102, servers - 1, false);
    labrpc::Sleep(kRaftElectionTimeout);
    cfg->One(103, servers - 1, false);

    // Both followers go away: the leader alone cannot commit.
    int leader2 = cfg->CheckOneLeader();
    cfg->Disconnect((leader2 + 1) % servers);
    cfg->Disconnect((leader2 + 2) % servers);

    auto r = cfg->raft(leader2)->Start(IntCmd(104));
    if (!r.is_leader) Fatal("leader rejected Start()");
    if (r.index != 4) {
      Fatal(labrpc::Sprintf("expected index 4, got %d", r.index));
    }

    labrpc::Sleep(2 * kRaftElectionTimeout);

    auto [n, cmd] = cfg->NCommitted(r.index);
    if (n > 0) Fatal(labrpc::Sprintf("%d committed but no majority", n));

    cfg->End();
  });
}

TEST(Raft2B, LeaderFailure) {
  const int servers = 3;
  RunRaftTest({.servers = servers}, [&](const RaftConfigPtr& cfg) {
    cfg->Begin("Test (2B): test failure of leaders");

    cfg->One(101, servers, false);

    // The first leader goes away: the others elect a new one and go on.
    int leader1 = cfg->CheckOneLeader();
    cfg->Disconnect(leader1);

    cfg->One(102, servers - 1, false);
    labrpc::Sleep(kRaftElectionTimeout);
    cfg->One(103, servers - 1, false);

    // The second leader goes away too: one peer is left, nobody commits.
    int leader2 = cfg->CheckOneLeader();
    cfg->Disconnect(leader2);

    for (int i = 0; i < servers; i++) {
      if (auto rf = cfg->raft(i)) rf->Start(IntCmd(104));
    }

    labrpc::Sleep(2 * kRaftElectionTimeout);

    auto [n, cmd] = cfg->NCommitted(4);
    if (n > 0) Fatal(labrpc::Sprintf("%d committed but no majority", n));

    cfg->End();
  });
}

TEST(Raft2B, FailAgree) {
  const int servers = 3;
  RunRaftTest({.servers = servers}, [&](const RaftConfigPtr& cfg) {
    cfg->Begin("Test (2B): agreement after follower reconnects");

    cfg->One(101, servers, false);

    // One follower goes away.
    int leader = cfg->CheckOneLeader();
    cfg->Disconnect((leader + 1) % servers);

    // The leader and the remaining follower still agree.
    cfg->One(102, servers - 1, false);
    cfg->One(103, servers - 1, false);
    labrpc::Sleep(kRaftElectionTimeout);
    cfg->One(104, servers - 1, false);
    cfg->One(105, servers - 1, false);

    // The follower comes back and must catch up.
    cfg->Connect((leader + 1) % servers);

    cfg->One(106, servers, true);
    labrpc::Sleep(kRaftElectionTimeout);
    cfg->One(107, servers, true);

    cfg->End();
  });
}

TEST(Raft2B, FailNoAgree) {
  const int servers = 5;
  RunRaftTest({.servers = servers}, [&](const RaftConfigPtr& cfg) {
    cfg->Begin("Test (2B): no agreement if too many followers disconnect");

    cfg->One(10, servers, false);

    // Three of five followers go away.
    int leader = cfg->CheckOneLeader();
    cfg->Disconnect((leader + 1) % servers);
    cfg->Disconnect((leader + 2) % servers);
    cfg->Disconnect((leader + 3) % servers);

    auto r = cfg->raft(leader)->Start(IntCmd(20));
    if (!r.is_leader) Fatal("leader rejected Start()");
    if (r.index != 2) {
      Fatal(labrpc::Sprintf("expected index 2, got %d", r.index));
    }

    labrpc::Sleep(2 * kRaftElectionTimeout);

    auto [n, cmd] = cfg->NCommitted(r.index);
    if (n > 0) Fatal(labrpc::Sprintf("%d committed but no majority", n));

    // Repair. The disconnected majority may have elected a leader of its
    // own and forgotten index 2.
    cfg->Connect((leader + 1) % servers);
    cfg->Connect((leader + 2) % servers);
    cfg->Connect((leader + 3) % servers);

    int leader2 = cfg->CheckOneLeader();
    auto r2 = cfg->raft(leader2)->Start(IntCmd(30));
    if (!r2.is_leader) Fatal("leader2 rejected Start()");
    if (r2.index < 2 || r2.index > 3) {
      Fatal(labrpc::Sprintf("unexpected index %d", r2.index));
    }

    cfg->One(1000, servers, true);

    cfg->End();
  });
}

TEST(Raft2B, ConcurrentStarts) {
  const int servers = 3;
  RunRaftTest({.servers = servers}, [&](const RaftConfigPtr& cfg) {
    cfg->Begin("Test (2B): concurrent Start()s");

    bool success = false;
    for (int attempt = 0; attempt < 5; attempt++) {
      if (attempt > 0) {
        // Let the cluster settle before the next attempt.
        labrpc::Sleep(3s);
      }

      int leader = cfg->CheckOneLeader();
      std::shared_ptr<raft::Raft> rf = cfg->raft(leader);
      auto r = rf->Start(IntCmd(1));
      if (!r.is_leader) continue;  // lost leadership already
      const int term = r.term;

      const int iters = 5;
      auto wg = std::make_shared<labrpc::WaitGroup>();
      auto is = std::make_shared<labrpc::Channel<int>>(iters);
      for (int ii = 0; ii < iters; ii++) {
        wg->Add(1);
        labrpc::Go("starter", [rf, wg, is, term, ii] {
          auto r1 = rf->Start(IntCmd(100 + ii));
          if (r1.term == term && r1.is_leader) is->Send(r1.index);
          wg->Done();
        });
      }

      wg->Wait();
      is->Close();

      bool moved_on = false;
      for (int j = 0; j < servers; j++) {
        if (cfg->raft(j)->GetState().first != term) {
          moved_on = true;  // a term change may have lost our commands
        }
      }
      if (moved_on) continue;

      bool failed = false;
      std::vector<int64_t> cmds;
      while (std::optional<int> index = is->Receive()) {
        std::optional<labrpc::Bytes> cmd = cfg->Wait(*index, servers, term);
        if (!cmd) {
          // A later term began, so some Start()s may rightly be lost.
          failed = true;
          break;
        }
        std::optional<int64_t> ix = CmdInt(*cmd);
        if (!ix) {
          Fatal(labrpc::Sprintf("value %s is not an int",
                                CmdToString(*cmd).c_str()));
        }
        cmds.push_back(*ix);
      }
      if (failed) {
        // Drain the rest (the channel is closed, so this ends).
        while (is->Receive()) {
        }
        continue;
      }

      for (int ii = 0; ii < iters; ii++) {
        int64_t x = 100 + ii;
        if (std::find(cmds.begin(), cmds.end(), x) == cmds.end()) {
          Fatal(labrpc::Sprintf("cmd %lld missing in %s",
                                static_cast<long long>(x),
                                JoinInts(cmds).c_str()));
        }
      }

      success = true;
      break;
    }

    if (!success) Fatal("term changed too often");

    cfg->End();
  });
}

TEST(Raft2B, Rejoin) {
  const int servers = 3;
  RunRaftTest({.servers = servers}, [&](const RaftConfigPtr& cfg) {
    cfg->Begin("Test (2B): rejoin of partitioned leader");

    cfg->One(101, servers, true);

    // The leader is cut off and takes entries it can never commit.
    int leader1 = cfg->CheckOneLeader();
    cfg->Disconnect(leader1);

    std::shared_ptr<raft::Raft> rf1 = cfg->raft(leader1);
    rf1->Start(IntCmd(102));
    rf1->Start(IntCmd(103));
    rf1->Start(IntCmd(104));

    // The new leader commits, also at index 2.
    cfg->One(103, 2, true);

    // The new leader is cut off; the old one comes back.
    int leader2 = cfg->CheckOneLeader();
    cfg->Disconnect(leader2);

    cfg->Connect(leader1);

    cfg->One(104, 2, true);

    // Everyone back.
    cfg->Connect(leader2);

    cfg->One(105, servers, true);

    cfg->End();
  });
}

TEST(Raft2B, Backup) {
  const int servers = 5;
  RunRaftTest({.servers = servers}, [&](const RaftConfigPtr& cfg) {
    cfg->Begin(
        "Test (2B): leader backs up quickly over incorrect follower "
        "logs");

    cfg->One(RandInt63(), servers, true);

    // The leader and one follower end up in a minority partition.
    int leader1 = cfg->CheckOneLeader();
    cfg->Disconnect((leader1 + 2) % servers);
    cfg->Disconnect((leader1 + 3) % servers);
    cfg->Disconnect((leader1 + 4) % servers);

    // Lots of entries that cannot commit.
    std::shared_ptr<raft::Raft> rf1 = cfg->raft(leader1);
    for (int i = 0; i < 50; i++) rf1->Start(IntCmd(RandInt63()));

    labrpc::Sleep(kRaftElectionTimeout / 2);

    cfg->Disconnect((leader1 + 0) % servers);
    cfg->Disconnect((leader1 + 1) % servers);

    // The other partition takes over.
    cfg->Connect((leader1 + 2) % servers);
    cfg->Connect((leader1 + 3) % servers);
    cfg->Connect((leader1 + 4) % servers);

    // Lots of entries that do commit in the new group.
    for (int i = 0; i < 50; i++) cfg->One(RandInt63(), 3, true);

    // Now another partitioned leader and one follower.
    int leader2 = cfg->CheckOneLeader();
    int other = (leader1 + 2) % servers;
    if (leader2 == other) other = (leader2 + 1) % servers;
    cfg->Disconnect(other);

    // Lots more entries that cannot commit.
    std::shared_ptr<raft::Raft> rf2 = cfg->raft(leader2);
    for (int i = 0; i < 50; i++) rf2->Start(IntCmd(RandInt63()));

    labrpc::Sleep(kRaftElectionTimeout / 2);

    // Bring the original leader back, with its stale entries.
    for (int i = 0; i < servers; i++) cfg->Disconnect(i);
    cfg->Connect((leader1 + 0) % servers);
    cfg->Connect((leader1 + 1) % servers);
    cfg->Connect(other);

    // Lots of entries that commit in the new group.
    for (int i = 0; i < 50; i++) cfg->One(RandInt63(), 3, true);

    // Everyone back.
    for (int i = 0; i < servers; i++) cfg->Connect(i);
    cfg->One(RandInt63(), servers, true);

    cfg->End();
  });
}

TEST(Raft2B, Count) {
  const int servers = 3;
  RunRaftTest({.servers = servers}, [&](const RaftConfigPtr& cfg) {
    cfg->Begin("Test (2B): RPC counts aren't too high");

    auto rpcs = [&] {
      int n = 0;
      for (int j = 0; j < servers; j++) n += cfg->RpcCount(j);
      return n;
    };

    int leader = cfg->CheckOneLeader();

    int total1 = rpcs();
    if (total1 > 30 || total1 < 1) {
      Fatal(labrpc::Sprintf(
          "too many or few RPCs (%d) to elect initial leader\n", total1));
    }

    int total2 = 0;
    bool success = false;
    for (int attempt = 0; attempt < 5 && !success; attempt++) {
      if (attempt > 0) {
        // Let the cluster settle before the next attempt.
        labrpc::Sleep(3s);
      }

      leader = cfg->CheckOneLeader();
      total1 = rpcs();

      const int iters = 10;
      std::shared_ptr<raft::Raft> rf = cfg->raft(leader);
      auto r = rf->Start(IntCmd(1));
      if (!r.is_leader) continue;  // lost leadership already
      const int starti = r.index;
      const int term = r.term;

      std::vector<int64_t> cmds;
      bool moved_on = false;
      for (int i = 1; i < iters + 2; i++) {
        int64_t x = RandInt31();
        cmds.push_back(x);
        auto r1 = rf->Start(IntCmd(x));
        if (r1.term != term || !r1.is_leader) {
          moved_on = true;  // Start() failed or the term changed
          break;
        }
        if (starti + i != r1.index) Fatal("Start() failed");
      }
      if (moved_on) continue;

      for (int i = 1; i < iters + 1 && !moved_on; i++) {
        std::optional<labrpc::Bytes> cmd = cfg->Wait(starti + i, servers, term);
        if (!cmd) {
          moved_on = true;  // a later term began: try again
          break;
        }
        std::optional<int64_t> ix = CmdInt(*cmd);
        if (!ix || *ix != cmds[i - 1]) {
          Fatal(labrpc::Sprintf(
              "wrong value %s committed for index %d; expected %s\n",
              CmdToString(*cmd).c_str(), starti + i, JoinInts(cmds).c_str()));
        }
      }
      if (moved_on) continue;

      bool failed = false;
      total2 = 0;
      for (int j = 0; j < servers; j++) {
        if (cfg->raft(j)->GetState().first != term) {
          // A new term costs extra RPCs; still sum up total2.
          failed = true;
        }
        total2 += cfg->RpcCount(j);
      }
      if (failed) continue;

      if (total2 - total1 > (iters + 1 + 3) * 3) {
        Fatal(labrpc::Sprintf("too many RPCs (%d) for %d entries\n",
                              total2 - total1, iters));
      }

      success = true;
    }

    if (!success) Fatal("term changed too often");

    labrpc::Sleep(kRaftElectionTimeout);

    int total3 = rpcs();
    if (total3 - total2 > 3 * 20) {
      Fatal(labrpc::Sprintf("too many RPCs (%d) for 1 second of idleness\n",
                            total3 - total2));
    }

    cfg->End();
  });
}

}  // namespace
}  // namespace raftlab_test
