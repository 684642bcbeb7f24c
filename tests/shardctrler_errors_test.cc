// The shard controller's handling of requests that can never succeed
// (common.h kErrInvalidArgument) and of Query's edge cases: invalid
// requests are judged when applied, change nothing, are remembered in the
// duplicate table, and make the clerk throw std::invalid_argument. A kit
// test (suite `ShardCtrlerErrors`), not graded; runs under both backends.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "labrpc/runtime.h"
#include "tests/shardctrler_config.h"
#include "tests/test_world.h"

namespace raftlab_test {
namespace {

using namespace std::chrono_literals;
using shardctrler::ChangeReply;
using shardctrler::Config;
using shardctrler::Err;
using shardctrler::ErrName;

// Runs `call`, which must throw std::invalid_argument whose message
// contains `needle`; returns the message.
std::string ExpectInvalid(const std::function<void()>& call,
                          const std::string& needle) {
  try {
    call();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message: " << e.what();
    return e.what();
  }
  Fatal("expected std::invalid_argument containing \"" + needle + "\"");
}

// Sends a hand-made change request (with its own client id and seq) to
// every server in turn until a leader executes it; returns its error.
template <class Args>
Err SendUntilExecuted(
    const std::vector<std::shared_ptr<labrpc::ClientEnd>>& ends,
    const std::string& method, const Args& args) {
  for (int attempt = 0;; attempt++) {
    ChangeReply reply;
    const bool ok = ends[attempt % ends.size()]->Call(method, args, &reply);
    if (ok && !reply.wrong_leader && reply.err != Err::kErrTimeout) {
      return reply.err;
    }
    if ((attempt + 1) % ends.size() == 0) labrpc::Sleep(100ms);
  }
}

TEST(ShardCtrlerErrors, InvalidRequestsThrowAndChangeNothing) {
  RunShardCtrlerTest({.servers = 3}, [](const ShardCtrlerConfigPtr& cfg) {
    ShardCtrlerClerkPtr ck = cfg->MakeClient(cfg->All());
    ck->Join({{1, {"a"}}, {2, {"b"}}});
    const Config before = ck->Query(-1);
    ASSERT_EQ(before.num, 1);

    ExpectInvalid([&] { ck->Join({{0, {"z"}}}); }, "gid 0");
    ExpectInvalid(
        [&] {
          ck->Join({{3, {"c"}}, {1, {"a2"}}});
        },
        "already in the configuration");
    ExpectInvalid([&] { ck->Leave({2, 5}); }, "not in the configuration");
    ExpectInvalid([&] { ck->Move(shardctrler::kNShards, 1); },
                  "shards are 0..9");
    ExpectInvalid([&] { ck->Move(-1, 1); }, "shards are 0..9");
    ExpectInvalid([&] { ck->Move(0, 7); }, "not in the configuration");

    // No new configuration, nothing half-applied (gid 3 did not join).
    CheckSameConfig(ck->Query(-1), before);

    // The clerk is still usable: its next call gets the next sequence
    // number and executes.
    ck->Move(0, 2);
    const Config after = ck->Query(-1);
    EXPECT_EQ(after.num, before.num + 1);
    EXPECT_EQ(after.shards[0], 2);
  });
}

TEST(ShardCtrlerErrors, ConcurrentJoinsOfOneGidOneWins) {
  RunShardCtrlerTest({.servers = 3}, [](const ShardCtrlerConfigPtr& cfg) {
    constexpr int kClerks = 5;
    ShardCtrlerClerkPtr ck = cfg->MakeClient(cfg->All());
    const int num0 = ck->Query(-1).num;
    std::vector<ShardCtrlerClerkPtr> cka;
    for (int i = 0; i < kClerks; i++)
      cka.push_back(cfg->MakeClient(cfg->All()));
    // Each handler sees gid 42 absent when it starts the request; only the
    // apply order decides.
    auto wins = std::make_shared<std::vector<int>>();
    auto wg = std::make_shared<labrpc::WaitGroup>();
    wg->Add(kClerks);
    for (int i = 0; i < kClerks; i++) {
      labrpc::Go("joiner", [cka, wins, wg, i] {
        try {
          cka[i]->Join({{42, {"s" + std::to_string(i)}}});
          wins->push_back(i);
        } catch (const std::invalid_argument&) {
        }
        wg->Done();
      });
    }
    wg->Wait();
    ASSERT_EQ(wins->size(), 1u) << "exactly one Join of gid 42 succeeds";
    const Config c = ck->Query(-1);
    EXPECT_EQ(c.num, num0 + 1) << "exactly one new configuration";
    ASSERT_EQ(c.groups.count(42), 1u);
    EXPECT_EQ(c.groups.at(42),
              std::vector<std::string>{"s" + std::to_string(wins->front())});
  });
}

TEST(ShardCtrlerErrors, DuplicateTableKeepsVerdicts) {
  RunShardCtrlerTest({.servers = 3}, [](const ShardCtrlerConfigPtr& cfg) {
    auto ends = cfg->MakeEnds();
    ShardCtrlerClerkPtr ck = cfg->MakeClient(cfg->All());

    // An invalid Leave, then the state changes so that it would be valid,
    // then its retry: still invalid, and it does not execute.
    shardctrler::LeaveArgs leave;
    leave.gids = {7};
    leave.client_id = shardctrler::RandomClientId();
    leave.seq = 1;
    Err err = SendUntilExecuted(ends, "ShardCtrler.Leave", leave);
    EXPECT_EQ(err, Err::kErrInvalidArgument) << ErrName(err);
    ck->Join({{7, {"x"}}});
    const Config with7 = ck->Query(-1);
    err = SendUntilExecuted(ends, "ShardCtrler.Leave", leave);
    EXPECT_EQ(err, Err::kErrInvalidArgument) << "retry: " << ErrName(err);
    CheckSameConfig(ck->Query(-1), with7);

    // A valid Join executed once; after the group leaves, its retry
    // answers OK without joining it again.
    shardctrler::JoinArgs join;
    join.servers = {{8, {"y"}}};
    join.client_id = shardctrler::RandomClientId();
    join.seq = 1;
    err = SendUntilExecuted(ends, "ShardCtrler.Join", join);
    EXPECT_EQ(err, Err::kOK) << ErrName(err);
    ck->Leave({8});
    const Config without8 = ck->Query(-1);
    err = SendUntilExecuted(ends, "ShardCtrler.Join", join);
    EXPECT_EQ(err, Err::kOK) << "retry: " << ErrName(err);
    CheckSameConfig(ck->Query(-1), without8);
  });
}

// Over a network that drops and delays requests and replies, clerks retry;
// every change must still execute exactly once (one configuration each).
TEST(ShardCtrlerErrors, RetriesOnUnreliableNetworkExecuteOnce) {
  RunShardCtrlerTest(
      {.servers = 3, .unreliable = true}, [](const ShardCtrlerConfigPtr& cfg) {
        constexpr int kClerks = 4;
        constexpr int kRounds = 3;
        ShardCtrlerClerkPtr ck = cfg->MakeClient(cfg->All());
        std::vector<ShardCtrlerClerkPtr> cka;
        for (int i = 0; i < kClerks; i++)
          cka.push_back(cfg->MakeClient(cfg->All()));
        auto wg = std::make_shared<labrpc::WaitGroup>();
        wg->Add(kClerks);
        for (int i = 0; i < kClerks; i++) {
          labrpc::Go("changer", [cka, wg, i] {
            for (int r = 0; r < kRounds; r++) {
              const int gid = 100 * (i + 1) + r;
              cka[i]->Join({{gid, {"s" + std::to_string(gid)}}});
              cka[i]->Move(i, gid);
              cka[i]->Leave({gid});
            }
            wg->Done();
          });
        }
        wg->Wait();
        const Config last = ck->Query(-1);
        EXPECT_EQ(last.num, kClerks * kRounds * 3)
            << "one configuration per Join, Move and Leave";
        EXPECT_TRUE(last.groups.empty());
        EXPECT_EQ(last.shards, (std::array<int, shardctrler::kNShards>{}));
      });
}

TEST(ShardCtrlerErrors, QueryNumbers) {
  RunShardCtrlerTest({.servers = 3}, [](const ShardCtrlerConfigPtr& cfg) {
    ShardCtrlerClerkPtr ck = cfg->MakeClient(cfg->All());
    CheckSameConfig(ck->Query(-1), Config{});
    ck->Join({{1, {"a"}}});
    ck->Join({{2, {"b"}}});
    const Config latest = ck->Query(-1);
    EXPECT_EQ(latest.num, 2);
    CheckSameConfig(ck->Query(latest.num + 1), latest);
    CheckSameConfig(ck->Query(1000), latest);
    CheckSameConfig(ck->Query(-7), latest);
    CheckSameConfig(ck->Query(0), Config{});
    const Config c1 = ck->Query(1);
    EXPECT_EQ(c1.num, 1);
    EXPECT_EQ(c1.groups.size(), 1u);
    EXPECT_EQ(c1.shards, (std::array<int, shardctrler::kNShards>{
                             1, 1, 1, 1, 1, 1, 1, 1, 1, 1}));
  });
}

}  // namespace
}  // namespace raftlab_test
