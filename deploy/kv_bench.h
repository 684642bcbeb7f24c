// The `raftkv bench` load generator: C clients, each in its own task, doing
// N operations in all (Put or Get of one key per client) as fast as they
// can, one at a time each; the result is the throughput and the latency
// distribution. The store behind it is a KvTarget, so that the same load
// drives raftkv (a kvraft::Clerk) and etcd (deploy/etcd_client.h).
//
//   deploy::BenchOptions o;
//   o.clients = 16; o.ops = 2000; o.kind = deploy::BenchKind::kPut;
//   deploy::BenchResult r = deploy::RunBench(
//       [&](int client) { return std::make_unique<MyTarget>(...); }, o);
//   std::cout << deploy::BenchHeader() << deploy::BenchRow("raftkv", o, r);
//
// A Get bench first writes each client's key once (untimed), so that every
// timed Get reads a value of value_bytes. An operation still running after
// op_timeout ends the bench with a CliError: a latency figure that leaves
// out a stuck call would be a lie.
#ifndef RAFTLAB_DEPLOY_KV_BENCH_H_
#define RAFTLAB_DEPLOY_KV_BENCH_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "labrpc/runtime.h"

namespace deploy {

// One client's connection to a store. Each method blocks until the
// operation is done and throws CliError if it failed for good.
class KvTarget {
 public:
  virtual ~KvTarget() = default;
  virtual void Put(const std::string& key, const std::string& value) = 0;
  virtual std::string Get(const std::string& key) = 0;
};

// Makes client number `client`'s target, in that client's task.
using KvTargetFactory = std::function<std::unique_ptr<KvTarget>(int client)>;

enum class BenchKind { kPut, kGet };

struct BenchOptions {
  int clients = 1;
  int64_t ops = 1000;  // in all, split evenly over the clients
  BenchKind kind = BenchKind::kPut;
  int value_bytes = 64;
  labrpc::Duration op_timeout = std::chrono::seconds(5);
};

struct BenchResult {
  int64_t ops = 0;
  double seconds = 0;  // from the first timed op to the last
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

BenchResult RunBench(const KvTargetFactory& make_target,
                     const BenchOptions& options);

// The latency at quantile q (0..1) of `sorted_ns` (ascending), by nearest
// rank, in milliseconds; 0 for an empty list.
double QuantileMs(const std::vector<int64_t>& sorted_ns, double q);

// The table the bench prints: a header line, then one row per run.
std::string BenchHeader();
std::string BenchRow(const std::string& system, const BenchOptions& options,
                     const BenchResult& result);

}  // namespace deploy

#endif  // RAFTLAB_DEPLOY_KV_BENCH_H_
