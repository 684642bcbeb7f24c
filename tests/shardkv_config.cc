// The shardkv test harness (Go's src/shardkv/config.go); see
// shardkv_config.h.
#include "tests/shardkv_config.h"

#include <cstdio>
#include <map>
#include <utility>

#include "labrpc/trace.h"
#include "tests/test_world.h"

namespace raftlab_test {

namespace {

std::string CtrlerName(int i) { return "ctrler" + std::to_string(i); }

StartedReplica StartCtrler(const std::vector<EndPtr>& ends, int i,
                           const PersisterPtr& persister) {
  return Replicate(shardctrler::StartServer(ends, i, persister));
}

}  // namespace

void Check(const ShardKvClerkPtr& ck, const std::string& key,
           const std::string& value, Location where) {
  const std::string v = ck->Get(key);
  if (v != value) {
    Fatal(labrpc::Sprintf("Get(%s): expected:\n%s\nreceived:\n%s", key.c_str(),
                          value.c_str(), v.c_str()),
          where);
  }
}

// ---------------------------------------------------------------------------
// Setup.

ShardKvConfig::ShardKvConfig(const ShardKvTestOptions& options)
    : Cluster("shardkv_config"),
      n_(options.servers_per_group),
      maxraftstate_(options.maxraftstate),
      ctrlers_(*net_, mu_, kNCtrlers, CtrlerName, /*enable_new_ends=*/true),
      groups_(kNGroups) {
  for (int gi = 0; gi < kNGroups; gi++) {
    Group& g = groups_[gi];
    const int gid = Gid(gi);
    g.gid = gid;
    g.servers = std::make_unique<ReplicaGroup>(
        *net_, mu_, n_, [gid](int i) { return ServerName(gid, i); },
        /*enable_new_ends=*/true);
    g.mendnames.resize(n_);
    g.down_fault.assign(n_, -1);
    AddGroup(g.servers.get());
  }
  // Killed after the groups' servers.
  AddGroup(&ctrlers_);
  // Never connected: calls through it fail (at once after Cleanup).
  dead_end_ = net_->MakeEnd("dead-end-" + RandString(20));
}

std::string ShardKvConfig::ServerName(int gid, int i) {
  return "server-" + std::to_string(gid) + "-" + std::to_string(i);
}

ShardKvConfigPtr ShardKvConfig::Make(const ShardKvTestOptions& options) {
  LAB_TRACE("test", -1, "make_config n=%d unreliable=%d maxraftstate=%d",
            options.servers_per_group, static_cast<int>(options.unreliable),
            options.maxraftstate);
  ShardKvConfigPtr cfg(new ShardKvConfig(options));
  // Long delays stay off (the Go harness never turns them on).
  for (int i = 0; i < kNCtrlers; i++) cfg->StartCtrlerServer(i);
  cfg->mck_ = std::make_unique<shardctrler::Clerk>(
      cfg->ctrlers_.EndsToAll(/*enable=*/true));
  for (int gi = 0; gi < kNGroups; gi++) {
    for (int i = 0; i < cfg->n_; i++) cfg->StartServer(gi, i);
  }
  cfg->SetUnreliable(options.unreliable);
  cfg->StartTimeLimitWatchdog("shardkv-test-watchdog");
  return cfg;
}

void RunShardKvTest(const ShardKvTestOptions& options,
                    const std::function<void(const ShardKvConfigPtr&)>& body) {
  RunWithHarness(
      labrpc::WorldOptions::FromEnv(),
      [&] { return ShardKvConfig::Make(options); }, body);
}

// ---------------------------------------------------------------------------
// Controllers.

void ShardKvConfig::StartCtrlerServer(int i) {
  ctrlers_.Start(i, /*locked=*/{}, StartCtrler);
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
  Group& g = groups_[gi];
  std::vector<EndPtr> mends;
  g.servers->Start(
      i,
      [&] {
        mends = ctrlers_.EndsToAll(/*enable=*/true, &g.mendnames[i]);
        fault_log_.Close(&g.down_fault[i]);
      },
      [&](const std::vector<EndPtr>& ends, int /*i*/,
          const PersisterPtr& persister) {
        LAB_TRACE("test", -1, "start %s (%zu state bytes, %zu snapshot bytes)",
                  ServerName(g.gid, i).c_str(), persister->RaftStateSize(),
                  persister->SnapshotSize());
        return Replicate(shardkv::StartServer(ends, i, persister, maxraftstate_,
                                              g.gid, mends, MakeEndFunction()));
      });
}

void ShardKvConfig::ShutdownServer(int gi, int i) {
  Group& g = groups_[gi];
  g.servers->Shutdown(i, [&] {
    LAB_TRACE("test", -1, "shutdown %s", ServerName(g.gid, i).c_str());
    // Prevent this server from sending.
    g.servers->DisableEndsOfLocked(i);
    for (const std::string& name : g.mendnames[i]) net_->Enable(name, false);
    if (g.down_fault[i] < 0) {
      g.down_fault[i] = fault_log_.Open(ServerName(g.gid, i) + " down");
    }
  });
}

void ShardKvConfig::StartGroup(int gi) {
  for (int i = 0; i < n_; i++) StartServer(gi, i);
}

void ShardKvConfig::ShutdownGroup(int gi) {
  for (int i = 0; i < n_; i++) ShutdownServer(gi, i);
}

std::shared_ptr<shardkv::ShardKV> ShardKvConfig::Server(int gi, int i) {
  return groups_[gi].servers->Get<shardkv::ShardKV>(i);
}

// ---------------------------------------------------------------------------
// Clerks.

ShardKvClerkPtr ShardKvConfig::MakeClient() {
  std::vector<EndPtr> ends = ctrlers_.EndsToAll(/*enable=*/true);
  return std::make_shared<shardkv::Clerk>(RandomHandles(ends),
                                          MakeEndFunction());
}

// ---------------------------------------------------------------------------
// Measurements, Begin / End.

void ShardKvConfig::CheckLogs() {
  std::vector<PersisterPtr> all;
  for (const Group& g : groups_) {
    for (const PersisterPtr& p : g.servers->Persisters()) all.push_back(p);
  }
  for (const PersisterPtr& p : all) {
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
  size_t total = 0;
  for (const Group& g : groups_) total += g.servers->TotalStorage();
  return total;
}

size_t ShardKvConfig::RaftStateSize(int gi, int i) {
  labrpc::MutexLock l(mu_);
  const PersisterPtr& p = groups_[gi].servers->PersisterLocked(i);
  return p == nullptr ? 0 : p->RaftStateSize();
}

size_t ShardKvConfig::SnapshotSize(int gi, int i) {
  labrpc::MutexLock l(mu_);
  const PersisterPtr& p = groups_[gi].servers->PersisterLocked(i);
  return p == nullptr ? 0 : p->SnapshotSize();
}

void ShardKvConfig::Begin(const std::string& title) {
  BeginWithLine(title, title);
}

void ShardKvConfig::End() {
  CheckTimeout();
  if (TestFailed()) return;
  std::printf("  ... Passed\n");
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------
// The history's check.

void CheckShardKvLinearizable(const ShardKvConfigPtr& cfg,
                              const std::vector<KvOperation>& history) {
  CheckKvHistory(history, cfg->title(), cfg->Faults(), "shardkv-history");
}

}  // namespace raftlab_test
