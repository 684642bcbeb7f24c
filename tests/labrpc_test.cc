// Tests of the labrpc network fabric: a port of the Go labs' labrpc tests
// (src/labrpc/test_test.go, same scenarios and limits), plus the fabric's
// error paths and failure-injection statistics. Every test runs in a world,
// so it passes under both backends (LAB_RUNTIME=real|sim).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "labrpc/channel.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "tests/test_world.h"

namespace {

using labrpc::Channel;
using labrpc::Duration;
using labrpc::MutexLock;
using labrpc::Network;
using labrpc::Now;
using raftlab_test::Fatal;
using raftlab_test::RunInWorld;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

struct JunkArgs {
  int x = 0;
  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& x;
  }
};

struct JunkReply {
  std::string x;
  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& x;
  }
};

// Go's JunkServer: handlers of several shapes, and logs of what ran.
class JunkServer {
 public:
  void Handler1(const std::string& args, int* reply) {
    MutexLock l(mu_);
    log1_.push_back(args);
    *reply = std::stoi(args);
  }
  void Handler2(const int& args, std::string* reply) {
    MutexLock l(mu_);
    log2_.push_back(args);
    *reply = "handler2-" + std::to_string(args);
  }
  void Handler3(const int& args, int* reply) {
    MutexLock l(mu_);
    labrpc::Sleep(20s);
    *reply = -args;
  }
  // Go has Handler4 take *JunkArgs and Handler5 a JunkArgs value; over the
  // wire C++ has no such difference, so both take the struct.
  void Handler4(const JunkArgs& /*args*/, JunkReply* reply) {
    reply->x = "pointer";
  }
  void Handler5(const JunkArgs& /*args*/, JunkReply* reply) {
    reply->x = "no pointer";
  }
  void Handler6(const std::string& args, int* reply) {
    MutexLock l(mu_);
    *reply = static_cast<int>(args.size());
  }
  void Handler7(const int& args, std::string* reply) {
    MutexLock l(mu_);
    *reply = std::string(args, 'y');
  }

  size_t Log2Size() {
    MutexLock l(mu_);
    return log2_.size();
  }

 private:
  labrpc::Mutex mu_{"JunkServer"};
  std::vector<std::string> log1_;
  std::vector<int> log2_;
};

// A Server with JunkServer's service. Each handler holds a shared_ptr to js,
// since a handler may outlive the test body (TestKilled's Handler3).
std::shared_ptr<labrpc::Server> MakeJunkServer(std::shared_ptr<JunkServer> js) {
  auto svc = std::make_shared<labrpc::Service>("JunkServer");
  svc->Register("Handler1",
                [js](const std::string& a, int* r) { js->Handler1(a, r); });
  svc->Register("Handler2",
                [js](const int& a, std::string* r) { js->Handler2(a, r); });
  svc->Register("Handler3", [js](const int& a, int* r) { js->Handler3(a, r); });
  svc->Register("Handler4",
                [js](const JunkArgs& a, JunkReply* r) { js->Handler4(a, r); });
  svc->Register("Handler5",
                [js](const JunkArgs& a, JunkReply* r) { js->Handler5(a, r); });
  svc->Register("Handler6",
                [js](const std::string& a, int* r) { js->Handler6(a, r); });
  svc->Register("Handler7",
                [js](const int& a, std::string* r) { js->Handler7(a, r); });
  auto rs = std::make_shared<labrpc::Server>();
  rs->AddService(svc);
  return rs;
}

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// Go's usual setup: end "end1-99" connected to "server99", enabled.
struct Basic {
  Network rn;
  std::shared_ptr<JunkServer> js = std::make_shared<JunkServer>();
  std::shared_ptr<labrpc::ClientEnd> e;
  explicit Basic(bool enable = true) {
    e = rn.MakeEnd("end1-99");
    rn.AddServer("server99", MakeJunkServer(js));
    rn.Connect("end1-99", "server99");
    rn.Enable("end1-99", enable);
  }
};

// ---- The Go labrpc tests ----

TEST(Labrpc, Basic) {
  RunInWorld([] {
    Basic b;
    {
      std::string reply;
      b.e->Call("JunkServer.Handler2", 111, &reply);
      if (reply != "handler2-111") Fatal("wrong reply from Handler2");
    }
    {
      int reply = 0;
      b.e->Call("JunkServer.Handler1", "9099", &reply);
      if (reply != 9099) Fatal("wrong reply from Handler1");
    }
  });
}

TEST(Labrpc, Types) {
  RunInWorld([] {
    Basic b;
    {
      JunkArgs args;
      JunkReply reply;
      b.e->Call("JunkServer.Handler4", args, &reply);
      if (reply.x != "pointer") Fatal("wrong reply from Handler4");
    }
    {
      JunkArgs args;
      JunkReply reply;
      b.e->Call("JunkServer.Handler5", args, &reply);
      if (reply.x != "no pointer") Fatal("wrong reply from Handler5");
    }
  });
}

// An end that is connected but not enabled gets no reply.
TEST(Labrpc, Disconnect) {
  RunInWorld([] {
    Basic b(/*enable=*/false);
    {
      std::string reply;
      b.e->Call("JunkServer.Handler2", 111, &reply);
      if (reply != "") Fatal("unexpected reply from Handler2");
    }
    b.rn.Enable("end1-99", true);
    {
      int reply = 0;
      b.e->Call("JunkServer.Handler1", "9099", &reply);
      if (reply != 9099) Fatal("wrong reply from Handler1");
    }
  });
}

// GetCount reports the RPCs a server received.
TEST(Labrpc, Counts) {
  RunInWorld([] {
    Network rn;
    auto e = rn.MakeEnd("end1-99");
    rn.AddServer(99, MakeJunkServer(std::make_shared<JunkServer>()));
    rn.Connect("end1-99", 99);
    rn.Enable("end1-99", true);
    for (int i = 0; i < 17; i++) {
      std::string reply;
      e->Call("JunkServer.Handler2", i, &reply);
      std::string wanted = "handler2-" + std::to_string(i);
      if (reply != wanted) {
        Fatal("wrong reply " + reply + " from Handler2, expecting " + wanted);
      }
    }
    int n = rn.GetCount(99);
    if (n != 17)
      Fatal("wrong GetCount() " + std::to_string(n) + ", expected 17");
  });
}

// GetTotalBytes counts args and replies.
TEST(Labrpc, Bytes) {
  RunInWorld([] {
    Network rn;
    auto e = rn.MakeEnd("end1-99");
    rn.AddServer(99, MakeJunkServer(std::make_shared<JunkServer>()));
    rn.Connect("end1-99", 99);
    rn.Enable("end1-99", true);

    for (int i = 0; i < 17; i++) {
      std::string args(71, 'x');
      args = args + args;
      args = args + args;
      int reply = 0;
      e->Call("JunkServer.Handler6", args, &reply);
      if (reply != static_cast<int>(args.size())) {
        Fatal("wrong reply " + std::to_string(reply) +
              " from Handler6, expecting " + std::to_string(args.size()));
      }
    }
    int64_t n = rn.GetTotalBytes();
    if (n < 4828 || n > 6000) {
      Fatal("wrong GetTotalBytes() " + std::to_string(n) +
            ", expected about 5000");
    }

    for (int i = 0; i < 17; i++) {
      std::string reply;
      e->Call("JunkServer.Handler7", 107, &reply);
      if (reply.size() != 107u) {
        Fatal("wrong reply length " + std::to_string(reply.size()) +
              " from Handler7, expecting 107");
      }
    }
    int64_t nn = rn.GetTotalBytes() - n;
    if (nn < 1800 || nn > 2500) {
      Fatal("wrong GetTotalBytes() " + std::to_string(nn) +
            ", expected about 2000");
    }
  });
}

// Many ends, each with its own sequence of calls, all at once.
TEST(Labrpc, ConcurrentMany) {
  RunInWorld([] {
    Network rn;
    rn.AddServer(1000, MakeJunkServer(std::make_shared<JunkServer>()));
    const int nclients = 20;
    const int nrpcs = 10;
    auto ch = std::make_shared<Channel<int>>(nclients);
    for (int ii = 0; ii < nclients; ii++) {
      auto e = rn.MakeEnd(ii);
      rn.Connect(ii, 1000);
      rn.Enable(ii, true);
      labrpc::Go("client", [ii, e, ch] {
        int n = 0;
        for (int j = 0; j < nrpcs; j++) {
          int arg = ii * 100 + j;
          std::string reply;
          e->Call("JunkServer.Handler2", arg, &reply);
          std::string wanted = "handler2-" + std::to_string(arg);
          if (reply != wanted) {
            Fatal("wrong reply " + reply + " from Handler2, expecting " +
                  wanted);
          }
          n++;
        }
        ch->Send(n);
      });
    }
    int total = 0;
    for (int ii = 0; ii < nclients; ii++) total += *ch->Receive();
    if (total != nclients * nrpcs) {
      Fatal("wrong number of RPCs completed, got " + std::to_string(total) +
            ", expected " + std::to_string(nclients * nrpcs));
    }
    int n = rn.GetCount(1000);
    if (n != total) {
      Fatal("wrong GetCount() " + std::to_string(n) + ", expected " +
            std::to_string(total));
    }
  });
}

// An unreliable network loses some calls, but not all.
TEST(Labrpc, Unreliable) {
  RunInWorld([] {
    Network rn;
    rn.Reliable(false);
    rn.AddServer(1000, MakeJunkServer(std::make_shared<JunkServer>()));
    const int nclients = 300;
    auto ch = std::make_shared<Channel<int>>(nclients);
    for (int ii = 0; ii < nclients; ii++) {
      auto e = rn.MakeEnd(ii);
      rn.Connect(ii, 1000);
      rn.Enable(ii, true);
      labrpc::Go("client", [ii, e, ch] {
        int n = 0;
        int arg = ii * 100;
        std::string reply;
        bool ok = e->Call("JunkServer.Handler2", arg, &reply);
        if (ok) {
          std::string wanted = "handler2-" + std::to_string(arg);
          if (reply != wanted) {
            Fatal("wrong reply " + reply + " from Handler2, expecting " +
                  wanted);
          }
          n++;
        }
        ch->Send(n);
      });
    }
    int total = 0;
    for (int ii = 0; ii < nclients; ii++) total += *ch->Receive();
    if (total == nclients || total == 0) {
      Fatal("all RPCs succeeded despite unreliable");
    }
  });
}

// Many concurrent calls on one end.
TEST(Labrpc, ConcurrentOne) {
  RunInWorld([] {
    Network rn;
    auto js = std::make_shared<JunkServer>();
    rn.AddServer(1000, MakeJunkServer(js));
    auto e = rn.MakeEnd("c");
    rn.Connect("c", 1000);
    rn.Enable("c", true);
    const int nrpcs = 20;
    auto ch = std::make_shared<Channel<int>>(nrpcs);
    for (int ti = 0; ti < nrpcs; ti++) {
      labrpc::Go("client", [ti, e, ch] {
        int arg = 100 + ti;
        std::string reply;
        e->Call("JunkServer.Handler2", arg, &reply);
        std::string wanted = "handler2-" + std::to_string(arg);
        if (reply != wanted) {
          Fatal("wrong reply " + reply + " from Handler2, expecting " + wanted);
        }
        ch->Send(1);
      });
    }
    int total = 0;
    for (int ti = 0; ti < nrpcs; ti++) total += *ch->Receive();
    if (total != nrpcs) {
      Fatal("wrong number of RPCs completed, got " + std::to_string(total) +
            ", expected " + std::to_string(nrpcs));
    }
    if (js->Log2Size() != static_cast<size_t>(nrpcs)) {
      Fatal("wrong number of RPCs delivered");
    }
    int n = rn.GetCount(1000);
    if (n != total) {
      Fatal("wrong GetCount() " + std::to_string(n) + ", expected " +
            std::to_string(total));
    }
  });
}

// Regression: an RPC started while its end was disabled must not be
// delivered once the end is enabled, nor hold up a later RPC.
TEST(Labrpc, Regression1) {
  RunInWorld([] {
    Network rn;
    auto js = std::make_shared<JunkServer>();
    rn.AddServer(1000, MakeJunkServer(js));
    auto e = rn.MakeEnd("c");
    rn.Connect("c", 1000);

    // Start some RPCs while the end is disabled; they'll be delayed.
    rn.Enable("c", false);
    const int nrpcs = 20;
    auto ch = std::make_shared<Channel<bool>>(nrpcs);
    for (int ti = 0; ti < nrpcs; ti++) {
      labrpc::Go("client", [ti, e, ch] {
        int arg = 100 + ti;
        std::string reply;
        // This call ought to return false.
        e->Call("JunkServer.Handler2", arg, &reply);
        ch->Send(true);
      });
    }

    labrpc::Sleep(100ms);

    // Now enable the end and check that an RPC completes quickly.
    Duration t0 = Now();
    rn.Enable("c", true);
    {
      int arg = 99;
      std::string reply;
      e->Call("JunkServer.Handler2", arg, &reply);
      std::string wanted = "handler2-" + std::to_string(arg);
      if (reply != wanted) {
        Fatal("wrong reply " + reply + " from Handler2, expecting " + wanted);
      }
    }
    double dur = Seconds(Now() - t0);
    if (dur > 0.03) {
      Fatal("RPC took too long (" + std::to_string(dur) + ") after Enable");
    }

    for (int ti = 0; ti < nrpcs; ti++) ch->Receive();

    if (js->Log2Size() != 1) {
      Fatal("wrong number (" + std::to_string(js->Log2Size()) +
            ") of RPCs delivered, expected 1");
    }
    int n = rn.GetCount(1000);
    if (n != 1) Fatal("wrong GetCount() " + std::to_string(n) + ", expected 1");
  });
}

// If a server is killed (DeleteServer) while a handler runs, the call fails
// promptly instead of waiting for the handler.
TEST(Labrpc, Killed) {
  RunInWorld([] {
    Basic b;
    auto done = std::make_shared<Channel<bool>>(1);
    auto e = b.e;
    labrpc::Go("caller", [e, done] {
      int reply = 0;
      bool ok = e->Call("JunkServer.Handler3", 99, &reply);
      done->Send(ok);
    });

    labrpc::Sleep(1000ms);

    bool x = false;
    if (done->ReceiveFor(100ms, &x) != labrpc::RecvStatus::kTimeout) {
      Fatal("Handler3 should not have returned yet");
    }

    b.rn.DeleteServer("server99");

    if (done->ReceiveFor(100ms, &x) == labrpc::RecvStatus::kOk) {
      if (x != false)
        Fatal("Handler3 returned successfully despite DeleteServer()");
    } else {
      Fatal("Handler3 should return after DeleteServer()");
    }
  });
}

TEST(Labrpc, Benchmark) {
  RunInWorld([] {
    Basic b;
    Duration t0 = Now();
    const int n = 100000;
    for (int iters = 0; iters < n; iters++) {
      std::string reply;
      b.e->Call("JunkServer.Handler2", 111, &reply);
      if (reply != "handler2-111") Fatal("wrong reply from Handler2");
    }
    std::printf("%.3fs for %d (%s backend)\n", Seconds(Now() - t0), n,
                labrpc::BackendName(labrpc::World::Current().backend()));
  });
}

// ---- Error paths ----

TEST(Labrpc, UnknownServiceFails) {
  RunInWorld([] {
    Basic b;
    std::string reply = "untouched";
    testing::internal::CaptureStderr();
    bool ok = b.e->Call("NoSuchService.Handler2", 1, &reply);
    std::string err = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(ok);
    EXPECT_EQ(reply, "untouched");
    EXPECT_THAT(err, HasSubstr("unknown service NoSuchService"));
    EXPECT_THAT(err, HasSubstr("JunkServer"));
    // No dot at all is an unknown service too.
    testing::internal::CaptureStderr();
    EXPECT_FALSE(b.e->Call("Handler2", 1, &reply));
    testing::internal::GetCapturedStderr();
    // The network keeps working.
    EXPECT_TRUE(b.e->Call("JunkServer.Handler2", 2, &reply));
    EXPECT_EQ(reply, "handler2-2");
  });
}

TEST(Labrpc, UnknownMethodFails) {
  RunInWorld([] {
    Basic b;
    std::string reply = "untouched";
    testing::internal::CaptureStderr();
    bool ok = b.e->Call("JunkServer.Handler99", 1, &reply);
    std::string err = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(ok);
    EXPECT_EQ(reply, "untouched");
    EXPECT_THAT(err, HasSubstr("unknown method Handler99"));
    EXPECT_THAT(err, HasSubstr("Handler1 Handler2 Handler3"));
    EXPECT_TRUE(b.e->Call("JunkServer.Handler2", 2, &reply));
  });
}

TEST(Labrpc, ArgsTypeMismatchFails) {
  RunInWorld([] {
    Basic b;
    std::string reply = "untouched";
    testing::internal::CaptureStderr();
    // Handler2 takes an int.
    bool ok = b.e->Call("JunkServer.Handler2", JunkArgs{5}, &reply);
    std::string err = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(ok);
    EXPECT_EQ(reply, "untouched");
    EXPECT_THAT(err, HasSubstr("JunkArgs"));
    EXPECT_THAT(err, HasSubstr("takes int"));
    // The handler did not run.
    EXPECT_EQ(b.js->Log2Size(), 0u);

    // A reply type that is not the handler's fails the same way.
    int wrong_reply = -1;
    testing::internal::CaptureStderr();
    ok = b.e->Call("JunkServer.Handler2", 5, &wrong_reply);
    err = testing::internal::GetCapturedStderr();
    EXPECT_FALSE(ok);
    EXPECT_EQ(wrong_reply, -1);
    EXPECT_THAT(err, HasSubstr("reply of type int"));
  });
}

TEST(Labrpc, CallAfterCleanupFails) {
  RunInWorld([] {
    Basic b;
    std::string reply;
    EXPECT_TRUE(b.e->Call("JunkServer.Handler2", 1, &reply));
    int count = b.rn.GetTotalCount();
    b.rn.Cleanup();
    reply = "untouched";
    Duration t0 = Now();
    EXPECT_FALSE(b.e->Call("JunkServer.Handler2", 2, &reply));
    EXPECT_LT(Now() - t0, 10ms);
    EXPECT_EQ(reply, "untouched");
    EXPECT_EQ(b.rn.GetTotalCount(), count);
    EXPECT_EQ(b.js->Log2Size(), 1u);
  });
}

// Calls already in the network when Cleanup runs finish normally.
TEST(Labrpc, CleanupLetsInFlightCallsFinish) {
  RunInWorld([] {
    Network rn;
    auto svc = std::make_shared<labrpc::Service>("Slow");
    svc->Register("Wait", [](const int& ms, int* reply) {
      labrpc::Sleep(std::chrono::milliseconds(ms));
      *reply = ms;
    });
    auto srv = std::make_shared<labrpc::Server>();
    srv->AddService(svc);
    rn.AddServer("s", srv);
    auto e = rn.MakeEnd("e");
    rn.Connect("e", "s");
    rn.Enable("e", true);
    auto done = std::make_shared<Channel<int>>(1);
    labrpc::Go("caller", [e, done] {
      int reply = 0;
      done->Send(e->Call("Slow.Wait", 300, &reply) ? reply : -1);
    });
    labrpc::Sleep(100ms);
    rn.Cleanup();
    EXPECT_EQ(*done->Receive(), 300);
  });
}

TEST(Labrpc, GetCountOfUnknownOrDeletedServer) {
  RunInWorld([] {
    Basic b;
    EXPECT_EQ(b.rn.GetCount("no-such-server"), 0);
    EXPECT_EQ(b.rn.GetCount(12345), 0);
    std::string reply;
    EXPECT_TRUE(b.e->Call("JunkServer.Handler2", 1, &reply));
    EXPECT_EQ(b.rn.GetCount("server99"), 1);
    b.rn.DeleteServer("server99");
    EXPECT_EQ(b.rn.GetCount("server99"), 0);
    EXPECT_EQ(b.rn.GetTotalCount(), 1);
  });
}

TEST(Labrpc, MakeEndDuplicateThrows) {
  RunInWorld([] {
    Network rn;
    rn.MakeEnd("x");
    EXPECT_THROW(rn.MakeEnd("x"), labrpc::MisuseError);
    rn.MakeEnd(7);
    EXPECT_THROW(rn.MakeEnd("7"), labrpc::MisuseError);
    // Enabling or connecting a name first does not make the end.
    rn.Enable("y", true);
    rn.Connect("z", "server");
    EXPECT_NO_THROW(rn.MakeEnd("y"));
    EXPECT_NO_THROW(rn.MakeEnd("z"));
  });
}

TEST(Labrpc, RegisterTwiceThrows) {
  RunInWorld([] {
    labrpc::Service svc("S");
    svc.Register("M", [](const int&, int*) {});
    EXPECT_THROW(svc.Register("M", [](const int&, int*) {}),
                 labrpc::MisuseError);
  });
}

// A failed call leaves the caller's reply exactly as it was, whatever the
// cause.
TEST(Labrpc, ReplyUntouchedOnFailure) {
  RunInWorld([] {
    Basic b(/*enable=*/false);
    JunkReply reply;
    reply.x = "sentinel";
    EXPECT_FALSE(b.e->Call("JunkServer.Handler4", JunkArgs{}, &reply));
    EXPECT_EQ(reply.x, "sentinel");

    // Unreliable: some calls fail, and each failure leaves reply alone.
    b.rn.Enable("end1-99", true);
    b.rn.Reliable(false);
    int failures = 0;
    for (int i = 0; i < 60; i++) {
      JunkReply r;
      r.x = "sentinel";
      if (b.e->Call("JunkServer.Handler5", JunkArgs{}, &r)) {
        EXPECT_EQ(r.x, "no pointer");
      } else {
        failures++;
        EXPECT_EQ(r.x, "sentinel");
      }
    }
    EXPECT_GT(failures, 0);
  });
}

// Args and replies are deep copies through the codec: a field serialize()
// leaves out arrives default-initialised, both ways.
struct PartialMsg {
  int sent = 0;
  int not_sent = 0;
  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& sent;
  }
};

TEST(Labrpc, FieldsOutsideSerializeDoNotTravel) {
  using Msg = PartialMsg;
  RunInWorld([] {
    Network rn;
    auto svc = std::make_shared<labrpc::Service>("Echo");
    svc->Register("Echo", [](const Msg& args, Msg* reply) {
      EXPECT_EQ(args.sent, 1);
      EXPECT_EQ(args.not_sent, 0);
      reply->sent = args.sent + 1;
      reply->not_sent = 42;
    });
    auto srv = std::make_shared<labrpc::Server>();
    srv->AddService(svc);
    rn.AddServer("s", srv);
    auto e = rn.MakeEnd("e");
    rn.Connect("e", "s");
    rn.Enable("e", true);
    Msg args{1, 7};
    Msg reply{0, 99};
    ASSERT_TRUE(e->Call("Echo.Echo", args, &reply));
    EXPECT_EQ(reply.sent, 2);
    EXPECT_EQ(reply.not_sent, 0);
  });
}

// Registering a member function directly (the other Register form).
TEST(Labrpc, RegisterMemberFunction) {
  RunInWorld([] {
    Network rn;
    auto js = std::make_shared<JunkServer>();
    auto svc = std::make_shared<labrpc::Service>("JunkServer");
    svc->Register("Handler2", js.get(), &JunkServer::Handler2);
    svc->Register<std::string, int>(
        "Handler6",
        std::function<void(const std::string&, int*)>(
            [js](const std::string& a, int* r) { js->Handler6(a, r); }));
    auto srv = std::make_shared<labrpc::Server>();
    srv->AddService(svc);
    rn.AddServer("s", srv);
    auto e = rn.MakeEnd("e");
    rn.Connect("e", "s");
    rn.Enable("e", true);
    std::string reply;
    EXPECT_TRUE(e->Call("JunkServer.Handler2", 5, &reply));
    EXPECT_EQ(reply, "handler2-5");
    int len = 0;
    EXPECT_TRUE(e->Call("JunkServer.Handler6", std::string("abc"), &len));
    EXPECT_EQ(len, 3);
    EXPECT_EQ(srv->GetCount(), 2);
  });
}

// ---- Failure injection: timing and rates ----

// A call through a disabled end fails after 0-99 ms, or 0-6999 ms with
// LongDelays.
TEST(Labrpc, UnreachableDelays) {
  RunInWorld([] {
    Basic b(/*enable=*/false);
    const bool sim =
        labrpc::World::Current().backend() == labrpc::Backend::kSim;
    for (bool long_delays : {false, true}) {
      b.rn.LongDelays(long_delays);
      const int n = 20;
      auto ch = std::make_shared<Channel<Duration>>(n);
      auto e = b.e;
      for (int i = 0; i < n; i++) {
        labrpc::Go("caller", [e, ch] {
          Duration t0 = Now();
          std::string reply;
          if (e->Call("JunkServer.Handler2", 1, &reply)) {
            Fatal("call through a disabled end succeeded");
          }
          ch->Send(Now() - t0);
        });
      }
      Duration longest{0};
      for (int i = 0; i < n; i++) longest = std::max(longest, *ch->Receive());
      // Exact under sim; real threads may wake late on a loaded machine.
      const Duration slack = sim ? 0ms : 300ms;
      if (long_delays) {
        EXPECT_LT(longest, 7000ms + slack);
        // 20 draws below 1 s out of 7 s: probability (1/7)^20.
        EXPECT_GT(longest, 1000ms);
      } else {
        EXPECT_LT(longest, 100ms + slack);
      }
    }
    EXPECT_EQ(b.js->Log2Size(), 0u);
  });
}

// Unreliable: about 90 % of requests reach the server and about 81 % of
// calls succeed (processReq in the Go labrpc.go drops 10 % of requests, then
// 10 % of replies). 1000 calls keep these within 5 standard deviations.
TEST(Labrpc, UnreliableRates) {
  RunInWorld([] {
    Network rn;
    rn.Reliable(false);
    auto js = std::make_shared<JunkServer>();
    rn.AddServer(1000, MakeJunkServer(js));
    const int nclients = 100;
    const int nrpcs = 10;
    auto ch = std::make_shared<Channel<int>>(nclients);
    for (int ii = 0; ii < nclients; ii++) {
      auto e = rn.MakeEnd(ii);
      rn.Connect(ii, 1000);
      rn.Enable(ii, true);
      labrpc::Go("client", [e, ch] {
        int ok = 0;
        for (int j = 0; j < nrpcs; j++) {
          std::string reply;
          if (e->Call("JunkServer.Handler2", j, &reply)) ok++;
        }
        ch->Send(ok);
      });
    }
    int ok = 0;
    for (int ii = 0; ii < nclients; ii++) ok += *ch->Receive();
    const double total = nclients * nrpcs;
    EXPECT_EQ(rn.GetTotalCount(), nclients * nrpcs);
    double delivered = rn.GetCount(1000) / total;
    double succeeded = ok / total;
    EXPECT_GT(delivered, 0.85);
    EXPECT_LT(delivered, 0.95);
    EXPECT_GT(succeeded, 0.75);
    EXPECT_LT(succeeded, 0.87);
    EXPECT_EQ(js->Log2Size(), static_cast<size_t>(rn.GetCount(1000)));
  });
}

// LongReordering: about 2/3 of replies arrive 200-2199 ms late, and a
// reply's bytes are counted when it is delivered.
TEST(Labrpc, LongReordering) {
  RunInWorld([] {
    Basic b;
    b.rn.LongReordering(true);
    const int n = 60;
    auto ch = std::make_shared<Channel<Duration>>(n);
    auto e = b.e;
    for (int i = 0; i < n; i++) {
      labrpc::Go("caller", [e, ch, i] {
        Duration t0 = Now();
        std::string reply;
        if (!e->Call("JunkServer.Handler2", i, &reply) ||
            reply != "handler2-" + std::to_string(i)) {
          Fatal("long reordering lost or garbled a reply");
        }
        ch->Send(Now() - t0);
      });
    }
    int64_t args_bytes = n * labrpc::Encode(0).size();
    int64_t reply_bytes = 0;
    for (int i = 0; i < n; i++) {
      reply_bytes += labrpc::Encode("handler2-" + std::to_string(i)).size();
    }
    // Replies still held back have not been counted yet (all 60 replies
    // prompt has probability 3^-60).
    labrpc::Sleep(100ms);
    EXPECT_GE(b.rn.GetTotalBytes(), args_bytes);
    EXPECT_LT(b.rn.GetTotalBytes(), args_bytes + reply_bytes);
    int late = 0;
    for (int i = 0; i < n; i++) {
      Duration d = *ch->Receive();
      EXPECT_LT(d, 2200ms + 200ms);
      if (d >= 200ms) late++;
    }
    // Expected 40 of 60; the binomial sd is about 3.7.
    EXPECT_GT(late, 22);
    EXPECT_LT(late, 58);
    EXPECT_EQ(b.rn.GetTotalBytes(), args_bytes + reply_bytes);
  });
}

// Replacing a server, or disabling the end, while a call is in flight makes
// the call fail promptly, even though the handler keeps running.
TEST(Labrpc, ReplaceOrDisableDuringCallFails) {
  for (int variant = 0; variant < 2; variant++) {
    RunInWorld([variant] {
      Basic b;
      auto done = std::make_shared<Channel<bool>>(1);
      auto e = b.e;
      labrpc::Go("caller", [e, done] {
        int reply = 0;
        done->Send(e->Call("JunkServer.Handler3", 1, &reply));
      });
      labrpc::Sleep(250ms);
      if (variant == 0) {
        b.rn.AddServer("server99",
                       MakeJunkServer(std::make_shared<JunkServer>()));
      } else {
        b.rn.Enable("end1-99", false);
      }
      bool ok = true;
      ASSERT_EQ(done->ReceiveFor(100ms, &ok), labrpc::RecvStatus::kOk);
      EXPECT_FALSE(ok);
    });
  }
}

// Under sim a reliable call takes a seeded random virtual time: each leg at
// most sim_latency, drawn as max * u^2 (median max/4, mean max/3); with a
// zero sim_latency a call takes no virtual time at all.
TEST(Labrpc, SimLatency) {
  auto trip_times = [](Duration max) {
    labrpc::WorldOptions options;
    options.backend = labrpc::Backend::kSim;
    options.seed = 7;
    options.sim_latency = max;
    std::vector<Duration> trips;
    RunInWorld(options, [&] {
      Basic b;
      for (int i = 0; i < 2000; i++) {
        Duration t0 = Now();
        std::string reply;
        if (!b.e->Call("JunkServer.Handler2", i, &reply)) {
          Fatal("a reliable call failed");
        }
        trips.push_back(Now() - t0);
      }
    });
    std::sort(trips.begin(), trips.end());
    return trips;
  };
  for (Duration trip : trip_times(0ms)) ASSERT_EQ(trip, 0ms);

  const Duration max = 5ms;
  std::vector<Duration> trips = trip_times(max);
  EXPECT_LE(trips.back(), 2 * max);
  EXPECT_GT(trips.back(), max) << "no slow round trip in 2000";
  EXPECT_LT(trips.front(), max / 10) << "no fast round trip in 2000";
  // The sum of two legs of max * u^2 has mean 2 * max / 3 and median about
  // 0.58 * max; 2000 trips keep both well inside these bounds.
  Duration sum{0};
  for (Duration trip : trips) sum += trip;
  const double mean = Seconds(sum) / trips.size() / Seconds(max);
  const double median = Seconds(trips[trips.size() / 2]) / Seconds(max);
  EXPECT_GT(mean, 0.6);
  EXPECT_LT(mean, 0.73);
  EXPECT_GT(median, 0.5);
  EXPECT_LT(median, 0.67);
  EXPECT_EQ(trips, trip_times(max)) << "one seed must give one set of delays";
}

// The same seed gives the same outcome under sim (all randomness comes from
// the world).
TEST(Labrpc, SimDeterminism) {
  auto run = [](uint64_t seed) {
    labrpc::WorldOptions options;
    options.backend = labrpc::Backend::kSim;
    options.seed = seed;
    std::vector<int64_t> outcome;
    RunInWorld(options, [&] {
      Network rn;
      rn.Reliable(false);
      rn.LongReordering(true);
      rn.AddServer(1, MakeJunkServer(std::make_shared<JunkServer>()));
      auto e = rn.MakeEnd("e");
      rn.Connect("e", 1);
      rn.Enable("e", true);
      for (int i = 0; i < 30; i++) {
        std::string reply;
        outcome.push_back(e->Call("JunkServer.Handler2", i, &reply));
        outcome.push_back(Now().count());
      }
      outcome.push_back(rn.GetTotalBytes());
      outcome.push_back(rn.GetCount(1));
    });
    return outcome;
  };
  EXPECT_EQ(run(11), run(11));
  EXPECT_NE(run(11), run(12));
}

// A service that holds an end (as Raft and the KV server do) forms a cycle
// through the network's shared state; destroying the Network must break it.
struct EndHolder {
  std::shared_ptr<labrpc::ClientEnd> end;
};

TEST(Labrpc, DestroyingNetworkFreesServices) {
  std::weak_ptr<EndHolder> weak;
  RunInWorld([&] {
    {
      Network net;
      auto holder = std::make_shared<EndHolder>();
      holder->end = net.MakeEnd("holder-end");
      net.Connect("holder-end", "holder-server");
      net.Enable("holder-end", true);
      auto service = std::make_shared<labrpc::Service>("Holder");
      service->Register<int, int>(
          "Ping", std::function<void(const int&, int*)>(
                      [holder](const int& a, int* r) { *r = a; }));
      auto server = std::make_shared<labrpc::Server>();
      server->AddService(service);
      net.AddServer("holder-server", server);
      int reply = 0;
      EXPECT_TRUE(holder->end->Call("Holder.Ping", 7, &reply));
      EXPECT_EQ(reply, 7);
      weak = holder;
    }
  });
  // Checked once the world has ended, when every handler task (which may
  // still hold a copy of the service's handler) has finished.
  EXPECT_TRUE(weak.expired()) << "the service (and what it holds) leaked";
}

// The last reference to a Network may die with a task's captures; its
// destructor uses the runtime, so the captures must be destroyed while the
// task still counts as running (a pooled real worker once did it after).
TEST(Labrpc, NetworkDestroyedWithFinishedTaskCaptures) {
  RunInWorld([] {
    auto net = std::make_shared<Network>();
    auto end = net->MakeEnd("captured-end");
    auto done = std::make_shared<Channel<int>>(1);
    labrpc::Go("owner", [net = std::move(net), done] {
      EXPECT_EQ(net->GetTotalCount(), 0);
      done->Send(1);
    });
    EXPECT_EQ(done->Receive(), 1);
    labrpc::Sleep(std::chrono::milliseconds(50));  // let the task finish
  });
}

}  // namespace
