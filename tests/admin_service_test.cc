// raftkv-server's Admin service over TCP (deploy/admin_service.h): Status
// reports Raft's term and leadership, the Persister's sizes and the filter;
// SetBlocked replaces the filter. A one-peer Raft, which elects itself.
// Real backend only (registered so).
#include "deploy/admin_service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "deploy/admin.h"
#include "deploy/tcp_transport.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "raft/persister.h"
#include "raft/raft.h"
#include "tests/tcp_test_util.h"
#include "tests/test_world.h"

namespace deploy {
namespace {

using std::chrono::milliseconds;

TEST(AdminService, StatusAndSetBlocked) {
  raftlab_test::RunInWorld(RealWorld(), [] {
    auto net = std::make_shared<TcpTransport>();
    auto server = std::make_shared<labrpc::Server>();
    net->Listen("127.0.0.1:0", server);
    const std::string me = Local(net->port());
    auto persister = std::make_shared<raft::Persister>();
    auto rf = raft::Raft::Make({net->MakeEnd(me)}, 0, persister,
                               std::make_shared<raft::ApplyChannel>(100));
    server->AddService(rf->service());
    server->AddService(NewAdminService({7, me}, rf, persister, net));

    TcpTransport client_net;
    auto admin = client_net.MakeEnd(me);
    AdminStatusReply st;
    for (int i = 0; i < 50 && !st.is_leader; i++) {
      labrpc::Sleep(milliseconds(100));
      ASSERT_TRUE(admin->Call(kAdminStatus, AdminStatusArgs{}, &st));
    }
    EXPECT_EQ(st.id, 7);
    EXPECT_EQ(st.address, me);
    ASSERT_TRUE(st.is_leader) << "a one-peer Raft did not elect itself";
    EXPECT_EQ(st.term, rf->GetState().first);
    EXPECT_GT(st.term, 0);
    EXPECT_GT(st.raft_state_bytes, 0u);
    EXPECT_EQ(st.raft_state_bytes, persister->RaftStateSize());
    EXPECT_EQ(st.snapshot_bytes, 0u);
    EXPECT_TRUE(st.blocked.empty());

    // A new entry grows the persisted state, and Status follows it.
    const uint64_t before = st.raft_state_bytes;
    rf->Start(std::string(100, 'x'));
    labrpc::Sleep(milliseconds(100));
    ASSERT_TRUE(admin->Call(kAdminStatus, AdminStatusArgs{}, &st));
    EXPECT_GT(st.raft_state_bytes, before + 100);
    EXPECT_EQ(st.raft_state_bytes, persister->RaftStateSize());

    testing::internal::CaptureStderr();
    AdminSetBlockedReply none;
    ASSERT_TRUE(admin->Call(kAdminSetBlocked,
                            AdminSetBlockedArgs{{"127.0.0.1:2", "127.0.0.1:1"}},
                            &none));
    EXPECT_EQ(net->Blocked(),
              (std::set<std::string>{"127.0.0.1:1", "127.0.0.1:2"}));
    ASSERT_TRUE(admin->Call(kAdminStatus, AdminStatusArgs{}, &st));
    EXPECT_EQ(st.blocked,
              (std::vector<std::string>{"127.0.0.1:1", "127.0.0.1:2"}));
    ASSERT_TRUE(admin->Call(kAdminSetBlocked, AdminSetBlockedArgs{}, &none));
    EXPECT_TRUE(net->Blocked().empty());
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("raftkv-server 7: blocked 127.0.0.1:1,127.0.0.1:2\n"),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("raftkv-server 7: unblocked every peer\n"),
              std::string::npos)
        << err;
    rf->Kill();
  });
}

}  // namespace
}  // namespace deploy
