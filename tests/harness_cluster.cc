// The plumbing every test harness shares; see harness_cluster.h.
#include "tests/harness_cluster.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "labrpc/trace.h"

namespace raftlab_test {

// ---------------------------------------------------------------------------
// Helpers.

void SimThink() {
  if (labrpc::World::Current().backend() == labrpc::Backend::kSim) {
    labrpc::Sleep(
        std::chrono::milliseconds(1 + labrpc::RandInt(kSimThinkMaxMs)));
  }
}

std::string RandString(int n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string s;
  s.reserve(n);
  for (int i = 0; i < n; i++) s.push_back(kAlphabet[labrpc::RandInt(64)]);
  return s;
}

std::vector<std::shared_ptr<labrpc::ClientEnd>> RandomHandles(
    std::vector<std::shared_ptr<labrpc::ClientEnd>> ends) {
  // Fisher-Yates.
  for (size_t i = ends.size(); i > 1; i--) {
    size_t j = static_cast<size_t>(labrpc::RandInt(static_cast<int64_t>(i)));
    std::swap(ends[i - 1], ends[j]);
  }
  return ends;
}

bool TestFailed() { return ::testing::Test::HasFailure(); }

int FaultLog::Open(const std::string& label) {
  linearizability::Fault f;
  f.start = labrpc::Now().count();
  f.label = label;
  faults_.push_back(std::move(f));
  return static_cast<int>(faults_.size()) - 1;
}

void FaultLog::Close(int* handle) {
  if (*handle < 0) return;
  faults_[*handle].end = labrpc::Now().count();
  *handle = -1;
}

void FaultLog::Event(const std::string& label) {
  const int handle = Open(label);
  faults_[handle].end = faults_[handle].start;
}

// ---------------------------------------------------------------------------
// ReplicaGroup.

ReplicaGroup::ReplicaGroup(labrpc::Network& net, labrpc::Mutex& mu, int n,
                           std::function<std::string(int)> name,
                           bool enable_new_ends)
    : net_(net),
      mu_(mu),
      n_(n),
      name_(std::move(name)),
      enable_new_ends_(enable_new_ends),
      replicas_(n),
      saved_(n),
      endnames_(n) {}

std::vector<int> ReplicaGroup::All() const {
  std::vector<int> all(n_);
  for (int i = 0; i < n_; i++) all[i] = i;
  return all;
}

EndPtr ReplicaGroup::EndTo(int j, bool enable, std::string* name) {
  const std::string end_name = RandString(20);
  EndPtr end = net_.MakeEnd(end_name);
  net_.Connect(end_name, Name(j));
  if (enable) net_.Enable(end_name, true);
  if (name != nullptr) *name = end_name;
  return end;
}

std::vector<EndPtr> ReplicaGroup::EndsToAll(bool enable,
                                            std::vector<std::string>* names) {
  std::vector<EndPtr> ends(n_);
  if (names != nullptr) names->assign(n_, "");
  for (int j = 0; j < n_; j++) {
    ends[j] = EndTo(j, enable, names != nullptr ? &(*names)[j] : nullptr);
  }
  return ends;
}

std::vector<EndPtr> ReplicaGroup::NewEndsLocked(int i) {
  LAB_ASSERT_HELD(mu_);
  return EndsToAll(enable_new_ends_, &endnames_[i]);
}

void ReplicaGroup::TraceEndsLocked(int i) const {
  LAB_ASSERT_HELD(mu_);
  if (!labrpc::TraceAnyEnabled()) return;
  std::string names;
  for (const std::string& name : endnames_[i]) {
    names += (names.empty() ? "" : " ") + name;
  }
  LAB_TRACE("test", i, "ends %s", names.c_str());
}

PersisterPtr ReplicaGroup::RestorePersisterLocked(int i) {
  LAB_ASSERT_HELD(mu_);
  if (saved_[i] != nullptr) {
    saved_[i] = saved_[i]->Copy();
  } else {
    saved_[i] = std::make_shared<raft::Persister>();
  }
  return saved_[i];
}

void ReplicaGroup::CopyPersisterLocked(int i) {
  LAB_ASSERT_HELD(mu_);
  if (saved_[i] != nullptr) saved_[i] = saved_[i]->Copy();
}

void ReplicaGroup::InstallLocked(int i, Replica replica) {
  LAB_ASSERT_HELD(mu_);
  replicas_[i] = std::move(replica);
}

Replica ReplicaGroup::TakeLocked(int i) {
  LAB_ASSERT_HELD(mu_);
  Replica r = std::move(replicas_[i]);
  replicas_[i] = Replica{};
  return r;
}

void ReplicaGroup::Serve(
    int i, const std::vector<std::shared_ptr<labrpc::Service>>& services) {
  auto srv = std::make_shared<labrpc::Server>();
  for (const auto& service : services) srv->AddService(service);
  net_.AddServer(Name(i), srv);
}

void ReplicaGroup::Start(int i, const std::function<void()>& locked,
                         const MakeFn& make) {
  std::vector<EndPtr> ends;
  PersisterPtr persister;
  {
    labrpc::MutexLock l(mu_);
    ends = NewEndsLocked(i);
    persister = RestorePersisterLocked(i);
    if (locked) locked();
  }
  StartedReplica started = make(ends, i, persister);
  {
    labrpc::MutexLock l(mu_);
    InstallLocked(i, std::move(started.replica));
  }
  Serve(i, started.services);
}

void ReplicaGroup::Shutdown(int i, const std::function<void()>& locked) {
  Replica r;
  {
    labrpc::MutexLock l(mu_);
    if (locked) locked();
    net_.DeleteServer(Name(i));
    CopyPersisterLocked(i);
    r = TakeLocked(i);
  }
  if (r.kill) r.kill();
}

std::optional<int> ReplicaGroup::Leader(const std::vector<int>& among) {
  std::vector<std::shared_ptr<raft::Raft>> rafts(n_);
  {
    labrpc::MutexLock l(mu_);
    for (int i = 0; i < n_; i++) rafts[i] = replicas_[i].raft;
  }
  for (int i : among) {
    if (rafts[i] != nullptr && rafts[i]->GetState().second) return i;
  }
  return std::nullopt;
}

void ReplicaGroup::CollectKillsLocked(
    std::vector<std::function<void()>>* kills) const {
  LAB_ASSERT_HELD(mu_);
  for (const Replica& r : replicas_) {
    if (r.kill) kills->push_back(r.kill);
  }
}

void ReplicaGroup::ConnectLocked(int i, const std::vector<int>& to,
                                 bool enable) {
  LAB_ASSERT_HELD(mu_);
  // Outgoing ends i -> to[k].
  if (!endnames_[i].empty()) {
    for (int j : to) net_.Enable(endnames_[i][j], enable);
  }
  // Incoming ends to[k] -> i.
  for (int j : to) {
    if (!endnames_[j].empty()) net_.Enable(endnames_[j][i], enable);
  }
}

void ReplicaGroup::ConnectAllLocked() {
  LAB_ASSERT_HELD(mu_);
  for (int i = 0; i < n_; i++) ConnectLocked(i, All(), true);
}

void ReplicaGroup::PartitionLocked(const std::vector<int>& p1,
                                   const std::vector<int>& p2) {
  LAB_ASSERT_HELD(mu_);
  for (int i : p1) {
    ConnectLocked(i, p2, false);
    ConnectLocked(i, p1, true);
  }
  for (int i : p2) {
    ConnectLocked(i, p1, false);
    ConnectLocked(i, p2, true);
  }
}

void ReplicaGroup::DisableEndsOfLocked(int i) {
  LAB_ASSERT_HELD(mu_);
  for (const std::string& name : endnames_[i]) net_.Enable(name, false);
}

std::vector<PersisterPtr> ReplicaGroup::Persisters() {
  labrpc::MutexLock l(mu_);
  std::vector<PersisterPtr> all;
  for (const PersisterPtr& p : saved_) {
    if (p != nullptr) all.push_back(p);
  }
  return all;
}

size_t ReplicaGroup::MaxRaftStateSize() {
  size_t size = 0;
  for (const PersisterPtr& p : Persisters()) {
    size = std::max(size, p->RaftStateSize());
  }
  return size;
}

size_t ReplicaGroup::MaxSnapshotSize() {
  size_t size = 0;
  for (const PersisterPtr& p : Persisters()) {
    size = std::max(size, p->SnapshotSize());
  }
  return size;
}

size_t ReplicaGroup::TotalStorage() {
  size_t total = 0;
  for (const PersisterPtr& p : Persisters()) {
    total += p->RaftStateSize() + p->SnapshotSize();
  }
  return total;
}

// ---------------------------------------------------------------------------
// Cluster.

Cluster::Cluster(const std::string& mutex_name)
    : mu_(mutex_name),
      net_(std::make_shared<labrpc::Network>()),
      start_(labrpc::Now()) {}

Cluster::~Cluster() = default;

void Cluster::AddGroup(ReplicaGroup* group) { groups_.push_back(group); }

void Cluster::SetUnreliable(bool unreliable) {
  LAB_TRACE("test", -1, "unreliable %s", unreliable ? "on" : "off");
  net_->Reliable(!unreliable);
  labrpc::MutexLock l(mu_);
  if (unreliable && unreliable_fault_ < 0) {
    unreliable_fault_ = fault_log_.Open("unreliable network");
  } else if (!unreliable) {
    fault_log_.Close(&unreliable_fault_);
  }
}

std::vector<linearizability::Fault> Cluster::Faults() {
  labrpc::MutexLock l(mu_);
  return fault_log_.faults();
}

int Cluster::RpcTotal() { return net_->GetTotalCount(); }

int64_t Cluster::Stamp() {
  const int64_t now = labrpc::Now().count();
  int64_t prev = last_stamp_.load();
  for (;;) {
    const int64_t t = prev < now ? now : prev + 1;
    if (last_stamp_.compare_exchange_weak(prev, t)) return t;
  }
}

void Cluster::Begin(const std::string& title) {
  BeginWithLine(title, title + " ...");
}

void Cluster::BeginWithLine(const std::string& title, const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  LAB_TRACE("test", -1, "begin %s", title.c_str());
  begin_time_ = labrpc::Now();
  begin_rpcs_ = RpcTotal();
  labrpc::MutexLock l(mu_);
  title_ = title;
}

std::string Cluster::title() {
  labrpc::MutexLock l(mu_);
  return title_;
}

double Cluster::SecondsSinceBegin() {
  return std::chrono::duration<double>(labrpc::Now() - begin_time_).count();
}

int Cluster::RpcsSinceBegin() { return RpcTotal() - begin_rpcs_; }

void Cluster::CheckTimeout(Location where) {
  if (!TestFailed() && labrpc::Now() - start_ > kTestTimeLimit) {
    Fatal("test took longer than 120 seconds", where);
  }
}

void Cluster::StartTimeLimitWatchdog(const std::string& task_name) {
  std::weak_ptr<Cluster> weak = weak_from_this();
  labrpc::Go(task_name, [weak] {
    labrpc::Sleep(kTestTimeLimit);
    if (weak.lock() != nullptr) Fatal("test took longer than 120 seconds");
  });
}

void Cluster::Cleanup(bool quiet) {
  std::vector<std::function<void()>> kills;
  CleanupStep(quiet, [&] {
    labrpc::MutexLock l(mu_);
    for (const ReplicaGroup* g : groups_) g->CollectKillsLocked(&kills);
  });
  for (const auto& kill : kills) CleanupStep(quiet, kill);
  CleanupStep(quiet, [&] { net_->Cleanup(); });
  if (quiet) return;
  LAB_TRACE("test", -1, "cleanup");
  CheckTimeout();
}

}  // namespace raftlab_test
