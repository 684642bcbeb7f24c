// SOLUTION FILE (left out of the handout): the reference solution's own
// behaviour, which a student's Raft need not have.
// The reference Raft's behaviour after Kill(): its applier stops and closes
// the apply channel, so that the service task reading it ends instead of
// waiting (and keeping the dead server in memory) until the world ends.
// A kit test: students' Rafts need not close the channel.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "labrpc/channel.h"
#include "labrpc/codec.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "raft/apply_msg.h"
#include "raft/persister.h"
#include "raft/raft.h"
#include "tests/test_world.h"

namespace {

using raftlab_test::RunInWorld;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RaftKill, ClosesApplyChannelOnceTheApplierStops) {
  RunInWorld([] {
    labrpc::Network net;
    auto end = net.MakeEnd("end-0-0");
    auto ch = std::make_shared<raft::ApplyChannel>(0, "apply-ch");
    auto rf =
        raft::Raft::Make({end}, 0, std::make_shared<raft::Persister>(), ch);
    auto server = std::make_shared<labrpc::Server>();
    server->AddService(rf->service());
    net.AddServer("server-0", server);
    net.Connect("end-0-0", "server-0");
    net.Enable("end-0-0", true);

    // A one-peer cluster elects itself and commits alone.
    int index = 0;
    for (int tries = 0; tries < 100 && index == 0; tries++) {
      raft::Raft::StartResult r = rf->Start(labrpc::Encode(42));
      if (r.is_leader)
        index = r.index;
      else
        labrpc::Sleep(milliseconds(50));
    }
    ASSERT_EQ(index, 1) << "a one-peer Raft never became leader";
    raft::ApplyMsg msg;
    ASSERT_EQ(ch->ReceiveFor(seconds(2), &msg), labrpc::RecvStatus::kOk);
    EXPECT_TRUE(msg.command_valid);
    EXPECT_EQ(msg.command_index, 1);
    EXPECT_EQ(labrpc::Decode<int>(msg.command), 42);

    rf->Kill();
    EXPECT_EQ(ch->ReceiveFor(seconds(2), &msg), labrpc::RecvStatus::kClosed)
        << "the apply channel is still open 2 s after Kill()";
    net.Cleanup();
  });
}

}  // namespace
