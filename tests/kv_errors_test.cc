// Kit tests for the KV server under bad input (suite KVErrors; not graded,
// not selected by -R 3A/3B): a request that can never succeed gets a clear
// error and loses nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "kvraft/common.h"
#include "labrpc/runtime.h"
#include "tests/kv_config.h"
#include "tests/test_world.h"

namespace raftlab_test {
namespace {

using std::chrono::milliseconds;

// A PutAppend whose op is neither "Put" nor "Append" is refused by every
// server, leader or not, executes nothing and uses up nothing: the same
// client id and sequence number still work afterwards.
TEST(KVErrors, UnknownPutAppendOpIsRejected) {
  RunKvTest(
      3, /*unreliable=*/false, /*maxraftstate=*/-1, [](const KvConfigPtr& cfg) {
        ClerkPtr ck = cfg->MakeClient(cfg->All());
        ck->Put("k", "v");

        kvraft::PutAppendArgs args;
        args.key = "k";
        args.value = "x";
        args.op = "Delete";
        args.client_id = 7;
        args.seq = 1;
        for (int i = 0; i < 3; i++) {
          kvraft::PutAppendReply reply;
          ASSERT_TRUE(
              cfg->MakeEnd(i)->Call("KVServer.PutAppend", args, &reply));
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

}  // namespace
}  // namespace raftlab_test
