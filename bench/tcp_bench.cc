// The cost of a labrpc Call over deploy::TcpTransport on loopback: the
// round trip of a small call (two transports in one process, as two server
// processes would talk), and how long a call to a port nobody listens on
// takes to fail.
//
//   ./build/bench/tcp_bench --benchmark_min_time=1
//
// Compare BM_CallRoundTrip/real in labrpc_bench: the difference is the
// sockets, the frames and the I/O task's hand-offs.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "deploy/tcp_transport.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"

namespace {

labrpc::WorldOptions Real() {
  labrpc::WorldOptions options;
  options.backend = labrpc::Backend::kReal;
  options.seed = 1;
  return options;
}

std::string Local(int port) { return "127.0.0.1:" + std::to_string(port); }

void BM_TcpCallRoundTrip(benchmark::State& state) {
  labrpc::World world(Real());
  world.Run([&] {
    auto svc = std::make_shared<labrpc::Service>("Bench");
    svc->Register("Echo", [](const int& args, int* reply) { *reply = args; });
    auto srv = std::make_shared<labrpc::Server>();
    srv->AddService(svc);
    deploy::TcpTransport server_net;
    server_net.Listen("127.0.0.1:0", srv);
    deploy::TcpTransport client_net;
    auto end = client_net.MakeEnd(Local(server_net.port()));
    int i = 0;
    for (auto _ : state) {
      int reply = 0;
      if (!end->Call("Bench.Echo", i, &reply) || reply != i) {
        state.SkipWithError("wrong reply");
        break;
      }
      i++;
    }
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TcpCallRoundTrip)->UseRealTime();

// Concurrent callers share one multiplexed connection: calls per second
// with state.range(0) tasks calling at once.
void BM_TcpConcurrentCalls(benchmark::State& state) {
  const int tasks = static_cast<int>(state.range(0));
  labrpc::World world(Real());
  world.Run([&] {
    auto svc = std::make_shared<labrpc::Service>("Bench");
    svc->Register("Echo", [](const int& args, int* reply) { *reply = args; });
    auto srv = std::make_shared<labrpc::Server>();
    srv->AddService(svc);
    deploy::TcpTransport server_net;
    server_net.Listen("127.0.0.1:0", srv);
    deploy::TcpTransport client_net;
    auto end = client_net.MakeEnd(Local(server_net.port()));
    constexpr int kCallsPerTask = 200;
    for (auto _ : state) {
      labrpc::WaitGroup wg;
      for (int t = 0; t < tasks; t++) {
        wg.Add(1);
        labrpc::Go("caller", [&] {
          for (int i = 0; i < kCallsPerTask; i++) {
            int reply = 0;
            end->Call("Bench.Echo", i, &reply);
          }
          wg.Done();
        });
      }
      wg.Wait();
    }
    state.SetItemsProcessed(state.iterations() * tasks * kCallsPerTask);
  });
}
BENCHMARK(BM_TcpConcurrentCalls)->Arg(1)->Arg(4)->Arg(16)->UseRealTime();

// A call to a port nobody listens on (the connect is refused): how long
// until Call returns false.
void BM_TcpCallToDeadPort(benchmark::State& state) {
  labrpc::World world(Real());
  world.Run([&] {
    int port;
    {
      deploy::TcpTransport probe;
      probe.Listen("127.0.0.1:0", std::make_shared<labrpc::Server>());
      port = probe.port();
    }  // closed: nobody listens on port now
    deploy::TcpTransport net;
    auto end = net.MakeEnd(Local(port));
    for (auto _ : state) {
      int reply = 0;
      if (end->Call("Bench.Echo", 1, &reply)) {
        state.SkipWithError("a call to a closed port succeeded");
        break;
      }
    }
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TcpCallToDeadPort)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
