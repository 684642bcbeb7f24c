// deploy::TcpTransport against faults on the wire and in its input: a port
// nobody listens on, a peer that never answers SYN, a port in use, bad
// addresses, frames over the limit, garbage bytes and unknown methods.
// Real backend only (registered so).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "deploy/tcp_transport.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "tests/tcp_test_util.h"
#include "tests/test_world.h"

namespace deploy {
namespace {

using labrpc::Duration;
using raftlab_test::RunInWorld;
using std::chrono::milliseconds;

TEST(TcpTransport, CallToAPortNobodyListensOnFailsAtOnce) {
  RunInWorld(RealWorld(), [] {
    const int port = FreePort();
    TcpOptions o;
    o.connect_timeout = milliseconds(300);
    TcpTransport net(o);
    auto end = net.MakeEnd(Local(port));
    for (int i = 0; i < 3; i++) {  // and again: no stale state
      bool ok = true;
      Duration took = Timed([&] { ok = Echo(*end, "x"); });
      EXPECT_FALSE(ok);
      // Refused on loopback: well within connect_timeout.
      EXPECT_LT(took, o.connect_timeout + milliseconds(200));
    }
  });
}

// A listener that never accepts and whose accept queue is full: the
// kernel drops further SYNs, so a connect hangs, as to a host that does
// not answer. Raw sockets, since the transport always accepts.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        listen(fd_, 0) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ADD_FAILURE() << "cannot set up a listening socket";
    }
    port_ = ntohs(a.sin_port);
    // Fill the accept queue (backlog 0 holds one; take a few to be sure).
    for (int i = 0; i < 3; i++) {
      int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      connect(c, reinterpret_cast<sockaddr*>(&a), sizeof(a));
      fillers_.push_back(c);
    }
    labrpc::Sleep(milliseconds(50));
  }
  ~SilentListener() {
    for (int c : fillers_) close(c);
    close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> fillers_;
};

TEST(TcpTransport, CallToASilentPeerFailsAfterConnectTimeout) {
  RunInWorld(RealWorld(), [] {
    SilentListener silent;
    TcpOptions o;
    o.connect_timeout = milliseconds(400);
    o.call_timeout = std::chrono::seconds(30);
    TcpTransport net(o);
    auto end = net.MakeEnd(Local(silent.port()));
    bool ok = true;
    Duration took = Timed([&] { ok = Echo(*end, "x"); });
    EXPECT_FALSE(ok);
    EXPECT_GE(took, o.connect_timeout - milliseconds(20));
    EXPECT_LT(took, o.connect_timeout + milliseconds(500));
  });
}

TEST(TcpTransport, PortInUseNamesTheAddress) {
  RunInWorld(RealWorld(), [] {
    TcpTransport first;
    first.Listen("127.0.0.1:0", EchoServer("s"));
    const std::string addr = Local(first.port());
    TcpTransport second;
    try {
      second.Listen(addr, EchoServer("t"));
      ADD_FAILURE() << "a second Listen on " << addr << " succeeded";
    } catch (const TcpError& e) {
      EXPECT_EQ(std::string(e.what()), addr + ": address already in use");
    }
    // The failed Listen leaves the transport usable for another port.
    second.Listen("127.0.0.1:0", EchoServer("t"));
    EXPECT_NE(second.port(), first.port());
  });
}

TEST(TcpTransport, BadAddressesAreRefusedWithTheReason) {
  RunInWorld(RealWorld(), [] {
    TcpTransport net;
    auto message = [&](const std::string& host_port) -> std::string {
      try {
        net.MakeEnd(host_port);
      } catch (const TcpError& e) {
        return e.what();
      }
      return "(accepted)";
    };
    EXPECT_EQ(message("127.0.0.1"),
              "'127.0.0.1' is not host:port (no ':'; e.g. 127.0.0.1:7001)");
    EXPECT_EQ(message("127.0.0.1:http"),
              "'127.0.0.1:http' is not host:port (the port must be a number "
              "from 0 to 65535)");
    EXPECT_EQ(message("127.0.0.1:70000"),
              "'127.0.0.1:70000' is not host:port (the port must be a number "
              "from 0 to 65535)");
    EXPECT_EQ(message(":7001"),
              "':7001' is not host:port (the host is missing)");
    EXPECT_EQ(message("127.0.0.1:0"), "'127.0.0.1:0': cannot call port 0");
    EXPECT_EQ(message("localhost:7001"), "(accepted)");
    EXPECT_EQ(message("[::1]:7001"), "(accepted)");
  });
}

TEST(TcpTransport, OversizeFramesAreRefused) {
  RunInWorld(RealWorld(), [] {
    TcpOptions small;
    small.max_frame_bytes = 4096;
    TcpTransport server_net(small);
    auto srv = EchoServer("s");
    server_net.Listen("127.0.0.1:0", srv);
    const std::string peer = Local(server_net.port());

    // The sender refuses a request over its own limit, without sending.
    TcpTransport small_client(small);
    auto small_end = small_client.MakeEnd(peer);
    testing::internal::CaptureStderr();
    EXPECT_FALSE(Echo(*small_end, std::string(8000, 'x')));
    std::string err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("Echo.Echo to " + peer + " not sent"), std::string::npos)
        << err;
    EXPECT_EQ(srv->GetCount(), 0);

    // The receiver refuses one over its limit and closes that connection,
    // at once rather than after call_timeout.
    TcpTransport big_client;
    auto big_end = big_client.MakeEnd(peer);
    ASSERT_TRUE(Echo(*big_end, "small"));
    testing::internal::CaptureStderr();
    bool ok = true;
    Duration took = Timed([&] { ok = Echo(*big_end, std::string(8000, 'x')); });
    labrpc::Sleep(milliseconds(50));
    err = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(ok);
    EXPECT_LT(took, milliseconds(500));
    EXPECT_NE(err.find("closing the connection from 127.0.0.1:"),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("exceeds the limit of 4096"), std::string::npos) << err;
    EXPECT_EQ(srv->GetCount(), 1);
    // The server still serves (the end reconnects).
    EXPECT_TRUE(Echo(*big_end, "small again"));
    EXPECT_TRUE(Echo(*small_end, "small too"));
  });
}

// A raw connection to the listener that sends `bytes`; true if the server
// then closes it (recv sees the end) within a second.
bool ServerClosesAfter(int port, const std::string& bytes, int* local_port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return false;
  }
  sockaddr_in me{};
  socklen_t len = sizeof(me);
  getsockname(fd, reinterpret_cast<sockaddr*>(&me), &len);
  *local_port = ntohs(me.sin_port);
  send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  bool closed = false;
  for (int i = 0; i < 100 && !closed; i++) {
    char buf[256];
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      closed = true;
    } else {
      labrpc::Sleep(milliseconds(10));
    }
  }
  close(fd);
  return closed;
}

TEST(TcpTransport, GarbageClosesThatConnectionOnly) {
  RunInWorld(RealWorld(), [] {
    TcpTransport server_net;
    server_net.Listen("127.0.0.1:0", EchoServer("s"));
    TcpTransport client_net;
    auto end = client_net.MakeEnd(Local(server_net.port()));
    ASSERT_TRUE(Echo(*end, "before"));  // a connection open throughout

    testing::internal::CaptureStderr();
    int garbage_port = 0;
    const bool closed = ServerClosesAfter(
        server_net.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n", &garbage_port);
    std::string err = testing::internal::GetCapturedStderr();
    EXPECT_TRUE(closed) << "the server kept a connection that sent garbage";
    EXPECT_NE(err.find("tcp transport " + Local(server_net.port()) +
                       ": closing the connection from " + Local(garbage_port) +
                       ": frame at stream offset 0"),
              std::string::npos)
        << err;

    EXPECT_TRUE(Echo(*end, "after, same connection"));
    TcpTransport other_net;
    EXPECT_TRUE(Echo(*other_net.MakeEnd(Local(server_net.port())), "new"));
  });
}

TEST(TcpTransport, UnknownServiceOrMethodFailsTheCall) {
  RunInWorld(RealWorld(), [] {
    TcpTransport server_net;
    server_net.Listen("127.0.0.1:0", EchoServer("s"));
    TcpTransport client_net;
    auto end = client_net.MakeEnd(Local(server_net.port()));
    testing::internal::CaptureStderr();
    EchoReply r;
    bool ok1 = true, ok2 = true, ok3 = true;
    Duration took = Timed([&] {
      ok1 = end->Call("Echo.Nope", EchoArgs{}, &r);
      ok2 = end->Call("Nope.Echo", EchoArgs{}, &r);
      // Args of another type: no type check on the wire, a decode failure.
      ok3 = end->Call("Echo.Echo", std::string("not EchoArgs"), &r);
    });
    std::string err = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(ok1);
    EXPECT_FALSE(ok2);
    EXPECT_FALSE(ok3);
    EXPECT_LT(took, milliseconds(500)) << "failed by timeout, not by answer";
    EXPECT_NE(err.find("unknown method Nope in Echo.Nope"), std::string::npos)
        << err;
    EXPECT_NE(err.find("unknown service Nope in Nope.Echo"), std::string::npos)
        << err;
    EXPECT_NE(err.find("Echo.Echo: cannot decode the request's args"),
              std::string::npos)
        << err;
    // Each failed as the server's answer, not as a reply that would not
    // decode.
    EXPECT_NE(
        err.find("tcp transport: Echo.Nope at " + Local(server_net.port()) +
                 " failed: the server could not run it"),
        std::string::npos)
        << err;
    EXPECT_EQ(err.find("cannot decode the reply"), std::string::npos) << err;
    EXPECT_TRUE(Echo(*end, "still fine"));
  });
}

}  // namespace
}  // namespace deploy
