// Kit tests for the sharded KV service under bad input (suite
// ShardKVErrors; not graded, and not selected by -R 4B): a PutAppend with an
// unknown op must be refused.
// SOLUTION BEGIN
//
// The migration protocol too: a migration request or reply that cannot be
// decoded as the handler's types, and requests about a configuration the
// server has not reached (or about a shard it serves), must fail clearly and
// lose nothing. The migration RPC types belong to the reference solution (a
// student designs their own), so the handout leaves these tests out, and
// they are compiled only when shardkv/common.h defines
// RAFTLAB_SHARDKV_MIGRATION_RPCS.
// SOLUTION END
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "labrpc/channel.h"
#include "labrpc/codec.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "raft/persister.h"
#include "shardkv/common.h"
// SOLUTION BEGIN
#include "shardkv/server.h"
// SOLUTION END
#include "tests/shardkv_config.h"
#include "tests/test_world.h"

namespace raftlab_test {
namespace {

using namespace std::chrono_literals;

// SOLUTION BEGIN
#ifdef RAFTLAB_SHARDKV_MIGRATION_RPCS

constexpr int kKeys = 10;

std::vector<std::string> PutKeys(const ShardKvClerkPtr& ck) {
  std::vector<std::string> va(kKeys);
  for (int i = 0; i < kKeys; i++) {
    va[i] = RandString(10);
    ck->Put(std::to_string(i), va[i]);
  }
  return va;
}

void CheckKeys(const ShardKvClerkPtr& ck, const std::vector<std::string>& va) {
  for (int i = 0; i < kKeys; i++) Check(ck, std::to_string(i), va[i]);
}

// A shard served by gid in the controller's latest configuration.
int ShardOf(const ShardKvConfigPtr& cfg, int gid) {
  const shardctrler::Config c = cfg->QueryLatest();
  for (int s = 0; s < shardkv::kNShards; s++) {
    if (c.shards[s] == gid) return s;
  }
  Fatal("no shard on gid " + std::to_string(gid));
}

// Requests whose args or expected reply are not the handler's types fail
// (the fabric says why on stderr), and the group loses nothing.
TEST(ShardKVErrors, UndecodableMigrationRequestOrReply) {
  RunShardKvTest({.servers_per_group = 3}, [](const ShardKvConfigPtr& cfg) {
    ShardKvClerkPtr ck = cfg->MakeClient();
    cfg->Join(0);
    std::vector<std::string> va = PutKeys(ck);
    const int shard = ShardOf(cfg, ShardKvConfig::Gid(0));
    const int num = cfg->QueryLatest().num;

    for (int i = 0; i < cfg->n(); i++) {
      auto end = cfg->MakeEnd(ShardKvConfig::ServerName(100, i));
      shardkv::PullShardReply pull_reply;
      shardkv::DeleteShardReply delete_reply;
      EXPECT_FALSE(
          end->Call("ShardKV.PullShard", std::string("garbage"), &pull_reply));
      EXPECT_FALSE(end->Call("ShardKV.DeleteShard", 12345, &delete_reply));
      // The right args with a reply the handler does not produce.
      shardkv::DeleteShardArgs del;
      del.config_num = num;
      del.shard = shard;
      std::string wrong_reply;
      EXPECT_FALSE(end->Call("ShardKV.DeleteShard", del, &wrong_reply));
      shardkv::PullShardArgs pull;
      pull.config_num = num;
      pull.shard = shard;
      EXPECT_FALSE(end->Call("ShardKV.PullShard", pull, &wrong_reply));
    }
    CheckKeys(ck, va);
    // Migration still works afterwards.
    cfg->Join(1);
    CheckKeys(ck, va);
    cfg->Leave(0);
    CheckKeys(ck, va);
  });
}

// A group that gains shards from an old owner whose PullShard replies it
// cannot decode keeps asking, never installs anything, and does not serve
// those shards; once the old owner answers properly, it installs the real
// data and serves it.
TEST(ShardKVErrors, UndecodablePullReplyIsRetried) {
  RunShardKvTest({.servers_per_group = 3}, [](const ShardKvConfigPtr& cfg) {
    // A fake group 200 whose one server answers PullShard with a reply of
    // the wrong type.
    const int fake_gid = 200;
    const std::string fake_name = ShardKvConfig::ServerName(fake_gid, 0);
    auto bad = std::make_shared<labrpc::Service>("ShardKV");
    bad->Register("PullShard",
                  [](const shardkv::PullShardArgs&, std::string* r) {
                    *r = "not a PullShardReply";
                  });
    auto srv = std::make_shared<labrpc::Server>();
    srv->AddService(bad);
    cfg->net().AddServer(fake_name, srv);

    // Every shard starts on the fake group; group 100 then takes half.
    {
      std::vector<std::shared_ptr<labrpc::ClientEnd>> ends;
      for (int i = 0; i < ShardKvConfig::kNCtrlers; i++) {
        ends.push_back(cfg->MakeEnd("ctrler" + std::to_string(i)));
      }
      shardctrler::Clerk admin(ends);
      admin.Join({{fake_gid, {fake_name}}});
    }
    cfg->Join(0);
    const shardctrler::Config c = cfg->QueryLatest();
    std::vector<int> gained;
    for (int s = 0; s < shardkv::kNShards; s++) {
      if (c.shards[s] == ShardKvConfig::Gid(0)) gained.push_back(s);
    }
    ASSERT_FALSE(gained.empty());
    // A one-letter key in shard s.
    auto key_for = [](int s) {
      for (int ch = 'a'; ch <= 'z'; ch++) {
        std::string k(1, static_cast<char>(ch));
        if (shardkv::Key2Shard(k) == s) return k;
      }
      return std::string();
    };

    // While the replies cannot be decoded, group 100 must not serve the
    // gained shards (it has no data for them).
    auto ch = std::make_shared<labrpc::Channel<std::string>>(gained.size());
    for (int s : gained) {
      ShardKvClerkPtr ck1 = cfg->MakeClient();
      const std::string key = key_for(s);
      labrpc::Go("errors-get-" + key,
                 [ck1, key, ch] { ch->Send(ck1->Get(key)); });
    }
    std::string got;
    EXPECT_EQ(ch->ReceiveFor(2s, &got), labrpc::RecvStatus::kTimeout)
        << "group 100 served a shard it never received: Get returned \"" << got
        << "\"";

    // Now the old owner answers properly: the data arrives and is served.
    auto good = std::make_shared<labrpc::Service>("ShardKV");
    good->Register("PullShard", [key_for](const shardkv::PullShardArgs& a,
                                          shardkv::PullShardReply* r) {
      r->err = shardkv::Err::kOK;
      r->data.kv[key_for(a.shard)] = "from-200-" + std::to_string(a.shard);
    });
    good->Register("DeleteShard", [](const shardkv::DeleteShardArgs&,
                                     shardkv::DeleteShardReply* r) {
      r->err = shardkv::Err::kOK;
    });
    srv->AddService(good);
    for (size_t i = 0; i < gained.size(); i++) {
      std::string v;
      ASSERT_EQ(ch->ReceiveFor(10s, &v), labrpc::RecvStatus::kOk)
          << "group 100 never served the shards after the old owner "
             "answered";
      EXPECT_EQ(v.rfind("from-200-", 0), 0u) << v;
    }
    ShardKvClerkPtr ck = cfg->MakeClient();
    for (int s : gained) {
      Check(ck, key_for(s), "from-200-" + std::to_string(s));
    }
  });
}

// PullShard and DeleteShard for a configuration the server has not reached
// get kErrNotReady and change nothing; a DeleteShard for the current
// configuration of a shard the group serves (a bogus or stale one) is
// acknowledged but deletes nothing; a PullShard for a shard the group
// serves hands out nothing.
TEST(ShardKVErrors, RequestsFromTheFutureLoseNothing) {
  RunShardKvTest({.servers_per_group = 3}, [](const ShardKvConfigPtr& cfg) {
    ShardKvClerkPtr ck = cfg->MakeClient();
    cfg->Join(0);
    std::vector<std::string> va = PutKeys(ck);
    const int num = cfg->QueryLatest().num;

    for (int i = 0; i < cfg->n(); i++) {
      auto end = cfg->MakeEnd(ShardKvConfig::ServerName(100, i));
      for (int shard = -1; shard <= shardkv::kNShards; shard++) {
        for (int n : {num, num + 1, num + 5}) {
          shardkv::PullShardArgs pull;
          pull.config_num = n;
          pull.shard = shard;
          shardkv::PullShardReply pull_reply;
          ASSERT_TRUE(end->Call("ShardKV.PullShard", pull, &pull_reply));
          EXPECT_EQ(pull_reply.err, shardkv::Err::kErrNotReady)
              << "PullShard(config " << n << ", shard " << shard
              << "): " << shardkv::ErrName(pull_reply.err);
          EXPECT_TRUE(pull_reply.data.kv.empty());

          shardkv::DeleteShardArgs del;
          del.config_num = n;
          del.shard = shard;
          shardkv::DeleteShardReply del_reply;
          ASSERT_TRUE(end->Call("ShardKV.DeleteShard", del, &del_reply));
          const bool future =
              n > num || shard < 0 || shard >= shardkv::kNShards;
          if (future) {
            EXPECT_EQ(del_reply.err, shardkv::Err::kErrNotReady)
                << "DeleteShard(config " << n << ", shard " << shard
                << "): " << shardkv::ErrName(del_reply.err);
          }
        }
      }
    }
    CheckKeys(ck, va);
    // And the data still migrates intact.
    cfg->Join(1);
    cfg->Leave(0);
    CheckKeys(ck, va);
  });
}

#endif  // RAFTLAB_SHARDKV_MIGRATION_RPCS
// SOLUTION END

// A PutAppend whose op is neither "Put" nor "Append" is refused by every
// server of the group, leader or not, and executes nothing; the same client
// id and sequence number still work afterwards.
TEST(ShardKVErrors, UnknownPutAppendOpIsRejected) {
  RunShardKvTest({.servers_per_group = 3}, [](const ShardKvConfigPtr& cfg) {
    ShardKvClerkPtr ck = cfg->MakeClient();
    cfg->Join(0);
    ck->Put("k", "v");

    shardkv::PutAppendArgs args;
    args.key = "k";
    args.value = "x";
    args.op = "Delete";
    args.client_id = 7;
    args.seq = 1;
    for (int i = 0; i < cfg->n(); i++) {
      auto end = cfg->MakeEnd(ShardKvConfig::ServerName(100, i));
      shardkv::PutAppendReply reply;
      ASSERT_TRUE(end->Call("ShardKV.PutAppend", args, &reply));
      EXPECT_EQ(reply.err, shardkv::Err::kErrInvalidArgument)
          << "server " << i << " answered " << shardkv::ErrName(reply.err);
    }
    Check(ck, "k", "v");

    args.op = "Append";
    bool done = false;
    for (int round = 0; round < 100 && !done; round++) {
      for (int i = 0; i < cfg->n() && !done; i++) {
        auto end = cfg->MakeEnd(ShardKvConfig::ServerName(100, i));
        shardkv::PutAppendReply reply;
        done = end->Call("ShardKV.PutAppend", args, &reply) &&
               reply.err == shardkv::Err::kOK;
      }
      if (!done) labrpc::Sleep(100ms);
    }
    ASSERT_TRUE(done) << "no server took the valid Append";
    Check(ck, "k", "vx");
  });
}

// SOLUTION BEGIN
// The reference server's snapshot layout (its last applied index, the
// current and previous configurations, every shard's state and data),
// fields open, to forge corrupt ones.
enum class ForgedShardState : uint8_t {};
struct ForgedShard {
  ForgedShardState state{};
  shardkv::ShardData data;
  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& state& data;
  }
};
labrpc::Bytes ForgeShardSnapshot(int index, int prev_num, int cur_num,
                                 int state) {
  shardctrler::Config prev, cur;
  prev.num = prev_num;
  cur.num = cur_num;
  std::array<ForgedShard, shardkv::kNShards> shards{};
  shards[3].state = static_cast<ForgedShardState>(state);
  shards[3].data.kv["k"] = "v";
  return labrpc::Encoder().Put(index).Put(cur).Put(prev).Put(shards).Finish();
}

// A server whose persister holds a corrupt snapshot refuses to start, saying
// so, rather than start empty and forget what the snapshot held; the bytes
// stay in the persister.
TEST(ShardKVErrors, CorruptSnapshotIsRefused) {
  RunInWorld([] {
    labrpc::Network net;
    auto nowhere = net.MakeEnd("nowhere");  // a controller nobody answers
    auto make_end = [&net](const std::string& name) {
      return net.MakeEnd(name);
    };
    const labrpc::Bytes valid = ForgeShardSnapshot(9, 1, 2, 1);
    {
      auto p = std::make_shared<raft::Persister>();
      p->Save("", valid);
      auto kv = shardkv::StartServer({nullptr}, 0, p, -1, 100, {nowhere},
                                     make_end);  // must not throw
      kv->Kill();
    }
    const std::vector<std::pair<const char*, labrpc::Bytes>> bad = {
        {"garbage", "this is not a snapshot"},
        {"truncated", valid.substr(0, valid.size() - 2)},
        {"trailing bytes", valid + "x"},
        {"negative index", ForgeShardSnapshot(-9, 1, 2, 1)},
        {"previous configuration after current",
         ForgeShardSnapshot(9, 3, 2, 1)},
        {"unknown shard state", ForgeShardSnapshot(9, 1, 2, 7)},
    };
    for (const auto& [name, bytes] : bad) {
      auto p = std::make_shared<raft::Persister>();
      p->Save("", bytes);
      try {
        shardkv::StartServer({nullptr}, 0, p, -1, 100, {nowhere}, make_end);
        ADD_FAILURE() << name << ": the server started on a corrupt snapshot";
      } catch (const std::runtime_error& e) {
        EXPECT_NE(
            std::string(e.what()).find("shardkv G100 S0: corrupt snapshot"),
            std::string::npos)
            << name << ": " << e.what();
      }
      EXPECT_EQ(p->ReadSnapshot(), bytes) << name;
    }
  });
}
// SOLUTION END

}  // namespace
}  // namespace raftlab_test
