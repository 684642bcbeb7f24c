// Kit tests for the KV server under bad input (suite KVErrors; not graded,
// not selected by -R 3A/3B): a request that can never succeed gets a clear
// error and loses nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kvraft/common.h"
// SOLUTION BEGIN
#include "kvraft/server.h"
#include "labrpc/codec.h"
#include "raft/persister.h"
// SOLUTION END
#include "labrpc/runtime.h"
#include "tests/kv_config.h"
#include "tests/kv_test_helpers.h"
#include "tests/test_world.h"

namespace raftlab_test {
namespace {

using std::chrono::milliseconds;

// A PutAppend whose op is neither "Put" nor "Append" is refused by every
// server, leader or not, executes nothing and uses up nothing: the same
// client id and sequence number still work afterwards.
TEST(KVErrors, UnknownPutAppendOpIsRejected) {
  RunKvTest({.servers = 3}, [](const KvConfigPtr& cfg) {
    KvClerkPtr ck = cfg->MakeClient(cfg->All());
    ck->Put("k", "v");

    kvraft::PutAppendArgs args;
    args.key = "k";
    args.value = "x";
    args.op = "Delete";
    args.client_id = 7;
    args.seq = 1;
    for (int i = 0; i < 3; i++) {
      kvraft::PutAppendReply reply;
      ASSERT_TRUE(cfg->MakeEnd(i)->Call("KVServer.PutAppend", args, &reply));
      EXPECT_EQ(reply.err, kvraft::Err::kErrInvalidArgument)
          << "server " << i << " answered " << kvraft::ErrName(reply.err);
    }
    EXPECT_EQ(ck->Get("k"), "v");

    args.op = "Append";
    bool done = false;
    for (int round = 0; round < 100 && !done; round++) {
      for (int i = 0; i < 3 && !done; i++) {
        kvraft::PutAppendReply reply;
        done = cfg->MakeEnd(i)->Call("KVServer.PutAppend", args, &reply) &&
               reply.err == kvraft::Err::kOK;
      }
      if (!done) labrpc::Sleep(milliseconds(50));
    }
    ASSERT_TRUE(done) << "no server took the valid Append";
    EXPECT_EQ(ck->Get("k"), "vx");
  });
}

// SOLUTION BEGIN
// The same layout as the reference server's snapshot (its last applied
// index, the key/value map, the duplicate table), fields open, to forge
// corrupt ones.
struct ForgedLastCall {
  int64_t seq = 0;
  kvraft::Err err = kvraft::Err::kOK;
  std::string value;
  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& seq& err& value;
  }
};
labrpc::Bytes ForgeSnapshot(int index, int64_t seq, kvraft::Err err) {
  std::map<std::string, std::string> data = {{"k", "v"}};
  std::map<int64_t, ForgedLastCall> last_call = {{7, {seq, err, ""}}};
  return labrpc::Encoder().Put(index).Put(data).Put(last_call).Finish();
}

// A server whose persister holds a corrupt snapshot refuses to start, saying
// so, rather than start empty and forget what the snapshot held; the bytes
// stay in the persister.
TEST(KVErrors, CorruptSnapshotIsRefused) {
  RunInWorld([] {
    const labrpc::Bytes valid = ForgeSnapshot(5, 3, kvraft::Err::kOK);
    {
      auto p = std::make_shared<raft::Persister>();
      p->Save("", valid);
      auto kv = kvraft::StartKVServer({nullptr}, 0, p, -1);  // must not throw
      kv->Kill();
    }
    const std::vector<std::pair<const char*, labrpc::Bytes>> bad = {
        {"garbage", "this is not a snapshot"},
        {"truncated", valid.substr(0, valid.size() - 2)},
        {"trailing bytes", valid + "x"},
        {"negative index", ForgeSnapshot(-1, 3, kvraft::Err::kOK)},
        {"negative sequence number", ForgeSnapshot(5, -3, kvraft::Err::kOK)},
        {"unknown error code",
         ForgeSnapshot(5, 3, static_cast<kvraft::Err>(9))},
    };
    for (const auto& [name, bytes] : bad) {
      auto p = std::make_shared<raft::Persister>();
      p->Save("", bytes);
      try {
        kvraft::StartKVServer({nullptr}, 0, p, -1);
        ADD_FAILURE() << name << ": the server started on a corrupt snapshot";
      } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("kvraft S0: corrupt snapshot"),
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
