// The unchanged raft::Raft over deploy::TcpTransport: three peers in one
// process, each with its own transport on a loopback port, as three server
// processes would be. They elect a leader and commit; a partition made with
// the transport's filter elects another and heals. Real backend only.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "deploy/tcp_transport.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "raft/raft.h"
#include "tests/test_world.h"

namespace deploy {
namespace {

using raftlab_test::Fatal;
using std::chrono::milliseconds;

constexpr int kPeers = 3;

// Three Raft peers over TCP, and what each has applied.
class TcpCluster {
 public:
  TcpCluster() {
    for (int i = 0; i < kPeers; i++) {
      nets_.push_back(std::make_unique<TcpTransport>());
      servers_.push_back(std::make_shared<labrpc::Server>());
      nets_[i]->Listen("127.0.0.1:0", servers_[i]);
      addrs_.push_back("127.0.0.1:" + std::to_string(nets_[i]->port()));
    }
    for (int i = 0; i < kPeers; i++) {
      std::vector<std::shared_ptr<labrpc::ClientEnd>> ends;
      for (int j = 0; j < kPeers; j++)
        ends.push_back(nets_[i]->MakeEnd(addrs_[j]));
      auto ch = std::make_shared<raft::ApplyChannel>();
      rafts_.push_back(
          raft::Raft::Make(ends, i, std::make_shared<raft::Persister>(), ch));
      servers_[i]->AddService(rafts_[i]->service());
      // Shares `applied_`, not the cluster: it runs until the world stops.
      labrpc::Go("applier", [applied = applied_, i, ch] {
        while (std::optional<raft::ApplyMsg> m = ch->Receive()) {
          if (!m->command_valid) continue;
          labrpc::MutexLock l(applied->mu);
          applied->by_peer[i][m->command_index] = m->command;
        }
      });
    }
  }
  ~TcpCluster() {
    for (auto& rf : rafts_) rf->Kill();
  }

  // The one leader among `peers` (of the highest term), waiting for it.
  int AwaitLeader(const std::vector<int>& peers) {
    for (int round = 0; round < 50; round++) {
      labrpc::Sleep(milliseconds(100));
      std::map<int, std::vector<int>> leaders;  // term -> leaders
      for (int i : peers) {
        auto [term, is_leader] = rafts_[i]->GetState();
        if (is_leader) leaders[term].push_back(i);
      }
      if (leaders.empty()) continue;
      if (leaders.rbegin()->second.size() != 1) {
        Fatal("term " + std::to_string(leaders.rbegin()->first) + " has " +
              std::to_string(leaders.rbegin()->second.size()) + " leaders");
      }
      return leaders.rbegin()->second[0];
    }
    Fatal("no leader elected over TCP within 5 s");
  }

  // Starts `cmd` on `leader` and waits until every peer in `peers` has
  // applied it at the index Start returned; returns that index.
  int Commit(int leader, const std::string& cmd,
             const std::vector<int>& peers) {
    raft::Raft::StartResult s = rafts_[leader]->Start(cmd);
    if (!s.is_leader) Fatal("peer " + std::to_string(leader) + " is no leader");
    for (int round = 0; round < 100; round++) {
      labrpc::Sleep(milliseconds(50));
      int have = 0;
      labrpc::MutexLock l(applied_->mu);
      for (int i : peers) {
        auto it = applied_->by_peer[i].find(s.index);
        if (it == applied_->by_peer[i].end()) continue;
        if (it->second != cmd) {
          Fatal("peer " + std::to_string(i) + " applied " + it->second +
                " at " + std::to_string(s.index) + ", not " + cmd);
        }
        have++;
      }
      if (have == static_cast<int>(peers.size())) return s.index;
    }
    Fatal(cmd + " was not applied by every peer within 5 s");
  }

  // Cuts `peer` off from the others in both directions, as cluster.py
  // does: each side's filter blocks the other side.
  void Isolate(int peer) {
    for (int i = 0; i < kPeers; i++) {
      std::set<std::string> blocked;
      for (int j = 0; j < kPeers; j++) {
        if (j != i && (i == peer || j == peer)) blocked.insert(addrs_[j]);
      }
      nets_[i]->SetBlocked(blocked);
    }
  }
  void Heal() {
    for (auto& net : nets_) net->SetBlocked({});
  }

  raft::Raft& raft(int i) { return *rafts_[i]; }

 private:
  std::vector<std::unique_ptr<TcpTransport>> nets_;
  std::vector<std::shared_ptr<labrpc::Server>> servers_;
  std::vector<std::string> addrs_;
  std::vector<std::shared_ptr<raft::Raft>> rafts_;
  struct Applied {
    labrpc::Mutex mu{"applied"};
    std::map<int, std::map<int, std::string>> by_peer;  // index -> command
  };
  const std::shared_ptr<Applied> applied_ = std::make_shared<Applied>();
};

labrpc::WorldOptions RealWorld() {
  labrpc::WorldOptions o = labrpc::WorldOptions::FromEnv();
  o.backend = labrpc::Backend::kReal;
  return o;
}

TEST(TcpRaft, ElectsCommitsAndSurvivesAPartition) {
  raftlab_test::RunInWorld(RealWorld(), [] {
    TcpCluster c;
    const std::vector<int> all = {0, 1, 2};
    const int leader = c.AwaitLeader(all);
    int last = 0;
    for (int i = 1; i <= 5; i++) {
      int index = c.Commit(leader, "cmd" + std::to_string(i), all);
      EXPECT_GT(index, last);
      last = index;
    }

    // The leader alone in a minority: the other two elect a new one, in a
    // later term, and commit without it.
    c.Isolate(leader);
    std::vector<int> rest;
    for (int i : all) {
      if (i != leader) rest.push_back(i);
    }
    const int old_term = c.raft(leader).GetState().first;
    const int leader2 = c.AwaitLeader(rest);
    EXPECT_NE(leader2, leader);
    EXPECT_GT(c.raft(leader2).GetState().first, old_term);
    c.Commit(leader2, "in the majority", rest);

    // Healed, the old leader steps down and catches up.
    c.Heal();
    c.Commit(leader2, "after heal", all);
    EXPECT_FALSE(c.raft(leader).GetState().second);
  });
}

}  // namespace
}  // namespace deploy
