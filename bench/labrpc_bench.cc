// Round-trip cost of one labrpc Call (encode, dispatch to a handler task,
// wait, decode) on a reliable network, under each runtime backend, and the
// codec's cost on its own.
//
//   ./build/bench/labrpc_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "labrpc/codec.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"

namespace {

struct Entry {
  int term = 0;
  std::string command;
  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& term& command;
  }
};

// One World per benchmark run; the timed loop runs as its root task.
void BM_CallRoundTrip(benchmark::State& state, labrpc::Backend backend) {
  labrpc::WorldOptions options;
  options.backend = backend;
  options.seed = 1;
  labrpc::World world(options);
  world.Run([&] {
    labrpc::Network net;
    auto svc = std::make_shared<labrpc::Service>("Bench");
    svc->Register("Echo", [](const int& args, int* reply) { *reply = args; });
    auto srv = std::make_shared<labrpc::Server>();
    srv->AddService(svc);
    net.AddServer("server", srv);
    auto end = net.MakeEnd("end");
    net.Connect("end", "server");
    net.Enable("end", true);
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
BENCHMARK_CAPTURE(BM_CallRoundTrip, real, labrpc::Backend::kReal)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_CallRoundTrip, sim, labrpc::Backend::kSim)->UseRealTime();

void BM_CodecRoundTrip(benchmark::State& state) {
  std::vector<Entry> log(state.range(0), Entry{7, std::string(64, 'c')});
  for (auto _ : state) {
    labrpc::Bytes b = labrpc::Encode(log);
    auto copy = labrpc::Decode<std::vector<Entry>>(b);
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_CodecRoundTrip)->Arg(1)->Arg(100);

}  // namespace

BENCHMARK_MAIN();
