// The `raftkv workload` load; see kv_workload.h.
#include "deploy/kv_workload.h"

#include <cstdio>
#include <utility>

#include "deploy/bounded_task.h"
#include "deploy/history_log.h"
#include "kvraft/client.h"

namespace deploy {

namespace lin = linearizability;

namespace {

// The shares of the three operations, in percent. Appends dominate because
// they are what the durability check can see (each one's value must still
// be in the final value); Puts reset a key now and then so that values, and
// the checker's states, stay short; Gets are what can observe a stale or
// lost write.
constexpr int kGetPercent = 35;
constexpr int kPutPercent = 3;

// What one operation saw; filled by its task, read by the slot after.
struct OpResult {
  std::string output;
  int64_t ret = 0;
};

struct Shared {
  Shared(std::vector<std::shared_ptr<labrpc::ClientEnd>> e,
         const WorkloadOptions& o)
      : ends(std::move(e)), options(o), log(o.record) {}
  const std::vector<std::shared_ptr<labrpc::ClientEnd>> ends;
  const WorkloadOptions options;
  HistoryLog log;
  labrpc::Mutex mu{"workload"};
  WorkloadStats stats;  // guarded by mu
  int next_client = 0;  // guarded by mu: the next replacement's number
};

// One slot of the load: a clerk doing one operation after another until
// the deadline, replaced by a fresh one after an operation that timed out.
void RunSlot(const std::shared_ptr<Shared>& shared, int client,
             labrpc::Duration deadline) {
  const WorkloadOptions& o = shared->options;
  auto clerk = std::make_shared<kvraft::Clerk>(shared->ends);
  int64_t n = 0;
  while (labrpc::Now() < deadline && !(o.stop && o.stop->load())) {
    const int pick = static_cast<int>(labrpc::RandInt(100));
    const lin::KvOp op = pick < kGetPercent ? lin::KvOp::kGet
                         : pick < kGetPercent + kPutPercent
                             ? lin::KvOp::kPut
                             : lin::KvOp::kAppend;
    const std::string key = "k" + std::to_string(labrpc::RandInt(o.keys));
    const std::string value = op == lin::KvOp::kGet
                                  ? ""
                                  : o.tag + "." + std::to_string(client) + "." +
                                        std::to_string(++n) + ";";
    auto result = std::make_shared<OpResult>();
    const int64_t call = HistoryLog::Clock();
    const bool done = RunWithTimeout("workload-op", o.op_timeout,
                                     [clerk, result, op, key, value] {
                                       if (op == lin::KvOp::kGet) {
                                         result->output = clerk->Get(key);
                                       } else if (op == lin::KvOp::kPut) {
                                         clerk->Put(key, value);
                                       } else {
                                         clerk->Append(key, value);
                                       }
                                       result->ret = HistoryLog::Clock();
                                     });
    if (done) {
      shared->log.Completed(client, call, result->ret, op, key, value,
                            result->output);
    } else {
      shared->log.Unknown(client, call, op, key, value);
    }
    labrpc::MutexLock l(shared->mu);
    if (!done) {
      shared->stats.unknown++;
      client = shared->next_client++;
      clerk = std::make_shared<kvraft::Clerk>(shared->ends);
      n = 0;
    } else if (op == lin::KvOp::kGet) {
      shared->stats.gets++;
    } else if (op == lin::KvOp::kPut) {
      shared->stats.puts++;
    } else {
      shared->stats.appends++;
    }
  }
}

}  // namespace

WorkloadStats RunWorkload(
    const std::vector<std::shared_ptr<labrpc::ClientEnd>>& ends,
    const WorkloadOptions& options) {
  auto shared = std::make_shared<Shared>(ends, options);
  shared->next_client = options.clients;
  const int64_t start = HistoryLog::Clock();
  const labrpc::Duration deadline = labrpc::Now() + options.duration;
  labrpc::WaitGroup wg;
  for (int c = 0; c < options.clients; c++) {
    wg.Add(1);
    labrpc::Go("workload-client-" + std::to_string(c),
               [shared, c, deadline, &wg] {
                 RunSlot(shared, c, deadline);
                 wg.Done();
               });
  }
  // Every slot ends within op_timeout of the deadline: its last operation
  // either returns or is given up on.
  wg.Wait();
  labrpc::MutexLock l(shared->mu);
  WorkloadStats stats = shared->stats;
  stats.seconds = static_cast<double>(HistoryLog::Clock() - start) / 1e9;
  return stats;
}

std::string FormatWorkloadStats(const WorkloadOptions& options,
                                const WorkloadStats& s) {
  const int64_t ops = s.gets + s.puts + s.appends;
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "workload: %d clients, %d keys, %.1f s: %lld ops (get %lld, put %lld, "
      "append %lld), %lld unknown, %.1f ops/s; history %s\n",
      options.clients, options.keys, s.seconds, static_cast<long long>(ops),
      static_cast<long long>(s.gets), static_cast<long long>(s.puts),
      static_cast<long long>(s.appends), static_cast<long long>(s.unknown),
      s.seconds > 0 ? static_cast<double>(ops) / s.seconds : 0.0,
      options.record.c_str());
  return buf;
}

}  // namespace deploy
