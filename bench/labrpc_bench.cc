// Round-trip cost of one labrpc Call (encode, dispatch to a handler task,
// wait, decode) on a reliable network, under each runtime backend, and the
// codec's cost on its own.
//
//   ./build/bench/labrpc_bench --benchmark_min_time=1
//
// Besides the wall time per call, each round trip reports the CPU time of
// the whole process (every thread, user and system) per call, cpu_us, and
// the context switches per call, csw: under real the wall time depends on
// what else the machine runs, these two much less.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <memory>
#include <string>
#include <vector>

#include "labrpc/codec.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"

namespace {

struct Usage {
  double cpu_us = 0;
  double switches = 0;
};

Usage ProcessUsage() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto us = [](const timeval& tv) { return tv.tv_sec * 1e6 + tv.tv_usec; };
  return {us(ru.ru_utime) + us(ru.ru_stime),
          static_cast<double>(ru.ru_nvcsw + ru.ru_nivcsw)};
}

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
    const Usage before = ProcessUsage();
    for (auto _ : state) {
      int reply = 0;
      if (!end->Call("Bench.Echo", i, &reply) || reply != i) {
        state.SkipWithError("wrong reply");
        break;
      }
      i++;
    }
    const Usage after = ProcessUsage();
    const double n = static_cast<double>(state.iterations());
    state.counters["cpu_us"] = (after.cpu_us - before.cpu_us) / n;
    state.counters["csw"] = (after.switches - before.switches) / n;
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
