// The `raftkv bench` load generator; see kv_bench.h.
#include "deploy/kv_bench.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <exception>

#include "deploy/cli_flags.h"

namespace deploy {

namespace {

// How often the caller looks for a stuck operation.
constexpr labrpc::Duration kWatchEvery = std::chrono::milliseconds(50);

struct Client {
  std::vector<int64_t> latencies_ns;
  // labrpc::Now() in ns when the current timed op began; -1 between ops.
  std::atomic<int64_t> op_started{-1};
};

struct Run {
  explicit Run(int clients) : per_client(clients) {}
  labrpc::Mutex mu{"bench"};
  labrpc::CondVar changed{"bench.changed"};
  int ready = 0;             // clients set up (and, for Get, preloaded)
  int finished = 0;          // clients done or failed
  bool go = false;           // every client is ready: start timing
  std::exception_ptr error;  // the first client failure
  std::vector<Client> per_client;
};

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(labrpc::Now())
      .count();
}

void RunClient(const KvTargetFactory& make_target, const BenchOptions& o,
               Run& run, int c) {
  Client& me = run.per_client[c];
  try {
    std::unique_ptr<KvTarget> target = make_target(c);
    const std::string key = "bench-" + std::to_string(c);
    std::string value(o.value_bytes, static_cast<char>('a' + c % 26));
    if (o.kind == BenchKind::kGet) target->Put(key, value);
    {
      labrpc::MutexLock l(run.mu);
      run.ready++;
      run.changed.NotifyAll();
      while (!run.go && !run.error) run.changed.Wait(run.mu);
      if (run.error) return;
    }
    const int64_t ops = o.ops / o.clients + (c < o.ops % o.clients ? 1 : 0);
    me.latencies_ns.reserve(ops);
    for (int64_t i = 0; i < ops; i++) {
      const int64_t start = NowNs();
      me.op_started.store(start);
      if (o.kind == BenchKind::kPut) {
        target->Put(key, value);
      } else {
        std::string got = target->Get(key);
        if (got != value) {
          throw CliError("bench: Get(" + key + ") returned " +
                         std::to_string(got.size()) +
                         " bytes that are not the value written");
        }
      }
      me.op_started.store(-1);
      me.latencies_ns.push_back(NowNs() - start);
    }
  } catch (const labrpc::Cancelled&) {
    throw;
  } catch (...) {
    labrpc::MutexLock l(run.mu);
    if (!run.error) run.error = std::current_exception();
  }
  labrpc::MutexLock l(run.mu);
  run.finished++;
  run.changed.NotifyAll();
}

}  // namespace

BenchResult RunBench(const KvTargetFactory& make_target,
                     const BenchOptions& o) {
  // Shared with the client tasks, which may outlive this call when it gives
  // up on a stuck one.
  auto run = std::make_shared<Run>(o.clients);
  for (int c = 0; c < o.clients; c++) {
    labrpc::Go("bench-client-" + std::to_string(c), [make_target, o, run, c] {
      RunClient(make_target, o, *run, c);
    });
  }
  const int64_t timeout_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(o.op_timeout)
          .count();
  int64_t start = 0;
  labrpc::MutexLock l(run->mu);
  const labrpc::Duration setup_deadline = labrpc::Now() + o.op_timeout * 2;
  while (run->ready + run->finished < o.clients && !run->error) {
    if (labrpc::Now() > setup_deadline) {
      throw CliError("bench: the clients could not set up (connect" +
                     std::string(o.kind == BenchKind::kGet ? ", preload" : "") +
                     ") within " + FormatSeconds(o.op_timeout * 2));
    }
    run->changed.WaitFor(run->mu, kWatchEvery);
  }
  run->go = true;
  run->changed.NotifyAll();
  start = NowNs();
  while (run->finished < o.clients && !run->error) {
    run->changed.WaitFor(run->mu, kWatchEvery);
    const int64_t now = NowNs();
    for (const Client& client : run->per_client) {
      const int64_t began = client.op_started.load();
      if (began >= 0 && now - began > timeout_ns) {
        throw CliError("bench: an operation took over " +
                       FormatSeconds(o.op_timeout) +
                       " (--op-timeout); is the store down?");
      }
    }
  }
  if (run->error) std::rethrow_exception(run->error);
  BenchResult r;
  r.seconds = static_cast<double>(NowNs() - start) / 1e9;
  std::vector<int64_t> all;
  for (const Client& client : run->per_client) {
    all.insert(all.end(), client.latencies_ns.begin(),
               client.latencies_ns.end());
  }
  std::sort(all.begin(), all.end());
  r.ops = static_cast<int64_t>(all.size());
  r.p50_ms = QuantileMs(all, 0.50);
  r.p99_ms = QuantileMs(all, 0.99);
  r.max_ms = QuantileMs(all, 1.0);
  return r;
}

double QuantileMs(const std::vector<int64_t>& sorted_ns, double q) {
  if (sorted_ns.empty()) return 0;
  // Nearest rank: the smallest value with at least q of the values at or
  // below it.
  size_t rank =
      static_cast<size_t>(std::ceil(q * static_cast<double>(sorted_ns.size())));
  rank = std::clamp<size_t>(rank, 1, sorted_ns.size());
  return static_cast<double>(sorted_ns[rank - 1]) / 1e6;
}

std::string BenchHeader() {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-8s %7s %-4s %6s %8s %10s %9s %9s %9s\n",
                "system", "clients", "kind", "bytes", "ops", "ops/s", "p50_ms",
                "p99_ms", "max_ms");
  return buf;
}

std::string BenchRow(const std::string& system, const BenchOptions& o,
                     const BenchResult& r) {
  char buf[256];
  std::snprintf(
      buf, sizeof buf, "%-8s %7d %-4s %6d %8lld %10.1f %9.3f %9.3f %9.3f\n",
      system.c_str(), o.clients, o.kind == BenchKind::kPut ? "put" : "get",
      o.value_bytes, static_cast<long long>(r.ops),
      r.seconds > 0 ? static_cast<double>(r.ops) / r.seconds : 0.0, r.p50_ms,
      r.p99_ms, r.max_ms);
  return buf;
}

}  // namespace deploy
