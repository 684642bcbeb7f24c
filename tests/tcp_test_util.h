// Shared by the TcpTransport tests: an echo service, a real world, timing.
#ifndef RAFTLAB_TESTS_TCP_TEST_UTIL_H_
#define RAFTLAB_TESTS_TCP_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "deploy/tcp_transport.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"

namespace deploy {

struct EchoArgs {
  std::string text;
  int64_t number = 0;
  std::vector<int> list;
  int delay_ms = 0;  // the handler sleeps this long first

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& text& number& list& delay_ms;
  }
};

struct EchoReply {
  std::string text;
  int64_t number = 0;
  std::vector<int> list;
  std::string server;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& text& number& list& server;
  }
};

inline labrpc::WorldOptions RealWorld() {
  labrpc::WorldOptions o = labrpc::WorldOptions::FromEnv();
  o.backend = labrpc::Backend::kReal;
  return o;
}

// A server with "Echo.Echo" (replies with its args and `name`) and
// "Echo.Hang" (never replies: sleeps until the world stops).
inline std::shared_ptr<labrpc::Server> EchoServer(const std::string& name) {
  auto svc = std::make_shared<labrpc::Service>("Echo");
  svc->Register("Echo", [name](const EchoArgs& a, EchoReply* r) {
    if (a.delay_ms > 0) labrpc::Sleep(std::chrono::milliseconds(a.delay_ms));
    r->text = a.text;
    r->number = a.number;
    r->list = a.list;
    r->server = name;
  });
  svc->Register("Hang", [](const EchoArgs&, EchoReply*) {
    labrpc::Sleep(std::chrono::hours(1));
  });
  auto srv = std::make_shared<labrpc::Server>();
  srv->AddService(svc);
  return srv;
}

inline std::string Local(int port) {
  return "127.0.0.1:" + std::to_string(port);
}

// A call of Echo.Echo with `text`; true if it came back intact.
inline bool Echo(labrpc::ClientEnd& end, const std::string& text,
                 int delay_ms = 0) {
  EchoArgs a{text, static_cast<int64_t>(text.size()), {1, 2, 3}, delay_ms};
  EchoReply r;
  if (!end.Call("Echo.Echo", a, &r)) return false;
  EXPECT_EQ(r.text, text);
  EXPECT_EQ(r.number, static_cast<int64_t>(text.size()));
  return r.text == text;
}

// A port nobody listens on: bound by a transport, which is then closed.
inline int FreePort() {
  TcpTransport t;
  t.Listen("127.0.0.1:0", std::make_shared<labrpc::Server>());
  int port = t.port();
  t.Close();
  return port;
}

// How long fn() took, in the world's time.
template <class F>
labrpc::Duration Timed(F&& fn) {
  const labrpc::Duration start = labrpc::Now();
  fn();
  return labrpc::Now() - start;
}

}  // namespace deploy

#endif  // RAFTLAB_TESTS_TCP_TEST_UTIL_H_
