// The shard controller's test harness (Go's src/shardctrler/config.go and
// the checks of its test_test.go); see shardctrler_config.h.
#include "tests/shardctrler_config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "labrpc/trace.h"
#include "tests/test_world.h"

namespace raftlab_test {

namespace {

bool TestFailed() { return ::testing::Test::HasFailure(); }

}  // namespace

// ---------------------------------------------------------------------------
// Setup and teardown.

CtrlerConfig::CtrlerConfig(int n)
    : n_(n),
      start_(labrpc::Now()),
      net_(std::make_unique<labrpc::Network>()),
      servers_(n),
      saved_(n),
      endnames_(n) {}

CtrlerConfig::~CtrlerConfig() = default;

CtrlerConfigPtr CtrlerConfig::Make(int n, bool unreliable) {
  LAB_TRACE("test", -1, "ctrler make_config n=%d unreliable=%d", n,
            static_cast<int>(unreliable));
  CtrlerConfigPtr cfg(new CtrlerConfig(n));
  for (int i = 0; i < n; i++) cfg->StartServer(i);
  cfg->ConnectAll();
  cfg->net_->Reliable(!unreliable);
  return cfg;
}

void RunCtrlerTest(int n, bool unreliable,
                   const std::function<void(const CtrlerConfigPtr&)>& body) {
  RunWithHarness(
      labrpc::WorldOptions::FromEnv(),
      [&] { return CtrlerConfig::Make(n, unreliable); }, body);
}

void CtrlerConfig::Cleanup(bool quiet) {
  std::vector<std::shared_ptr<shardctrler::ShardCtrler>> servers;
  CleanupStep(quiet, [&] {
    labrpc::MutexLock l(mu_);
    servers = servers_;
  });
  for (auto& sc : servers) {
    if (sc != nullptr) CleanupStep(quiet, [&] { sc->Kill(); });
  }
  CleanupStep(quiet, [&] { net_->Cleanup(); });
  if (quiet) return;
  LAB_TRACE("test", -1, "cleanup");
  // Go's checkTimeout, at cleanup. Only the first failure matters: a test
  // that already failed is not also blamed for its length.
  if (!TestFailed() && labrpc::Now() - start_ > kCtrlerTestTimeLimit) {
    Fatal("test took longer than 120 seconds");
  }
}

std::vector<int> CtrlerConfig::All() const {
  std::vector<int> all(n_);
  for (int i = 0; i < n_; i++) all[i] = i;
  return all;
}

// ---------------------------------------------------------------------------
// Servers and connectivity.

void CtrlerConfig::ConnectLocked(int i, const std::vector<int>& to,
                                 bool enable) {
  if (!endnames_[i].empty()) {
    for (int j : to) net_->Enable(endnames_[i][j], enable);
  }
  for (int j : to) {
    if (!endnames_[j].empty()) net_->Enable(endnames_[j][i], enable);
  }
}

void CtrlerConfig::ConnectAll() {
  labrpc::MutexLock l(mu_);
  for (int i = 0; i < n_; i++) ConnectLocked(i, All(), true);
}

void CtrlerConfig::Partition(const std::vector<int>& p1,
                             const std::vector<int>& p2) {
  labrpc::MutexLock l(mu_);
  for (int i : p1) {
    ConnectLocked(i, p2, false);
    ConnectLocked(i, p1, true);
  }
  for (int i : p2) {
    ConnectLocked(i, p1, false);
    ConnectLocked(i, p2, true);
  }
}

void CtrlerConfig::StartServer(int i) {
  std::vector<std::shared_ptr<labrpc::ClientEnd>> ends(n_);
  std::shared_ptr<raft::Persister> persister;
  {
    labrpc::MutexLock l(mu_);
    // A fresh set of outgoing end names, so the old crashed instance's
    // ends can no longer send.
    endnames_[i].assign(n_, "");
    for (int j = 0; j < n_; j++) {
      endnames_[i][j] = RandString(20);
      ends[j] = net_->MakeEnd(endnames_[i][j]);
      net_->Connect(endnames_[i][j], j);
    }
    // A fresh persister holding the last persisted state, so the old
    // instance cannot overwrite what the new one reads.
    if (saved_[i] != nullptr) {
      saved_[i] = saved_[i]->Copy();
    } else {
      saved_[i] = std::make_shared<raft::Persister>();
    }
    persister = saved_[i];
  }
  LAB_TRACE("test", i, "start ctrler (%zu state bytes)",
            persister->RaftStateSize());
  std::shared_ptr<shardctrler::ShardCtrler> sc =
      shardctrler::StartServer(ends, i, persister);
  auto srv = std::make_shared<labrpc::Server>();
  srv->AddService(sc->service());
  srv->AddService(sc->raft()->service());
  {
    labrpc::MutexLock l(mu_);
    servers_[i] = sc;
  }
  net_->AddServer(i, srv);
}

void CtrlerConfig::ShutdownServer(int i) {
  std::shared_ptr<shardctrler::ShardCtrler> sc;
  {
    labrpc::MutexLock l(mu_);
    LAB_TRACE("test", i, "shutdown ctrler");
    ConnectLocked(i, All(), false);
    // Before the persister is copied, so that no RPC in flight to the old
    // instance can change what the next one reads.
    net_->DeleteServer(i);
    if (saved_[i] != nullptr) saved_[i] = saved_[i]->Copy();
    sc = std::move(servers_[i]);
    servers_[i] = nullptr;
  }
  if (sc != nullptr) sc->Kill();
}

std::optional<int> CtrlerConfig::Leader() {
  std::vector<std::shared_ptr<shardctrler::ShardCtrler>> servers;
  {
    labrpc::MutexLock l(mu_);
    servers = servers_;
  }
  for (int i = 0; i < n_; i++) {
    if (servers[i] != nullptr && servers[i]->raft()->GetState().second) {
      return i;
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Clerks.

CtrlerClerkPtr CtrlerConfig::MakeClient(const std::vector<int>& to) {
  std::vector<std::shared_ptr<labrpc::ClientEnd>> ends(n_);
  std::vector<std::string> names(n_);
  {
    labrpc::MutexLock l(mu_);
    for (int j = 0; j < n_; j++) {
      names[j] = RandString(20);
      ends[j] = net_->MakeEnd(names[j]);
      net_->Connect(names[j], j);
    }
  }
  auto ck = std::make_shared<shardctrler::Clerk>(RandomHandles(ends));
  labrpc::MutexLock l(mu_);
  clerks_[ck.get()] = names;
  for (int j : to) net_->Enable(names[j], true);
  return ck;
}

void CtrlerConfig::DeleteClient(const CtrlerClerkPtr& ck) {
  labrpc::MutexLock l(mu_);
  clerks_.erase(ck.get());
}

void CtrlerConfig::ConnectClient(const CtrlerClerkPtr& ck,
                                 const std::vector<int>& to) {
  labrpc::MutexLock l(mu_);
  const std::vector<std::string>& names = clerks_.at(ck.get());
  for (int j : to) net_->Enable(names[j], true);
}

void CtrlerConfig::DisconnectClient(const CtrlerClerkPtr& ck,
                                    const std::vector<int>& from) {
  labrpc::MutexLock l(mu_);
  const std::vector<std::string>& names = clerks_.at(ck.get());
  for (int j : from) net_->Enable(names[j], false);
}

std::vector<std::shared_ptr<labrpc::ClientEnd>> CtrlerConfig::MakeEnds() {
  std::vector<std::shared_ptr<labrpc::ClientEnd>> ends(n_);
  labrpc::MutexLock l(mu_);
  for (int j = 0; j < n_; j++) {
    const std::string name = RandString(20);
    ends[j] = net_->MakeEnd(name);
    net_->Connect(name, j);
    net_->Enable(name, true);
  }
  return ends;
}

size_t CtrlerConfig::LogSize() {
  labrpc::MutexLock l(mu_);
  size_t logsize = 0;
  for (auto& p : saved_) {
    if (p != nullptr) logsize = std::max(logsize, p->RaftStateSize());
  }
  return logsize;
}

// ---------------------------------------------------------------------------
// Progress lines and checks.

void CtrlerBegin(const std::string& title) {
  std::printf("%s ...\n", title.c_str());
  std::fflush(stdout);
  LAB_TRACE("test", -1, "begin %s", title.c_str());
}

void CtrlerPassed() {
  if (TestFailed()) return;
  std::printf("  ... Passed\n");
  std::fflush(stdout);
}

std::string FormatNames(const std::vector<std::string>& names) {
  std::string s = "[";
  for (size_t i = 0; i < names.size(); i++) {
    if (i > 0) s += " ";
    s += names[i];
  }
  return s + "]";
}

std::string FormatGroups(const std::map<int, std::vector<std::string>>& g) {
  std::string s = "map[";
  bool first = true;
  for (const auto& [gid, names] : g) {
    if (!first) s += " ";
    first = false;
    s += std::to_string(gid) + ":" + FormatNames(names);
  }
  return s + "]";
}

std::string FormatShards(const std::array<int, shardctrler::kNShards>& s) {
  std::string out = "[";
  for (int i = 0; i < shardctrler::kNShards; i++) {
    if (i > 0) out += " ";
    out += std::to_string(s[i]);
  }
  return out + "]";
}

void CheckGroups(const std::vector<int>& groups, const CtrlerClerkPtr& ck,
                 Location where) {
  const shardctrler::Config c = ck->Query(-1);
  if (c.groups.size() != groups.size()) {
    Fatal(labrpc::Sprintf("wanted %zu groups, got %zu", groups.size(),
                          c.groups.size()),
          where);
  }
  // Are the groups as expected?
  for (int g : groups) {
    if (c.groups.count(g) == 0) {
      Fatal(labrpc::Sprintf("missing group %d", g), where);
    }
  }
  // Any un-allocated shards?
  if (!groups.empty()) {
    for (int s = 0; s < shardctrler::kNShards; s++) {
      if (c.groups.count(c.shards[s]) == 0) {
        Fatal(labrpc::Sprintf("shard %d -> invalid group %d", s, c.shards[s]),
              where);
      }
    }
  }
  // More or less balanced sharding?
  std::map<int, int> counts;
  for (int g : c.shards) counts[g]++;
  int min = 257;
  int max = 0;
  for (const auto& [g, names] : c.groups) {
    max = std::max(max, counts[g]);
    min = std::min(min, counts[g]);
  }
  if (max > min + 1) {
    Fatal(labrpc::Sprintf("max %d too much larger than min %d", max, min),
          where);
  }
}

void CheckSameConfig(const shardctrler::Config& c1,
                     const shardctrler::Config& c2, Location where) {
  if (c1.num != c2.num) Fatal("Num wrong", where);
  if (c1.shards != c2.shards) Fatal("Shards wrong", where);
  if (c1.groups.size() != c2.groups.size()) {
    Fatal("number of Groups is wrong", where);
  }
  for (const auto& [gid, sa] : c1.groups) {
    auto it = c2.groups.find(gid);
    if (it == c2.groups.end() || it->second.size() != sa.size()) {
      Fatal("len(Groups) wrong", where);
    }
    for (size_t j = 0; j < sa.size(); j++) {
      if (sa[j] != it->second[j]) Fatal("Groups wrong", where);
    }
  }
}

}  // namespace raftlab_test
