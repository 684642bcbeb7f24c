// The kvraft test harness (Go's src/kvraft/config.go); see kv_config.h.
#include "tests/kv_config.h"

#include <cstdio>

#include "labrpc/trace.h"
#include "tests/test_world.h"

namespace raftlab_test {

// ---------------------------------------------------------------------------
// Setup.

KvConfig::KvConfig(const KvTestOptions& options)
    : ServiceCluster(options.servers, "kv_config"),
      maxraftstate_(options.maxraftstate) {}

KvConfigPtr KvConfig::Make(const KvTestOptions& options) {
  LAB_TRACE("test", -1, "make_config n=%d unreliable=%d maxraftstate=%d",
            options.servers, static_cast<int>(options.unreliable),
            options.maxraftstate);
  KvConfigPtr cfg(new KvConfig(options));
  // Long delays stay off: a call to an unreachable server fails within
  // 100 ms, so clerks move on quickly.
  for (int i = 0; i < cfg->n(); i++) cfg->StartServer(i);
  cfg->ConnectAll();
  cfg->SetUnreliable(options.unreliable);
  return cfg;
}

void RunKvTest(const KvTestOptions& options,
               const std::function<void(const KvConfigPtr&)>& body) {
  RunKvTest(labrpc::WorldOptions::FromEnv(), options, body);
}

void RunKvTest(const labrpc::WorldOptions& world, const KvTestOptions& options,
               const std::function<void(const KvConfigPtr&)>& body) {
  RunWithHarness(
      world, [&] { return KvConfig::Make(options); }, body);
}

StartedReplica KvConfig::StartReplica(const std::vector<EndPtr>& ends, int i,
                                      const PersisterPtr& persister) {
  std::shared_ptr<kvraft::KVServer> kv =
      kvraft::StartKVServer(ends, i, persister, maxraftstate_);
  if (stale_reads_) kv->SetStaleReadsForTesting(true);
  return Replicate(kv);
}

// ---------------------------------------------------------------------------
// Connectivity and ends.

std::pair<std::vector<int>, std::vector<int>> KvConfig::MakePartition() {
  const int l = Leader().value_or(0);
  std::vector<int> p1(n() / 2 + 1);
  std::vector<int> p2(n() / 2);
  size_t j = 0;
  for (int i = 0; i < n(); i++) {
    if (i == l) continue;
    if (j < p1.size()) {
      p1[j] = i;
    } else {
      p2[j - p1.size()] = i;
    }
    j++;
  }
  p2.back() = l;
  return {p1, p2};
}

void KvConfig::EnableLink(int from, int to, bool enable) {
  labrpc::MutexLock l(mu_);
  LAB_TRACE("test", -1, "%s link %d -> %d", enable ? "enable" : "disable", from,
            to);
  const std::vector<std::string>& names = servers_.EndNamesLocked(from);
  if (!names.empty()) net_->Enable(names[to], enable);
}

std::shared_ptr<labrpc::ClientEnd> KvConfig::MakeEnd(int i) {
  labrpc::MutexLock l(mu_);
  return servers_.EndTo(i, /*enable=*/true);
}

// ---------------------------------------------------------------------------
// Measurements and the negative control's switch.

void KvConfig::CheckSnapshotted(Location where) {
  if (maxraftstate_ <= 0) return;
  for (int attempt = 0;; attempt++) {
    std::string problem;
    {
      labrpc::MutexLock l(mu_);
      for (int i = 0; i < n() && problem.empty(); i++) {
        const PersisterPtr& saved = servers_.PersisterLocked(i);
        if (saved == nullptr) continue;
        const size_t state = saved->RaftStateSize();
        if (state > static_cast<size_t>(maxraftstate_) &&
            saved->SnapshotSize() == 0) {
          problem = labrpc::Sprintf(
              "server %d's Raft state is %zu bytes, over maxraftstate %d, "
              "and it has never saved a snapshot: the server must call "
              "Snapshot() when the Raft state nears maxraftstate",
              i, state, maxraftstate_);
        }
      }
    }
    if (problem.empty()) return;
    if (attempt == 20) Fatal(problem, where);
    labrpc::Sleep(std::chrono::milliseconds(100));
  }
}

void KvConfig::SetStaleReadsForTesting(bool on) {
  std::vector<std::shared_ptr<kvraft::KVServer>> servers(n());
  {
    labrpc::MutexLock l(mu_);
    stale_reads_ = on;
    for (int i = 0; i < n(); i++) {
      servers[i] = servers_.GetLocked<kvraft::KVServer>(i);
    }
  }
  for (auto& kv : servers) {
    if (kv != nullptr) kv->SetStaleReadsForTesting(on);
  }
}

// ---------------------------------------------------------------------------
// Begin / End.

void KvConfig::Begin(const std::string& description) {
  ServiceCluster::Begin(description);
  ops_ = 0;
}

void KvConfig::End(Location where) {
  CheckTimeout(where);
  if (TestFailed()) return;
  const double t = SecondsSinceBegin();
  const int nrpc = RpcsSinceBegin();
  std::printf("  ... Passed --");
  std::printf("  %4.1f  %d %5d %4d\n", t, n(), nrpc, ops_.load());
  std::fflush(stdout);
}

}  // namespace raftlab_test
