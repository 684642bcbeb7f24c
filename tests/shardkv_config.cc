// The shardkv test harness (Go's src/shardkv/config.go); see
// shardkv_config.h.
#include "tests/shardkv_config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <utility>

#include "labrpc/trace.h"
#include "linearizability/checker.h"
#include "linearizability/prefix.h"
#include "linearizability/visualization.h"
#include "tests/test_world.h"

namespace raftlab_test {

using namespace std::chrono_literals;
using linearizability::CheckResult;

namespace {

bool TestFailed() { return ::testing::Test::HasFailure(); }

std::string CtrlerName(int i) { return "ctrler" + std::to_string(i); }

}  // namespace

void SimThink() {
  if (labrpc::World::Current().backend() == labrpc::Backend::kSim) {
    labrpc::Sleep(
        std::chrono::milliseconds(1 + labrpc::RandInt(kShardKvSimThinkMs)));
  }
}

void Check(const ShardClerkPtr& ck, const std::string& key,
           const std::string& value, Location where) {
  const std::string v = ck->Get(key);
  if (v != value) {
    Fatal(labrpc::Sprintf("Get(%s): expected:\n%s\nreceived:\n%s", key.c_str(),
                          value.c_str(), v.c_str()),
          where);
  }
}

// ---------------------------------------------------------------------------
// Setup and teardown.

ShardKvConfig::ShardKvConfig(int n, int maxraftstate)
    : n_(n),
      maxraftstate_(maxraftstate),
      start_(labrpc::Now()),
      net_(std::make_shared<labrpc::Network>()) {
  // Never connected: calls through it fail (at once after Cleanup).
  dead_end_ = net_->MakeEnd("dead-end-" + RandString(20));
}

ShardKvConfig::~ShardKvConfig() = default;

std::string ShardKvConfig::ServerName(int gid, int i) {
  return "server-" + std::to_string(gid) + "-" + std::to_string(i);
}

ShardKvConfigPtr ShardKvConfig::Make(int n, bool unreliable, int maxraftstate) {
  LAB_TRACE("test", -1, "make_config n=%d unreliable=%d maxraftstate=%d", n,
            static_cast<int>(unreliable), maxraftstate);
  ShardKvConfigPtr cfg(new ShardKvConfig(n, maxraftstate));
  // Long delays stay off (the Go harness never turns them on).
  cfg->ctrlers_.resize(kNCtrlers);
  for (int i = 0; i < kNCtrlers; i++) cfg->StartCtrlerServer(i);
  cfg->mck_ = std::make_unique<shardctrler::Clerk>(cfg->CtrlerEnds(nullptr));

  cfg->groups_.resize(kNGroups);
  for (int gi = 0; gi < kNGroups; gi++) {
    Group& g = cfg->groups_[gi];
    g.gid = Gid(gi);
    g.servers.resize(n);
    g.saved.resize(n);
    g.endnames.resize(n);
    g.mendnames.resize(n);
    g.down_fault.assign(n, -1);
  }
  for (int gi = 0; gi < kNGroups; gi++) {
    for (int i = 0; i < n; i++) cfg->StartServer(gi, i);
  }
  cfg->SetUnreliable(unreliable);

  // The 120 s limit, enforced while the test runs (Go checks it only at the
  // end): a solution that hangs fails here instead of hanging the binary.
  std::weak_ptr<ShardKvConfig> weak = cfg;
  labrpc::Go("shardkv-test-watchdog", [weak] {
    labrpc::Sleep(kShardKvTestTimeLimit);
    if (weak.lock() != nullptr) Fatal("test took longer than 120 seconds");
  });
  return cfg;
}

void RunShardKvTest(int n, bool unreliable, int maxraftstate,
                    const std::function<void(const ShardKvConfigPtr&)>& body) {
  RunWithHarness(
      labrpc::WorldOptions::FromEnv(),
      [&] { return ShardKvConfig::Make(n, unreliable, maxraftstate); }, body);
}

void ShardKvConfig::Cleanup(bool quiet) {
  std::vector<std::shared_ptr<shardkv::ShardKV>> servers;
  std::vector<std::shared_ptr<shardctrler::ShardCtrler>> ctrlers;
  CleanupStep(quiet, [&] {
    labrpc::MutexLock l(mu_);
    for (Group& g : groups_) {
      for (auto& kv : g.servers) {
        if (kv != nullptr) servers.push_back(kv);
      }
    }
    ctrlers = ctrlers_;
  });
  for (auto& kv : servers) CleanupStep(quiet, [&] { kv->Kill(); });
  for (auto& sc : ctrlers) {
    if (sc != nullptr) CleanupStep(quiet, [&] { sc->Kill(); });
  }
  CleanupStep(quiet, [&] { net_->Cleanup(); });
  if (quiet) return;
  LAB_TRACE("test", -1, "cleanup");
  CheckTimeout();
}

void ShardKvConfig::CheckTimeout() {
  // Only the first failure matters: a test that already failed is not also
  // blamed for its length.
  if (!TestFailed() && labrpc::Now() - start_ > kShardKvTestTimeLimit) {
    Fatal("test took longer than 120 seconds");
  }
}

// ---------------------------------------------------------------------------
// Controllers.

std::vector<std::shared_ptr<labrpc::ClientEnd>> ShardKvConfig::CtrlerEnds(
    std::vector<std::string>* names) {
  std::vector<std::shared_ptr<labrpc::ClientEnd>> ends(kNCtrlers);
  if (names != nullptr) names->assign(kNCtrlers, "");
  for (int j = 0; j < kNCtrlers; j++) {
    const std::string name = RandString(20);
    ends[j] = net_->MakeEnd(name);
    net_->Connect(name, CtrlerName(j));
    net_->Enable(name, true);
    if (names != nullptr) (*names)[j] = name;
  }
  return ends;
}

void ShardKvConfig::StartCtrlerServer(int i) {
  std::vector<std::shared_ptr<labrpc::ClientEnd>> ends = CtrlerEnds(nullptr);
  auto sc =
      shardctrler::StartServer(ends, i, std::make_shared<raft::Persister>());
  auto srv = std::make_shared<labrpc::Server>();
  srv->AddService(sc->service());
  srv->AddService(sc->raft()->service());
  net_->AddServer(CtrlerName(i), srv);
  labrpc::MutexLock l(mu_);
  ctrlers_[i] = sc;
}

void ShardKvConfig::Join(int gi) { Joinm({gi}); }

void ShardKvConfig::Joinm(const std::vector<int>& gis) {
  std::map<int, std::vector<std::string>> m;
  std::string label = "join";
  for (int gi : gis) {
    const int gid = Gid(gi);
    std::vector<std::string> names(n_);
    for (int i = 0; i < n_; i++) names[i] = ServerName(gid, i);
    m[gid] = names;
    label += " " + std::to_string(gid);
  }
  LAB_TRACE("test", -1, "%s", label.c_str());
  {
    labrpc::MutexLock l(mu_);
    fault_log_.Event(label);
  }
  labrpc::MutexLock l(mck_mu_);
  mck_->Join(m);
}

void ShardKvConfig::Leave(int gi) { Leavem({gi}); }

void ShardKvConfig::Leavem(const std::vector<int>& gis) {
  std::vector<int> gids;
  std::string label = "leave";
  for (int gi : gis) {
    gids.push_back(Gid(gi));
    label += " " + std::to_string(Gid(gi));
  }
  LAB_TRACE("test", -1, "%s", label.c_str());
  {
    labrpc::MutexLock l(mu_);
    fault_log_.Event(label);
  }
  labrpc::MutexLock l(mck_mu_);
  mck_->Leave(gids);
}

shardctrler::Config ShardKvConfig::QueryLatest() {
  labrpc::MutexLock l(mck_mu_);
  return mck_->Query(-1);
}

// ---------------------------------------------------------------------------
// Servers and groups.

shardkv::MakeEndFn ShardKvConfig::MakeEndFunction() {
  std::weak_ptr<labrpc::Network> weak = net_;
  std::shared_ptr<labrpc::ClientEnd> dead = dead_end_;
  return [weak, dead](const std::string& server_name) {
    std::shared_ptr<labrpc::Network> net = weak.lock();
    if (net == nullptr) return dead;
    const std::string name = RandString(20);
    std::shared_ptr<labrpc::ClientEnd> end = net->MakeEnd(name);
    net->Connect(name, server_name);
    net->Enable(name, true);
    return end;
  };
}

std::shared_ptr<labrpc::ClientEnd> ShardKvConfig::MakeEnd(
    const std::string& server_name) {
  return MakeEndFunction()(server_name);
}

void ShardKvConfig::StartServer(int gi, int i) {
  std::vector<std::shared_ptr<labrpc::ClientEnd>> ends(n_);
  std::vector<std::shared_ptr<labrpc::ClientEnd>> mends;
  std::shared_ptr<raft::Persister> persister;
  int gid;
  {
    labrpc::MutexLock l(mu_);
    Group& g = groups_[gi];
    gid = g.gid;
    // Fresh outgoing end names, so the old crashed instance's ends can no
    // longer send.
    g.endnames[i].assign(n_, "");
    for (int j = 0; j < n_; j++) {
      g.endnames[i][j] = RandString(20);
      ends[j] = net_->MakeEnd(g.endnames[i][j]);
      net_->Connect(g.endnames[i][j], ServerName(gid, j));
      net_->Enable(g.endnames[i][j], true);
    }
    mends = CtrlerEnds(&g.mendnames[i]);
    // A fresh persister holding the last persisted state, so the old
    // instance cannot overwrite what the new one reads.
    if (g.saved[i] != nullptr) {
      g.saved[i] = g.saved[i]->Copy();
    } else {
      g.saved[i] = std::make_shared<raft::Persister>();
    }
    persister = g.saved[i];
    fault_log_.Close(&g.down_fault[i]);
  }
  LAB_TRACE("test", -1, "start %s (%zu state bytes, %zu snapshot bytes)",
            ServerName(gid, i).c_str(), persister->RaftStateSize(),
            persister->SnapshotSize());

  std::shared_ptr<shardkv::ShardKV> kv = shardkv::StartServer(
      ends, i, persister, maxraftstate_, gid, mends, MakeEndFunction());
  auto srv = std::make_shared<labrpc::Server>();
  srv->AddService(kv->service());
  srv->AddService(kv->raft()->service());
  {
    labrpc::MutexLock l(mu_);
    groups_[gi].servers[i] = kv;
  }
  net_->AddServer(ServerName(gid, i), srv);
}

void ShardKvConfig::ShutdownServer(int gi, int i) {
  std::shared_ptr<shardkv::ShardKV> kv;
  {
    labrpc::MutexLock l(mu_);
    Group& g = groups_[gi];
    LAB_TRACE("test", -1, "shutdown %s", ServerName(g.gid, i).c_str());
    // Prevent this server from sending.
    for (const std::string& name : g.endnames[i]) net_->Enable(name, false);
    for (const std::string& name : g.mendnames[i]) net_->Enable(name, false);
    // Disable client connections to the server. Before the persister is
    // copied, so that no RPC in flight to the old instance can change what
    // the next one reads.
    net_->DeleteServer(ServerName(g.gid, i));
    if (g.saved[i] != nullptr) g.saved[i] = g.saved[i]->Copy();
    kv = std::move(g.servers[i]);
    g.servers[i] = nullptr;
    if (g.down_fault[i] < 0) {
      g.down_fault[i] = fault_log_.Open(ServerName(g.gid, i) + " down");
    }
  }
  if (kv != nullptr) kv->Kill();
}

void ShardKvConfig::StartGroup(int gi) {
  for (int i = 0; i < n_; i++) StartServer(gi, i);
}

void ShardKvConfig::ShutdownGroup(int gi) {
  for (int i = 0; i < n_; i++) ShutdownServer(gi, i);
}

std::shared_ptr<shardkv::ShardKV> ShardKvConfig::Server(int gi, int i) {
  labrpc::MutexLock l(mu_);
  return groups_[gi].servers[i];
}

// ---------------------------------------------------------------------------
// Clerks.

ShardClerkPtr ShardKvConfig::MakeClient() {
  std::vector<std::shared_ptr<labrpc::ClientEnd>> ends = CtrlerEnds(nullptr);
  return std::make_shared<shardkv::Clerk>(RandomHandles(ends),
                                          MakeEndFunction());
}

// ---------------------------------------------------------------------------
// Measurements, faults, Begin / End.

void ShardKvConfig::CheckLogs() {
  std::vector<std::shared_ptr<raft::Persister>> all;
  {
    labrpc::MutexLock l(mu_);
    for (const Group& g : groups_) {
      for (const auto& p : g.saved) {
        if (p != nullptr) all.push_back(p);
      }
    }
  }
  for (const auto& p : all) {
    const size_t raft = p->RaftStateSize();
    const size_t snap = p->SnapshotSize();
    if (maxraftstate_ >= 0 && raft > 8 * static_cast<size_t>(maxraftstate_)) {
      Fatal(
          labrpc::Sprintf("persister.RaftStateSize() %zu, but maxraftstate %d",
                          raft, maxraftstate_));
    }
    if (maxraftstate_ < 0 && snap > 0) {
      Fatal("maxraftstate is -1, but snapshot is non-empty!");
    }
  }
}

size_t ShardKvConfig::TotalStorage() {
  labrpc::MutexLock l(mu_);
  size_t total = 0;
  for (const Group& g : groups_) {
    for (const auto& p : g.saved) {
      if (p != nullptr) total += p->RaftStateSize() + p->SnapshotSize();
    }
  }
  return total;
}

size_t ShardKvConfig::RaftStateSize(int gi, int i) {
  labrpc::MutexLock l(mu_);
  const auto& p = groups_[gi].saved[i];
  return p == nullptr ? 0 : p->RaftStateSize();
}

size_t ShardKvConfig::SnapshotSize(int gi, int i) {
  labrpc::MutexLock l(mu_);
  const auto& p = groups_[gi].saved[i];
  return p == nullptr ? 0 : p->SnapshotSize();
}

void ShardKvConfig::SetUnreliable(bool unreliable) {
  LAB_TRACE("test", -1, "unreliable %s", unreliable ? "on" : "off");
  net_->Reliable(!unreliable);
  labrpc::MutexLock l(mu_);
  if (unreliable && unreliable_fault_ < 0) {
    unreliable_fault_ = fault_log_.Open("unreliable network");
  } else if (!unreliable) {
    fault_log_.Close(&unreliable_fault_);
  }
}

std::vector<linearizability::Fault> ShardKvConfig::Faults() {
  labrpc::MutexLock l(mu_);
  return fault_log_.faults();
}

int64_t ShardKvConfig::Stamp() {
  const int64_t now = labrpc::Now().count();
  int64_t prev = last_stamp_.load();
  for (;;) {
    const int64_t t = prev < now ? now : prev + 1;
    if (last_stamp_.compare_exchange_weak(prev, t)) return t;
  }
}

void ShardKvConfig::Begin(const std::string& title) {
  std::printf("%s\n", title.c_str());
  std::fflush(stdout);
  LAB_TRACE("test", -1, "begin %s", title.c_str());
  labrpc::MutexLock l(mu_);
  title_ = title;
}

std::string ShardKvConfig::title() {
  labrpc::MutexLock l(mu_);
  return title_;
}

void ShardKvConfig::End() {
  CheckTimeout();
  if (TestFailed()) return;
  std::printf("  ... Passed\n");
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------
// The history and its check.

ShardOpLog::ShardOpLog() = default;

void ShardOpLog::Append(const ShardKvOperation& op) {
  TraceKvOperation(op);
  labrpc::MutexLock l(mu_);
  ops_.push_back(op);
}

std::vector<ShardKvOperation> ShardOpLog::Read() {
  labrpc::MutexLock l(mu_);
  return ops_;
}

void CheckShardKvLinearizable(const ShardKvConfigPtr& cfg,
                              const std::vector<ShardKvOperation>& history) {
  CheckKvHistory(history, cfg->title(), cfg->Faults(), "shardkv-history");
}

}  // namespace raftlab_test
