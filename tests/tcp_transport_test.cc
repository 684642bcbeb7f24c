// deploy::TcpTransport: calls over loopback TCP, concurrency, timeouts,
// a server that closes or restarts, the filter, Close and a stopping world.
// Wire faults are in tcp_transport_faults_test.cc, Raft over TCP in
// tcp_raft_test.cc. Real backend only (registered so): a socket cannot wait
// in virtual time.
#include "deploy/tcp_transport.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "tests/tcp_test_util.h"
#include "tests/test_world.h"

namespace deploy {
namespace {

using labrpc::Duration;
using raftlab_test::RunInWorld;
using std::chrono::milliseconds;

TEST(TcpTransport, RoundTripOfATypedCall) {
  RunInWorld(RealWorld(), [] {
    TcpTransport server_net;
    auto srv = EchoServer("s1");
    server_net.Listen("127.0.0.1:0", srv);
    ASSERT_GT(server_net.port(), 0);
    TcpTransport client_net;
    auto end = client_net.MakeEnd(Local(server_net.port()));
    EXPECT_EQ(end->name(), Local(server_net.port()));

    EchoArgs a{"hello", -42, {7, 8, 9}, 0};
    EchoReply r;
    ASSERT_TRUE(end->Call("Echo.Echo", a, &r));
    EXPECT_EQ(r.text, "hello");
    EXPECT_EQ(r.number, -42);
    EXPECT_EQ(r.list, (std::vector<int>{7, 8, 9}));
    EXPECT_EQ(r.server, "s1");
    // Empty and binary payloads travel too.
    EXPECT_TRUE(Echo(*end, ""));
    EXPECT_TRUE(Echo(*end, std::string("a\0b\xff", 4)));
    EXPECT_EQ(srv->GetCount(), 3);
  });
}

TEST(TcpTransport, ManyConcurrentCallsFromSeveralTasks) {
  RunInWorld(RealWorld(), [] {
    TcpTransport server_net;
    server_net.Listen("127.0.0.1:0", EchoServer("s"));
    TcpTransport client_net;
    const std::string peer = Local(server_net.port());
    // Two ends to one peer share its connection; both are used.
    std::vector<std::shared_ptr<labrpc::ClientEnd>> ends = {
        client_net.MakeEnd(peer), client_net.MakeEnd(peer)};
    constexpr int kTasks = 8;
    constexpr int kCalls = 150;
    labrpc::Mutex mu;
    int ok = 0;
    labrpc::WaitGroup wg;
    for (int t = 0; t < kTasks; t++) {
      wg.Add(1);
      labrpc::Go("caller", [&, t] {
        for (int i = 0; i < kCalls; i++) {
          // Random handler delays make replies overtake each other, so a
          // mix-up of request ids would hand a caller another's reply.
          const std::string text =
              "task " + std::to_string(t) + " call " + std::to_string(i);
          bool good = Echo(*ends[(t + i) % 2], text,
                           static_cast<int>(labrpc::RandInt(3)));
          labrpc::MutexLock l(mu);
          ok += good ? 1 : 0;
        }
        wg.Done();
      });
    }
    wg.Wait();
    EXPECT_EQ(ok, kTasks * kCalls);
  });
}

TEST(TcpTransport, HandlerThatNeverRepliesFailsAfterCallTimeout) {
  RunInWorld(RealWorld(), [] {
    TcpTransport server_net;
    server_net.Listen("127.0.0.1:0", EchoServer("s"));
    TcpOptions o;
    o.call_timeout = milliseconds(500);
    TcpTransport client_net(o);
    auto end = client_net.MakeEnd(Local(server_net.port()));
    ASSERT_TRUE(Echo(*end, "warm up"));
    bool ok = true;
    Duration took = Timed([&] {
      EchoReply r;
      ok = end->Call("Echo.Hang", EchoArgs{}, &r);
    });
    EXPECT_FALSE(ok);
    EXPECT_GE(took, o.call_timeout);
    EXPECT_LT(took, o.call_timeout + milliseconds(500));
    // The hung handler holds up nothing else on the connection.
    EXPECT_TRUE(Echo(*end, "after"));
  });
}

TEST(TcpTransport, ServerThatClosesMidCallFailsTheCallPromptly) {
  RunInWorld(RealWorld(), [] {
    auto server_net = std::make_unique<TcpTransport>();
    server_net->Listen("127.0.0.1:0", EchoServer("s"));
    TcpOptions o;
    o.call_timeout = std::chrono::seconds(30);
    TcpTransport client_net(o);
    auto end = client_net.MakeEnd(Local(server_net->port()));
    labrpc::Mutex mu;
    labrpc::CondVar cv;
    bool finished = false, result = true;
    Duration returned_at{};
    labrpc::Go("hanging caller", [&] {
      EchoReply r;
      bool ok = end->Call("Echo.Hang", EchoArgs{}, &r);
      labrpc::MutexLock l(mu);
      finished = true;
      result = ok;
      returned_at = labrpc::Now();
      cv.NotifyAll();
    });
    labrpc::Sleep(milliseconds(200));
    const Duration closed_at = labrpc::Now();
    server_net->Close();
    labrpc::MutexLock l(mu);
    while (!finished) cv.WaitFor(mu, milliseconds(100));
    EXPECT_FALSE(result);
    EXPECT_LT(returned_at - closed_at, milliseconds(500));
  });
}

TEST(TcpTransport, ReconnectsAfterTheServerRestartsOnTheSamePort) {
  RunInWorld(RealWorld(), [] {
    auto server_net = std::make_unique<TcpTransport>();
    server_net->Listen("127.0.0.1:0", EchoServer("first"));
    const int port = server_net->port();
    TcpTransport client_net;
    auto end = client_net.MakeEnd(Local(port));
    EchoReply r;
    ASSERT_TRUE(end->Call("Echo.Echo", EchoArgs{"a", 1, {}, 0}, &r));
    EXPECT_EQ(r.server, "first");

    // A server that closed its connections first leaves them in TIME_WAIT
    // on its port; it must still be able to listen there again at once.
    server_net.reset();
    labrpc::Sleep(milliseconds(100));
    server_net = std::make_unique<TcpTransport>();
    server_net->Listen(Local(port), EchoServer("second"));
    ASSERT_TRUE(end->Call("Echo.Echo", EchoArgs{"b", 1, {}, 0}, &r));
    EXPECT_EQ(r.server, "second");

    // Down, a call fails; up again, the end reconnects.
    server_net.reset();
    EXPECT_FALSE(Echo(*end, "while down"));
    server_net = std::make_unique<TcpTransport>();
    server_net->Listen(Local(port), EchoServer("third"));
    labrpc::Sleep(milliseconds(100));
    ASSERT_TRUE(end->Call("Echo.Echo", EchoArgs{"c", 1, {}, 0}, &r));
    EXPECT_EQ(r.server, "third");
  });
}

TEST(TcpTransport, BlockedPeersFailAtOnceUntilUnblocked) {
  RunInWorld(RealWorld(), [] {
    TcpTransport server_net;
    auto srv = EchoServer("s");
    server_net.Listen("127.0.0.1:0", srv);
    const std::string peer = Local(server_net.port());
    TcpTransport client_net;
    auto end = client_net.MakeEnd(peer);
    ASSERT_TRUE(Echo(*end, "before"));

    client_net.SetBlocked({peer, "10.0.0.1:1"});
    EXPECT_EQ(client_net.Blocked(),
              (std::set<std::string>{peer, "10.0.0.1:1"}));
    const int served = srv->GetCount();
    bool ok = true;
    Duration took = Timed([&] { ok = Echo(*end, "blocked"); });
    EXPECT_FALSE(ok);
    EXPECT_LT(took, milliseconds(50));
    labrpc::Sleep(milliseconds(100));  // time for a request sent anyway
    EXPECT_EQ(srv->GetCount(), served) << "a blocked call reached the server";

    // A call in flight when its peer is blocked fails at once too.
    labrpc::Mutex mu;
    labrpc::CondVar cv;
    bool finished = false, result = true;
    client_net.SetBlocked({});
    labrpc::Go("hanging caller", [&] {
      EchoReply r;
      bool ok = end->Call("Echo.Hang", EchoArgs{}, &r);
      labrpc::MutexLock l(mu);
      finished = true;
      result = ok;
      cv.NotifyAll();
    });
    labrpc::Sleep(milliseconds(100));
    took = Timed([&] {
      client_net.SetBlocked({peer});
      labrpc::MutexLock l(mu);
      while (!finished) cv.WaitFor(mu, milliseconds(10));
    });
    EXPECT_FALSE(result);
    EXPECT_LT(took, milliseconds(100));

    client_net.SetBlocked({});
    EXPECT_TRUE(client_net.Blocked().empty());
    EXPECT_TRUE(Echo(*end, "after"));
  });
}

TEST(TcpTransport, CloseFailsCallsInFlightAndLater) {
  RunInWorld(RealWorld(), [] {
    TcpTransport server_net;
    server_net.Listen("127.0.0.1:0", EchoServer("s"));
    TcpOptions o;
    o.call_timeout = std::chrono::seconds(30);
    auto client_net = std::make_unique<TcpTransport>(o);
    auto end = client_net->MakeEnd(Local(server_net.port()));
    labrpc::Mutex mu;
    labrpc::CondVar cv;
    bool finished = false, result = true;
    labrpc::Go("hanging caller", [&] {
      EchoReply r;
      bool ok = end->Call("Echo.Hang", EchoArgs{}, &r);
      labrpc::MutexLock l(mu);
      finished = true;
      result = ok;
      cv.NotifyAll();
    });
    labrpc::Sleep(milliseconds(100));
    Duration took = Timed([&] {
      client_net->Close();
      labrpc::MutexLock l(mu);
      while (!finished) cv.WaitFor(mu, milliseconds(10));
    });
    EXPECT_FALSE(result);
    EXPECT_LT(took, milliseconds(200));
    EXPECT_FALSE(Echo(*end, "after close"));
    client_net.reset();
    EXPECT_FALSE(Echo(*end, "after destruction"));  // the end outlives it
  });
}

TEST(TcpTransport, StoppingWorldCancelsAWaitingCaller) {
  const auto start = std::chrono::steady_clock::now();
  RunInWorld(RealWorld(), [] {
    auto server_net = std::make_shared<TcpTransport>();
    server_net->Listen("127.0.0.1:0", EchoServer("s"));
    TcpOptions o;
    o.call_timeout = std::chrono::hours(1);
    auto client_net = std::make_shared<TcpTransport>(o);
    auto end = client_net->MakeEnd(Local(server_net->port()));
    labrpc::Go("hanging caller", [end, server_net, client_net] {
      EchoReply r;
      end->Call("Echo.Hang", EchoArgs{}, &r);  // until the world stops
    });
    labrpc::Sleep(milliseconds(200));
  });  // the root returns: the world stops with the call in flight
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(TcpTransport, RefusedUnderTheSimBackend) {
  labrpc::WorldOptions o = labrpc::WorldOptions::FromEnv();
  o.backend = labrpc::Backend::kSim;
  RunInWorld(o, [] {
    try {
      TcpTransport net;
      ADD_FAILURE() << "a TcpTransport was made under sim";
    } catch (const TcpError& e) {
      EXPECT_NE(std::string(e.what()).find("LAB_RUNTIME=real"),
                std::string::npos)
          << e.what();
    }
  });
}

}  // namespace
}  // namespace deploy
