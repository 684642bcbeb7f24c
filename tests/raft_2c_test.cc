// Graded Raft tests, stage 2C: persistence (Go's test_test.go, 2C part).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "labrpc/channel.h"
#include "labrpc/runtime.h"
#include "labrpc/trace.h"
#include "tests/raft_2c_scenarios.h"
#include "tests/raft_config.h"
#include "tests/test_world.h"

namespace raftlab_test {
namespace {

using namespace std::chrono_literals;

TEST(Raft2C, Persist1) {
  // The body is TestPersist12C (tests/raft_2c_scenarios.cc), which
  // RaftDeterminism runs too.
  RunRaftTest({.servers = 3}, TestPersist12C);
}

TEST(Raft2C, Persist2) {
  const int servers = 5;
  RunRaftTest({.servers = servers}, [&](const RaftConfigPtr& cfg) {
    cfg->Begin("Test (2C): more persistence");

    int index = 1;
    for (int iters = 0; iters < 5; iters++) {
      cfg->One(10 + index, servers, true);
      index++;

      int leader1 = cfg->CheckOneLeader();

      cfg->Disconnect((leader1 + 1) % servers);
      cfg->Disconnect((leader1 + 2) % servers);

      cfg->One(10 + index, servers - 2, true);
      index++;

      cfg->Disconnect((leader1 + 0) % servers);
      cfg->Disconnect((leader1 + 3) % servers);
      cfg->Disconnect((leader1 + 4) % servers);

      cfg->Start1((leader1 + 1) % servers);
      cfg->Start1((leader1 + 2) % servers);
      cfg->Connect((leader1 + 1) % servers);
      cfg->Connect((leader1 + 2) % servers);

      labrpc::Sleep(kRaftElectionTimeout);

      cfg->Start1((leader1 + 3) % servers);
      cfg->Connect((leader1 + 3) % servers);

      cfg->One(10 + index, servers - 2, true);
      index++;

      cfg->Connect((leader1 + 4) % servers);
      cfg->Connect((leader1 + 0) % servers);
    }

    cfg->One(1000, servers, true);

    cfg->End();
  });
}

TEST(Raft2C, Persist3) {
  const int servers = 3;
  RunRaftTest({.servers = servers}, [&](const RaftConfigPtr& cfg) {
    cfg->Begin(
        "Test (2C): partitioned leader and one follower crash, leader "
        "restarts");

    cfg->One(101, 3, true);

    int leader = cfg->CheckOneLeader();
    cfg->Disconnect((leader + 2) % servers);

    cfg->One(102, 2, true);

    cfg->Crash1((leader + 0) % servers);
    cfg->Crash1((leader + 1) % servers);
    cfg->Connect((leader + 2) % servers);
    cfg->Start1((leader + 0) % servers);
    cfg->Connect((leader + 0) % servers);

    cfg->One(103, 2, true);

    cfg->Start1((leader + 1) % servers);
    cfg->Connect((leader + 1) % servers);

    cfg->One(104, servers, true);

    cfg->End();
  });
}

// The sleep of one Figure 8 round: mostly short (0-12 ms), sometimes up to
// half an election timeout, so that leaders often fail before committing.
void Figure8Sleep() {
  if (labrpc::RandInt(1000) < 100) {
    int64_t ms = labrpc::RandInt(kRaftElectionTimeout.count() / 2);
    labrpc::Sleep(std::chrono::milliseconds(ms));
  } else {
    int64_t ms = labrpc::RandInt(13);
    labrpc::Sleep(std::chrono::milliseconds(ms));
  }
}

// The scenario of Figure 8 of the Raft paper: leaders crash shortly after
// taking new entries, mostly before committing them, and come back later.
TEST(Raft2C, Figure8) {
  const int servers = 5;
  RunRaftTest({.servers = servers}, [&](const RaftConfigPtr& cfg) {
    cfg->Begin("Test (2C): Figure 8");

    cfg->One(RandInt63(), 1, true);

    int nup = servers;
    for (int iters = 0; iters < 1000; iters++) {
      int leader = -1;
      for (int i = 0; i < servers; i++) {
        if (auto rf = cfg->raft(i)) {
          if (rf->Start(IntCmd(RandInt63())).is_leader) leader = i;
        }
      }

      Figure8Sleep();

      if (leader != -1) {
        cfg->Crash1(leader);
        nup -= 1;
      }

      if (nup < 3) {
        int s = labrpc::RandInt(servers);
        if (cfg->raft(s) == nullptr) {
          cfg->Start1(s);
          cfg->Connect(s);
          nup += 1;
        }
      }
    }

    for (int i = 0; i < servers; i++) {
      if (cfg->raft(i) == nullptr) {
        cfg->Start1(i);
        cfg->Connect(i);
      }
    }

    cfg->One(RandInt63(), servers, true);

    cfg->End();
  });
}

TEST(Raft2C, UnreliableAgree) {
  const int servers = 5;
  RunRaftTest({.servers = servers, .unreliable = true},
              [&](const RaftConfigPtr& cfg) {
                cfg->Begin("Test (2C): unreliable agreement");

                auto wg = std::make_shared<labrpc::WaitGroup>();

                for (int iters = 1; iters < 50; iters++) {
                  for (int j = 0; j < 4; j++) {
                    wg->Add(1);
                    labrpc::Go("agree", [cfg, wg, iters, j] {
                      cfg->One((100 * iters) + j, 1, true);
                      wg->Done();
                    });
                  }
                  cfg->One(iters, 1, true);
                }

                cfg->SetUnreliable(false);

                wg->Wait();

                cfg->One(100, servers, true);

                cfg->End();
              });
}

TEST(Raft2C, Figure8Unreliable) {
  const int servers = 5;
  RunRaftTest(
      {.servers = servers, .unreliable = true}, [&](const RaftConfigPtr& cfg) {
        cfg->Begin("Test (2C): Figure 8 (unreliable)");

        cfg->One(labrpc::RandInt(10000), 1, true);

        int nup = servers;
        for (int iters = 0; iters < 1000; iters++) {
          if (iters == 200) cfg->SetLongReordering(true);
          int leader = -1;
          for (int i = 0; i < servers; i++) {
            auto rf = cfg->raft(i);
            if (rf == nullptr) continue;
            bool ok = rf->Start(IntCmd(labrpc::RandInt(10000))).is_leader;
            if (ok && cfg->connected(i)) leader = i;
          }

          Figure8Sleep();

          if (leader != -1 && labrpc::RandInt(1000) < 500) {
            cfg->Disconnect(leader);
            nup -= 1;
          }

          if (nup < 3) {
            int s = labrpc::RandInt(servers);
            if (!cfg->connected(s)) {
              cfg->Connect(s);
              nup += 1;
            }
          }
        }

        for (int i = 0; i < servers; i++) {
          if (!cfg->connected(i)) cfg->Connect(i);
        }

        cfg->One(labrpc::RandInt(10000), servers, true);

        cfg->End();
      });
}

// Go's internalChurn: three clients submit commands to whoever leads while
// peers are disconnected, crashed and restarted at random; at the end every
// command a client saw committed must be in the final log.
void InternalChurn(bool unreliable) {
  const int servers = 5;
  RunRaftTest(
      {.servers = servers, .unreliable = unreliable},
      [&](const RaftConfigPtr& cfg) {
        if (unreliable) {
          cfg->Begin("Test (2C): unreliable churn");
        } else {
          cfg->Begin("Test (2C): churn");
        }

        auto stop = std::make_shared<std::atomic<bool>>(false);

        // A client: returns (on its channel) the commands it saw committed.
        using Values = std::optional<std::vector<int64_t>>;
        auto cfn = [cfg, stop](int me,
                               std::shared_ptr<labrpc::Channel<Values>> ch) {
          std::vector<int64_t> values;
          while (!*stop) {
            int64_t x = RandInt63();
            int index = -1;
            bool ok = false;
            for (int i = 0; i < servers; i++) {
              // try them all, maybe one of them is a leader
              if (auto rf = cfg->raft(i)) {
                auto r = rf->Start(IntCmd(x));
                if (r.is_leader) {
                  ok = true;
                  index = r.index;
                }
              }
            }
            if (ok) {
              // Poll with growing pauses; an index may take a while to commit.
              for (int to : {10, 20, 50, 100, 200}) {
                auto [nd, cmd] = cfg->NCommitted(index);
                if (nd > 0) {
                  std::optional<int64_t> xx = CmdInt(cmd);
                  if (!xx) Fatal("wrong command type");
                  if (*xx == x) values.push_back(x);
                  break;
                }
                labrpc::Sleep(std::chrono::milliseconds(to));
              }
            } else {
              labrpc::Sleep(std::chrono::milliseconds(79 + me * 17));
            }
          }
          ch->Send(values);
        };

        const int ncli = 3;
        std::vector<std::shared_ptr<labrpc::Channel<Values>>> cha;
        for (int i = 0; i < ncli; i++) {
          cha.push_back(std::make_shared<labrpc::Channel<Values>>(1));
          labrpc::Go("churn-client", [cfn, i, ch = cha[i]] { cfn(i, ch); });
        }

        for (int iters = 0; iters < 20; iters++) {
          if (labrpc::RandInt(1000) < 200) {
            int i = labrpc::RandInt(servers);
            cfg->Disconnect(i);
          }

          if (labrpc::RandInt(1000) < 500) {
            int i = labrpc::RandInt(servers);
            if (cfg->raft(i) == nullptr) cfg->Start1(i);
            cfg->Connect(i);
          }

          if (labrpc::RandInt(1000) < 200) {
            int i = labrpc::RandInt(servers);
            if (cfg->raft(i) != nullptr) cfg->Crash1(i);
          }

          // Rare enough crashes and restarts that a correct Raft can still
          // make progress now and then.
          labrpc::Sleep(kRaftElectionTimeout * 7 / 10);
        }

        labrpc::Sleep(kRaftElectionTimeout);
        cfg->SetUnreliable(false);
        for (int i = 0; i < servers; i++) {
          if (cfg->raft(i) == nullptr) cfg->Start1(i);
          cfg->Connect(i);
        }

        *stop = true;

        std::vector<int64_t> values;
        for (int i = 0; i < ncli; i++) {
          std::optional<Values> vv = cha[i]->Receive();
          if (!vv || !*vv) Fatal("client failed");
          values.insert(values.end(), (*vv)->begin(), (*vv)->end());
        }

        labrpc::Sleep(kRaftElectionTimeout);

        int last_index = cfg->One(RandInt63(), servers, true);

        std::vector<int64_t> really;
        for (int index = 1; index <= last_index; index++) {
          std::optional<labrpc::Bytes> v = cfg->Wait(index, servers, -1);
          std::optional<int64_t> vi = v ? CmdInt(*v) : std::nullopt;
          if (!vi) Fatal("not an int");
          really.push_back(*vi);
        }

        for (int64_t v1 : values) {
          if (std::find(really.begin(), really.end(), v1) == really.end()) {
            Fatal("didn't find a value");
          }
        }

        cfg->End();
      });
}

TEST(Raft2C, ReliableChurn) { InternalChurn(false); }

TEST(Raft2C, UnreliableChurn) { InternalChurn(true); }

}  // namespace
}  // namespace raftlab_test
