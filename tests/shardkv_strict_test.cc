// A targeted shardkv scenario, graded with stage 4B (suite ShardKVStrict4B):
// it scripts, with crashes and restarts on the ShardKvConfig harness, the
// schedule under which a server that checks shard ownership only in its RPC
// handler (and not again when the operation is applied) loses a write, so
// that the bug is caught whatever the seed; the randomized graded tests hit
// that schedule only now and then. The request under test is sent by hand
// (fixed client id and sequence number) to the one server that must judge
// it.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "labrpc/channel.h"
#include "labrpc/runtime.h"
#include "labrpc/trace.h"
#include "shardkv/common.h"
#include "tests/shardkv_config.h"
#include "tests/test_world.h"

namespace raftlab_test {
namespace {

using namespace std::chrono_literals;

struct Outcome {
  bool replied = false;
  shardkv::Err err = shardkv::Err::kOK;
};

bool AllSnapshotted(const ShardKvConfigPtr& cfg, int gi) {
  for (int i = 0; i < cfg->n(); i++) {
    if (cfg->SnapshotSize(gi, i) == 0) return false;
  }
  return true;
}

// Polls (finely: the new leader must be caught before its first entry
// commits) until one of servers `among` of group gi leads; up to 10 s.
int AwaitGroupLeader(const ShardKvConfigPtr& cfg, int gi,
                     const std::vector<int>& among) {
  const labrpc::Duration deadline = labrpc::Now() + 10s;
  while (labrpc::Now() < deadline) {
    for (int i : among) {
      std::shared_ptr<shardkv::ShardKV> kv = cfg->Server(gi, i);
      if (kv != nullptr && kv->raft()->GetState().second) return i;
    }
    labrpc::Sleep(100us);
  }
  Fatal(labrpc::Sprintf("group %d elected no leader within 10 s",
                        ShardKvConfig::Gid(gi)));
}

// Group 100 owns every shard in configuration 1, snapshots there, then
// hands a shard to group 101 in configuration 2, which pulls it and serves
// it. Group 100 then restarts with two of its servers: each comes back in
// configuration 1 (its snapshot) with configuration 2 and the shard's
// hand-over in its log, past its commit index (which restarts at the
// snapshot), so not applied until an entry of the new term commits. The new
// leader, cut off from its only follower before anything of its term
// commits, accepts an Append to the moved shard: its handler sees
// configuration 1.
// When the follower returns, the Append commits after the hand-over, so it
// must not execute (the clerk would retry it at group 101). Executing it
// writes into a copy nobody will read again, and acknowledging it loses
// the write.
TEST(ShardKVStrict4B, OpAcceptedBeforeMoveIsNotAppliedAfterIt) {
  // Small enough that group 100 snapshots after a few dozen Puts, large
  // enough that the move to configuration 2 (a few hundred bytes of log)
  // takes it nowhere near another snapshot.
  const int maxraftstate = 2000;
  RunShardKvTest(
      {.servers_per_group = 3, .maxraftstate = maxraftstate},
      [&](const ShardKvConfigPtr& cfg) {
        cfg->Begin(
            "Test: an op accepted before its shard moved away is not applied "
            "after the move ...");
        ShardKvClerkPtr ck = cfg->MakeClient();
        cfg->Join(0);
        constexpr int kKeys = 10;  // "0".."9": one key in every shard
        std::vector<std::string> va(kKeys);
        for (int i = 0; i < kKeys; i++) {
          va[i] = "v" + std::to_string(i);
          ck->Put(std::to_string(i), va[i]);
        }
        // Every server of group 100 snapshots in configuration 1. It stops
        // right after, so that the log grows little before the restart: the
        // move to configuration 2 stays in the log, out of the snapshots.
        for (int n = 0; !AllSnapshotted(cfg, 0); n++) {
          if (n == 1000) {
            Fatal(labrpc::Sprintf(
                "some server of group 100 took no snapshot after 1000 Puts "
                "(maxraftstate %d)",
                maxraftstate));
          }
          ck->Put("pad", RandString(50));
        }

        cfg->Join(1);
        const shardctrler::Config moved = cfg->QueryLatest();
        int shard = -1;
        for (int s = 0; s < shardkv::kNShards && shard < 0; s++) {
          if (moved.shards[s] == ShardKvConfig::Gid(1)) shard = s;
        }
        if (shard < 0) Fatal("the join of group 101 moved no shard to it");
        int ki = 0;
        while (shardkv::Key2Shard(std::to_string(ki)) != shard) ki++;
        const std::string key = std::to_string(ki);
        // Served by group 101 once it has pulled the shard.
        ck->Append(key, "+g1");
        const std::string want = va[ki] + "+g1";
        // Time for group 100 to finish the hand-over (delete its copy).
        labrpc::Sleep(1s);

        cfg->ShutdownGroup(0);
        cfg->StartServer(0, 0);
        cfg->StartServer(0, 1);
        const int leader = AwaitGroupLeader(cfg, 0, {0, 1});
        const int follower = 1 - leader;
        cfg->ShutdownServer(0, follower);

        shardkv::PutAppendArgs args;
        args.key = key;
        args.value = "+lost";
        args.op = "Append";
        args.client_id = static_cast<int64_t>(labrpc::RandUint64() >> 2);
        args.seq = 1;
        auto outcome = std::make_shared<labrpc::Channel<Outcome>>(1);
        std::shared_ptr<labrpc::ClientEnd> end = cfg->MakeEnd(
            ShardKvConfig::ServerName(ShardKvConfig::Gid(0), leader));
        labrpc::Go("shardkv-strict-append", [end, args, outcome] {
          shardkv::PutAppendReply reply;
          Outcome o;
          o.replied = end->Call("ShardKV.PutAppend", args, &reply);
          o.err = reply.err;
          outcome->Send(o);
        });
        // Let the leader accept it, then give it back a follower to commit.
        labrpc::Sleep(50ms);
        cfg->StartServer(0, follower);

        Outcome o;
        const labrpc::RecvStatus st = outcome->ReceiveFor(5s, &o);
        const bool acknowledged = st == labrpc::RecvStatus::kOk && o.replied &&
                                  o.err == shardkv::Err::kOK;
        LAB_TRACE("test", -1, "server-100-%d's answer: %s", leader,
                  st != labrpc::RecvStatus::kOk ? "none yet"
                  : o.replied                   ? shardkv::ErrName(o.err)
                                                : "call failed");
        const std::string v = ck->Get(key);
        if (acknowledged && v.find("+lost") == std::string::npos) {
          Fatal(labrpc::Sprintf(
              "group 100 answered OK to Append(%s, +lost), but the write is "
              "lost "
              "(%s is \"%s\"): the server accepted it while it still owned "
              "shard "
              "%d (configuration 1) and applied it after the group had moved "
              "to "
              "configuration %d, where the shard is no longer its own. Check "
              "that the group serves the key's shard again when the operation "
              "is "
              "applied, not only in the RPC handler, and answer ErrWrongGroup "
              "if "
              "not.",
              key.c_str(), key.c_str(), v.c_str(), shard, moved.num));
        }
        if (v.rfind(want, 0) != 0) {
          Fatal(labrpc::Sprintf("Get(%s): expected:\n%s\nreceived:\n%s",
                                key.c_str(), want.c_str(), v.c_str()));
        }
        cfg->End();
      });
}

}  // namespace
}  // namespace raftlab_test
