// Targeted shard controller scenarios, graded with stage 4A (suite
// ShardCtrlerStrict4A). Black-box through the controller's RPCs only: the
// clerk's Join/Leave/Move/Query, and, where the schedule matters, requests
// sent by hand with a fixed client id and sequence number. Each one pins
// down a rule that the randomized graded tests check only loosely: that a
// Join moves exactly as few shards as a balanced configuration needs (the
// graded minimal-transfer check only forbids moves between old groups), and
// that two copies of one request in the log execute once.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "labrpc/channel.h"
#include "labrpc/runtime.h"
#include "labrpc/trace.h"
#include "shardctrler/client.h"
#include "shardctrler/common.h"
#include "tests/shardctrler_config.h"
#include "tests/test_world.h"

namespace raftlab_test {
namespace {

using namespace std::chrono_literals;
using shardctrler::Config;
using shardctrler::kNShards;

constexpr int kNServers = 3;

// gid -> the number of shards it serves in c, for every gid of c.groups.
std::map<int, int> Loads(const Config& c) {
  std::map<int, int> loads;
  for (const auto& [gid, names] : c.groups) loads[gid] = 0;
  for (int gid : c.shards) {
    auto it = loads.find(gid);
    if (it != loads.end()) it->second++;
  }
  return loads;
}

std::string FormatLoads(const std::map<int, int>& loads) {
  std::string out = "{";
  for (const auto& [gid, n] : loads) {
    if (out.size() > 1) out += ", ";
    out += labrpc::Sprintf("%d: %d", gid, n);
  }
  return out + "}";
}

// The fewest shards that must change owner to go from `before` to a
// balanced configuration over the groups of `after` (every group with
// floor or ceil of kNShards / groups). Each group can keep at most its
// share of what it holds; the ceil shares are best given to the groups
// that hold the most.
int MinMoves(const Config& before, const Config& after) {
  if (after.groups.empty()) return 0;
  const int n = static_cast<int>(after.groups.size());
  std::vector<int> held;
  for (const auto& [gid, names] : after.groups) {
    held.push_back(static_cast<int>(
        std::count(before.shards.begin(), before.shards.end(), gid)));
  }
  std::sort(held.begin(), held.end(), std::greater<int>());
  int kept = 0;
  for (int i = 0; i < n; i++) {
    const int share = kNShards / n + (i < kNShards % n ? 1 : 0);
    kept += std::min(held[i], share);
  }
  return kNShards - kept;
}

int Moves(const Config& a, const Config& b) {
  int moves = 0;
  for (int s = 0; s < kNShards; s++) moves += a.shards[s] != b.shards[s];
  return moves;
}

// Joins gid through ck and checks the result: exactly one new
// configuration, with every group balanced, reached by moving as few
// shards as possible.
void JoinAndCheckMinimal(const ShardCtrlerClerkPtr& ck, int gid,
                         const std::vector<int>& groups_after,
                         Location where = Location::current()) {
  const Config before = ck->Query(-1);
  ck->Join(
      {{gid,
        {"s" + std::to_string(gid) + "a", "s" + std::to_string(gid) + "b"}}});
  const Config after = ck->Query(-1);
  if (after.num != before.num + 1) {
    Fatal(labrpc::Sprintf("Join of gid %d took the latest configuration from "
                          "#%d to #%d: each Join must make exactly one new "
                          "configuration, numbered latest+1",
                          gid, before.num, after.num),
          where);
  }
  CheckGroups(groups_after, ck, where);
  const int moved = Moves(before, after);
  const int min = MinMoves(before, after);
  if (moved != min) {
    Fatal(labrpc::Sprintf(
              "Join of gid %d moved %d shards, the minimum is %d: "
              "rebalancing must move as few shards as possible (before %s "
              "loads %s, after %s loads %s). A shard should leave a group "
              "only if that group holds more than its share (floor or ceil "
              "of %d/groups), and the ceil shares should go to the groups "
              "that already hold the most.",
              gid, moved, min, FormatShards(before.shards).c_str(),
              FormatLoads(Loads(before)).c_str(),
              FormatShards(after.shards).c_str(),
              FormatLoads(Loads(after)).c_str(), kNShards),
          where);
  }
}

// Join 1, then 2, then 3: each Join moves exactly the shards needed to
// balance (10, 5, then 3), and none between two groups that both keep at
// least their share.
TEST(ShardCtrlerStrict4A, EachJoinMovesFewestShards) {
  RunShardCtrlerTest(
      {.servers = kNServers}, [](const ShardCtrlerConfigPtr& cfg) {
        cfg->Begin("Test: each Join moves the fewest shards (4A)");
        ShardCtrlerClerkPtr ck = cfg->MakeClient(cfg->All());
        JoinAndCheckMinimal(ck, 1, {1});
        JoinAndCheckMinimal(ck, 2, {1, 2});
        JoinAndCheckMinimal(ck, 3, {1, 2, 3});
        cfg->End();
      });
}

// After Joins of 1, 2 and 3, Moves make the loads g1=2, g2=4, g3=4; then
// gid 4 joins. With four groups the shares are 3, 3, 2, 2: the 3s must go
// to gids 2 and 3, which hold the most, so that only 2 shards move (a
// controller that gives the extra shards to the smallest gids moves 3).
TEST(ShardCtrlerStrict4A, UnevenJoinKeepsExtraShardsOnFullestGroups) {
  RunShardCtrlerTest(
      {.servers = kNServers}, [](const ShardCtrlerConfigPtr& cfg) {
        cfg->Begin(
            "Test: a Join onto uneven loads moves the fewest shards (4A)");
        ShardCtrlerClerkPtr ck = cfg->MakeClient(cfg->All());
        for (int gid = 1; gid <= 3; gid++) ck->Join({{gid, {"x", "y"}}});
        CheckGroups({1, 2, 3}, ck);

        // Move shards off groups above their wanted load onto groups
        // below it, one Move at a time, whatever the layout the Joins
        // chose.
        const std::map<int, int> want = {{1, 2}, {2, 4}, {3, 4}};
        for (int step = 0; step < kNShards; step++) {
          const Config c = ck->Query(-1);
          const std::map<int, int> loads = Loads(c);
          if (loads == want) break;
          int from = 0;
          int to = 0;
          for (const auto& [gid, n] : loads) {
            if (n > want.at(gid) && from == 0) from = gid;
            if (n < want.at(gid) && to == 0) to = gid;
          }
          int shard = 0;
          while (c.shards[shard] != from) shard++;
          ck->Move(shard, to);
          const Config moved = ck->Query(-1);
          if (moved.num != c.num + 1 || moved.shards[shard] != to) {
            Fatal(labrpc::Sprintf(
                "Move(%d, %d) on configuration #%d %s gave #%d %s: a Move "
                "must make one new configuration with just that shard on "
                "that gid (no rebalancing)",
                shard, to, c.num, FormatShards(c.shards).c_str(), moved.num,
                FormatShards(moved.shards).c_str()));
          }
        }
        const Config c = ck->Query(-1);
        if (Loads(c) != want) {
          Fatal(labrpc::Sprintf(
              "the Moves did not reach loads %s: got %s (%s); a Move must "
              "put just the one shard on the gid",
              FormatLoads(want).c_str(), FormatLoads(Loads(c)).c_str(),
              FormatShards(c.shards).c_str()));
        }

        JoinAndCheckMinimal(ck, 4, {1, 2, 3, 4});
        cfg->End();
      });
}

// Sends `args` as "ShardCtrler.Move" to ends[first], then to the others in
// turn, as a clerk would, until one answers OK. Fails the test if one
// answers ErrInvalidArgument or none answers OK within 10 s.
shardctrler::Err SendMoveUntilOk(
    const std::vector<std::shared_ptr<labrpc::ClientEnd>>& ends, int first,
    const shardctrler::MoveArgs& args) {
  const labrpc::Duration deadline = labrpc::Now() + 10s;
  const int n = static_cast<int>(ends.size());
  while (labrpc::Now() < deadline) {
    for (int k = 0; k < n; k++) {
      shardctrler::MoveReply reply;
      if (!ends[(first + k) % n]->Call("ShardCtrler.Move", args, &reply)) {
        continue;
      }
      if (reply.err == shardctrler::Err::kOK ||
          reply.err == shardctrler::Err::kErrInvalidArgument) {
        return reply.err;
      }
    }
    labrpc::Sleep(20ms);
  }
  return shardctrler::Err::kErrTimeout;
}

// The same Move (one client id and sequence number) arrives twice at the
// leader at the same time, as when a clerk's retry overtakes its first
// attempt; the leader is cut off from its followers while both arrive, so
// that both are in its log before either commits. Both must be answered
// OK, and the Move must make exactly one new configuration: the duplicate
// check at apply time must also catch a copy of the request that was
// applied just before it.
TEST(ShardCtrlerStrict4A, DuplicateMoveInLogAppliesOnce) {
  RunShardCtrlerTest(
      {.servers = kNServers}, [](const ShardCtrlerConfigPtr& cfg) {
        cfg->Begin("Test: two copies of one Move in the log apply once (4A)");
        ShardCtrlerClerkPtr ck = cfg->MakeClient(cfg->All());
        ck->Join({{1, {"x", "y"}}});
        ck->Join({{2, {"a", "b"}}});
        CheckGroups({1, 2}, ck);
        const Config before = ck->Query(-1);

        std::optional<int> leader = cfg->Leader();
        if (!leader) Fatal("no leader after two Joins");
        std::vector<int> others;
        for (int i = 0; i < cfg->n(); i++) {
          if (i != *leader) others.push_back(i);
        }

        shardctrler::MoveArgs args;
        args.shard = 0;
        args.gid = before.shards[0] == 1 ? 2 : 1;
        args.client_id = shardctrler::RandomClientId();
        args.seq = 1;

        // The leader keeps its role but cannot commit: both copies go into
        // its log. Shorter than any election timeout, so it still leads
        // when it is reconnected.
        cfg->Partition({*leader}, others);
        const std::vector<std::shared_ptr<labrpc::ClientEnd>> ends =
            cfg->MakeEnds();
        const int first = *leader;
        auto replies = std::make_shared<labrpc::Channel<shardctrler::Err>>(2);
        for (int copy = 0; copy < 2; copy++) {
          labrpc::Go("ctrler-strict-dup-move-" + std::to_string(copy),
                     [ends, first, args, replies] {
                       replies->Send(SendMoveUntilOk(ends, first, args));
                     });
        }
        labrpc::Sleep(50ms);
        cfg->ConnectAll();

        for (int copy = 0; copy < 2; copy++) {
          shardctrler::Err err = shardctrler::Err::kErrTimeout;
          if (replies->ReceiveFor(15s, &err) != labrpc::RecvStatus::kOk ||
              err != shardctrler::Err::kOK) {
            Fatal(labrpc::Sprintf(
                "a copy of Move(0, %d) (client id %lld, seq 1) got %s, not "
                "OK: a retried change that already executed must be "
                "answered with its first outcome",
                args.gid, static_cast<long long>(args.client_id),
                shardctrler::ErrName(err)));
          }
        }
        const Config after = ck->Query(-1);
        LAB_TRACE("test", *leader, "dup Move: #%d -> #%d", before.num,
                  after.num);
        if (after.num != before.num + 1) {
          Fatal(labrpc::Sprintf(
              "two copies of one Move (same client id and sequence number) "
              "took the latest configuration from #%d to #%d, not #%d: the "
              "Move executed %d times. When applying a change, skip it if "
              "its sequence number is not above the last one executed for "
              "its client (seq <= last, not seq < last).",
              before.num, after.num, before.num + 1, after.num - before.num));
        }
        if (after.shards[0] != args.gid) {
          Fatal(labrpc::Sprintf("after Move(0, %d) shard 0 is on gid %d (%s)",
                                args.gid, after.shards[0],
                                FormatShards(after.shards).c_str()));
        }
        cfg->End();
      });
}

}  // namespace
}  // namespace raftlab_test
