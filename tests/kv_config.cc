// The kvraft test harness (Go's src/kvraft/config.go and the helpers of its
// test_test.go); see kv_config.h.
#include "tests/kv_config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "labrpc/channel.h"
#include "labrpc/trace.h"
#include "linearizability/checker.h"
#include "linearizability/prefix.h"
#include "linearizability/visualization.h"
#include "tests/test_world.h"

namespace raftlab_test {

using namespace std::chrono_literals;
using linearizability::CheckResult;
using linearizability::KvInput;
using linearizability::KvOp;
using linearizability::KvOutput;

namespace {

std::string JoinInts(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); i++) {
    if (i > 0) s += ",";
    s += std::to_string(v[i]);
  }
  return s;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : " ") + n;
  return out;
}

bool TestFailed() { return ::testing::Test::HasFailure(); }

}  // namespace

// ---------------------------------------------------------------------------
// OpLog.

OpLog::OpLog() = default;

void OpLog::Append(const KvOperation& op) {
  labrpc::MutexLock l(mu_);
  ops_.push_back(op);
}

std::vector<KvOperation> OpLog::Read() {
  labrpc::MutexLock l(mu_);
  return ops_;
}

// ---------------------------------------------------------------------------
// Setup and teardown.

KvConfig::KvConfig(int n, bool unreliable, int maxraftstate)
    : n_(n),
      maxraftstate_(maxraftstate),
      start_(labrpc::Now()),
      net_(std::make_unique<labrpc::Network>()),
      kvservers_(n),
      saved_(n),
      endnames_(n),
      down_fault_(n, -1) {
  (void)unreliable;  // applied by Make, after the servers are up
}

KvConfig::~KvConfig() = default;

KvConfigPtr KvConfig::Make(int n, bool unreliable, int maxraftstate) {
  LAB_TRACE("test", -1, "make_config n=%d unreliable=%d maxraftstate=%d", n,
            static_cast<int>(unreliable), maxraftstate);
  KvConfigPtr cfg(new KvConfig(n, unreliable, maxraftstate));
  // Long delays stay off: a call to an unreachable server fails within
  // 100 ms, so clerks move on quickly.
  for (int i = 0; i < n; i++) cfg->StartServer(i);
  cfg->ConnectAll();
  cfg->SetUnreliable(unreliable);
  return cfg;
}

void RunKvTest(int n, bool unreliable, int maxraftstate,
               const std::function<void(const KvConfigPtr&)>& body) {
  RunKvTest(labrpc::WorldOptions::FromEnv(), n, unreliable, maxraftstate, body);
}

void RunKvTest(const labrpc::WorldOptions& options, int n, bool unreliable,
               int maxraftstate,
               const std::function<void(const KvConfigPtr&)>& body) {
  RunWithHarness(
      options, [&] { return KvConfig::Make(n, unreliable, maxraftstate); },
      body);
}

void KvConfig::Cleanup(bool quiet) {
  std::vector<std::shared_ptr<kvraft::KVServer>> servers;
  CleanupStep(quiet, [&] {
    labrpc::MutexLock l(mu_);
    servers = kvservers_;
  });
  for (auto& kv : servers) {
    if (kv != nullptr) CleanupStep(quiet, [&] { kv->Kill(); });
  }
  CleanupStep(quiet, [&] { net_->Cleanup(); });
  if (quiet) return;
  LAB_TRACE("test", -1, "cleanup");
  CheckTimeout();
}

void KvConfig::CheckTimeout(Location where) {
  // Only the first failure matters: a test that already failed is not also
  // blamed for its length.
  if (!TestFailed() && labrpc::Now() - start_ > kKvTestTimeLimit) {
    Fatal("test took longer than 120 seconds", where);
  }
}

std::vector<int> KvConfig::All() const {
  std::vector<int> all(n_);
  for (int i = 0; i < n_; i++) all[i] = i;
  return all;
}

// ---------------------------------------------------------------------------
// Servers and connectivity.

void KvConfig::ConnectLocked(int i, const std::vector<int>& to, bool enable) {
  // Outgoing ends i -> to[k].
  if (!endnames_[i].empty()) {
    for (int j : to) net_->Enable(endnames_[i][j], enable);
  }
  // Incoming ends to[k] -> i.
  for (int j : to) {
    if (!endnames_[j].empty()) net_->Enable(endnames_[j][i], enable);
  }
}

void KvConfig::ConnectAll() {
  labrpc::MutexLock l(mu_);
  LAB_TRACE("test", -1, "connect all");
  for (int i = 0; i < n_; i++) ConnectLocked(i, All(), true);
  fault_log_.Close(&partition_fault_);
}

void KvConfig::Partition(const std::vector<int>& p1,
                         const std::vector<int>& p2) {
  labrpc::MutexLock l(mu_);
  LAB_TRACE("test", -1, "partition [%s] [%s]", JoinInts(p1).c_str(),
            JoinInts(p2).c_str());
  for (int i : p1) {
    ConnectLocked(i, p2, false);
    ConnectLocked(i, p1, true);
  }
  for (int i : p2) {
    ConnectLocked(i, p1, false);
    ConnectLocked(i, p2, true);
  }
  fault_log_.Close(&partition_fault_);
  if (!p1.empty() && !p2.empty()) {
    partition_fault_ = fault_log_.Open("partition {" + JoinInts(p1) + "} | {" +
                                       JoinInts(p2) + "}");
  }
}

void KvConfig::StartServer(int i) {
  std::vector<std::shared_ptr<labrpc::ClientEnd>> ends(n_);
  std::shared_ptr<raft::Persister> persister;
  bool stale_reads;
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
    // Which end is whose, for drawing a trace's RPCs from peer to peer.
    LAB_TRACE("test", i, "ends %s", JoinNames(endnames_[i]).c_str());
    // A fresh persister holding the last persisted state, so the old
    // instance cannot overwrite what the new one reads.
    if (saved_[i] != nullptr) {
      saved_[i] = saved_[i]->Copy();
    } else {
      saved_[i] = std::make_shared<raft::Persister>();
    }
    persister = saved_[i];
    stale_reads = stale_reads_;
    fault_log_.Close(&down_fault_[i]);
  }
  LAB_TRACE("test", i, "start server (%zu state bytes, %zu snapshot bytes)",
            persister->RaftStateSize(), persister->SnapshotSize());

  std::shared_ptr<kvraft::KVServer> kv =
      kvraft::StartKVServer(ends, i, persister, maxraftstate_);
  if (stale_reads) kv->SetStaleReadsForTesting(true);
  auto srv = std::make_shared<labrpc::Server>();
  srv->AddService(kv->service());
  srv->AddService(kv->raft()->service());
  {
    labrpc::MutexLock l(mu_);
    kvservers_[i] = kv;
  }
  net_->AddServer(i, srv);
}

void KvConfig::ShutdownServer(int i) {
  std::shared_ptr<kvraft::KVServer> kv;
  {
    labrpc::MutexLock l(mu_);
    LAB_TRACE("test", i, "shutdown server");
    ConnectLocked(i, All(), false);
    // Before the persister is copied, so that no RPC in flight to the old
    // instance can change what the next one reads.
    net_->DeleteServer(i);
    if (saved_[i] != nullptr) saved_[i] = saved_[i]->Copy();
    kv = std::move(kvservers_[i]);
    kvservers_[i] = nullptr;
    if (down_fault_[i] < 0) {
      down_fault_[i] = fault_log_.Open("S" + std::to_string(i) + " down");
    }
  }
  if (kv != nullptr) kv->Kill();
}

std::optional<int> KvConfig::Leader() {
  std::vector<std::shared_ptr<kvraft::KVServer>> servers;
  {
    labrpc::MutexLock l(mu_);
    servers = kvservers_;
  }
  for (int i = 0; i < n_; i++) {
    if (servers[i] != nullptr && servers[i]->raft()->GetState().second) {
      return i;
    }
  }
  return std::nullopt;
}

std::optional<int> KvConfig::Leader(const std::vector<int>& among) {
  std::vector<std::shared_ptr<kvraft::KVServer>> servers;
  {
    labrpc::MutexLock l(mu_);
    servers = kvservers_;
  }
  for (int i : among) {
    if (servers[i] != nullptr && servers[i]->raft()->GetState().second) {
      return i;
    }
  }
  return std::nullopt;
}

void KvConfig::EnableLink(int from, int to, bool enable) {
  labrpc::MutexLock l(mu_);
  LAB_TRACE("test", -1, "%s link %d -> %d", enable ? "enable" : "disable", from,
            to);
  if (!endnames_[from].empty()) net_->Enable(endnames_[from][to], enable);
}

std::pair<std::vector<int>, std::vector<int>> KvConfig::MakePartition() {
  const int l = Leader().value_or(0);
  std::vector<int> p1(n_ / 2 + 1);
  std::vector<int> p2(n_ / 2);
  size_t j = 0;
  for (int i = 0; i < n_; i++) {
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

// ---------------------------------------------------------------------------
// Clerks.

std::shared_ptr<labrpc::ClientEnd> KvConfig::MakeEnd(int i) {
  labrpc::MutexLock l(mu_);
  const std::string name = RandString(20);
  std::shared_ptr<labrpc::ClientEnd> end = net_->MakeEnd(name);
  net_->Connect(name, i);
  net_->Enable(name, true);
  return end;
}

ClerkPtr KvConfig::MakeClient(const std::vector<int>& to) {
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
  auto ck = std::make_shared<kvraft::Clerk>(RandomHandles(ends));
  labrpc::MutexLock l(mu_);
  clerks_[ck.get()] = names;
  for (int j : to) net_->Enable(names[j], true);
  return ck;
}

void KvConfig::DeleteClient(const ClerkPtr& ck) {
  labrpc::MutexLock l(mu_);
  clerks_.erase(ck.get());
}

void KvConfig::ConnectClient(const ClerkPtr& ck, const std::vector<int>& to) {
  labrpc::MutexLock l(mu_);
  const std::vector<std::string>& names = clerks_.at(ck.get());
  for (int j : to) net_->Enable(names[j], true);
}

void KvConfig::DisconnectClient(const ClerkPtr& ck,
                                const std::vector<int>& from) {
  labrpc::MutexLock l(mu_);
  const std::vector<std::string>& names = clerks_.at(ck.get());
  for (int j : from) net_->Enable(names[j], false);
}

// ---------------------------------------------------------------------------
// Measurements and faults.

size_t KvConfig::LogSize() {
  labrpc::MutexLock l(mu_);
  size_t logsize = 0;
  for (auto& p : saved_) {
    if (p != nullptr) logsize = std::max(logsize, p->RaftStateSize());
  }
  return logsize;
}

void KvConfig::CheckSnapshotted(Location where) {
  if (maxraftstate_ <= 0) return;
  for (int attempt = 0;; attempt++) {
    std::string problem;
    {
      labrpc::MutexLock l(mu_);
      for (size_t i = 0; i < saved_.size() && problem.empty(); i++) {
        if (saved_[i] == nullptr) continue;
        const size_t state = saved_[i]->RaftStateSize();
        if (state > static_cast<size_t>(maxraftstate_) &&
            saved_[i]->SnapshotSize() == 0) {
          problem = labrpc::Sprintf(
              "server %zu's Raft state is %zu bytes, over maxraftstate %d, "
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

size_t KvConfig::SnapshotSize() {
  labrpc::MutexLock l(mu_);
  size_t snapshotsize = 0;
  for (auto& p : saved_) {
    if (p != nullptr) snapshotsize = std::max(snapshotsize, p->SnapshotSize());
  }
  return snapshotsize;
}

int KvConfig::RpcTotal() { return net_->GetTotalCount(); }

std::string KvConfig::title() {
  labrpc::MutexLock l(mu_);
  return title_;
}

int64_t KvConfig::Stamp() {
  const int64_t now = labrpc::Now().count();
  int64_t prev = last_stamp_.load();
  for (;;) {
    const int64_t t = prev < now ? now : prev + 1;
    if (last_stamp_.compare_exchange_weak(prev, t)) return t;
  }
}

void KvConfig::SetUnreliable(bool unreliable) {
  LAB_TRACE("test", -1, "unreliable %s", unreliable ? "on" : "off");
  net_->Reliable(!unreliable);
  labrpc::MutexLock l(mu_);
  if (unreliable && unreliable_fault_ < 0) {
    unreliable_fault_ = fault_log_.Open("unreliable network");
  } else if (!unreliable) {
    fault_log_.Close(&unreliable_fault_);
  }
}

std::vector<linearizability::Fault> KvConfig::Faults() {
  labrpc::MutexLock l(mu_);
  return fault_log_.faults();
}

void KvConfig::SetStaleReadsForTesting(bool on) {
  std::vector<std::shared_ptr<kvraft::KVServer>> servers;
  {
    labrpc::MutexLock l(mu_);
    stale_reads_ = on;
    servers = kvservers_;
  }
  for (auto& kv : servers) {
    if (kv != nullptr) kv->SetStaleReadsForTesting(on);
  }
}

// ---------------------------------------------------------------------------
// Begin / End.

void KvConfig::Begin(const std::string& description) {
  std::printf("%s ...\n", description.c_str());
  std::fflush(stdout);
  LAB_TRACE("test", -1, "begin %s", description.c_str());
  t0_ = labrpc::Now();
  rpcs0_ = RpcTotal();
  ops_ = 0;
  labrpc::MutexLock l(mu_);
  title_ = description;
}

void KvConfig::End(Location where) {
  CheckTimeout(where);
  if (TestFailed()) return;
  const double t = std::chrono::duration<double>(labrpc::Now() - t0_).count();
  const int nrpc = RpcTotal() - rpcs0_;
  std::printf("  ... Passed --");
  std::printf("  %4.1f  %d %5d %4d\n", t, n_, nrpc, ops_.load());
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------
// Logged clerk calls and checks.

namespace {

// Records a finished clerk call in `log` (if any), then lets the client
// think (sim only; see kSimClientMaxThinkMs).
void Record(const OpLogPtr& log, int cli, KvOp op, const std::string& key,
            const std::string& value, const std::string& output, int64_t start,
            int64_t end) {
  KvOperation o;
  o.client_id = cli;
  o.input = KvInput{op, key, value};
  o.output = KvOutput{output, false};
  o.call = start;
  o.ret = end;
  TraceKvOperation(o);
  if (log != nullptr) log->Append(o);
  if (labrpc::World::Current().backend() == labrpc::Backend::kSim) {
    labrpc::Sleep(
        std::chrono::milliseconds(1 + labrpc::RandInt(kSimClientMaxThinkMs)));
  }
}

}  // namespace

std::string Get(const KvConfigPtr& cfg, const ClerkPtr& ck,
                const std::string& key, const OpLogPtr& log, int cli) {
  const int64_t start = cfg->Stamp();
  std::string v = ck->Get(key);
  const int64_t end = cfg->Stamp();
  cfg->Op();
  Record(log, cli, KvOp::kGet, key, "", v, start, end);
  return v;
}

void Put(const KvConfigPtr& cfg, const ClerkPtr& ck, const std::string& key,
         const std::string& value, const OpLogPtr& log, int cli) {
  const int64_t start = cfg->Stamp();
  ck->Put(key, value);
  const int64_t end = cfg->Stamp();
  cfg->Op();
  Record(log, cli, KvOp::kPut, key, value, "", start, end);
}

void Append(const KvConfigPtr& cfg, const ClerkPtr& ck, const std::string& key,
            const std::string& value, const OpLogPtr& log, int cli) {
  const int64_t start = cfg->Stamp();
  ck->Append(key, value);
  const int64_t end = cfg->Stamp();
  cfg->Op();
  Record(log, cli, KvOp::kAppend, key, value, "", start, end);
}

void Check(const KvConfigPtr& cfg, const ClerkPtr& ck, const std::string& key,
           const std::string& value, Location where) {
  std::string v = Get(cfg, ck, key, nullptr, -1);
  if (v != value) {
    Fatal(labrpc::Sprintf("Get(%s): expected:\n%s\nreceived:\n%s", key.c_str(),
                          value.c_str(), v.c_str()),
          where);
  }
}

void CheckClntAppends(int clnt, const std::string& v, int count,
                      Location where) {
  std::string::size_type lastoff = std::string::npos;
  for (int j = 0; j < count; j++) {
    const std::string wanted =
        "x " + std::to_string(clnt) + " " + std::to_string(j) + " y";
    const std::string::size_type off = v.find(wanted);
    if (off == std::string::npos) {
      Fatal(labrpc::Sprintf("%d missing element %s in Append result %s", clnt,
                            wanted.c_str(), v.c_str()),
            where);
    }
    if (v.rfind(wanted) != off) {
      Fatal(labrpc::Sprintf("duplicate element %s in Append result",
                            wanted.c_str()),
            where);
    }
    if (lastoff != std::string::npos && off <= lastoff) {
      Fatal(labrpc::Sprintf("wrong order for element %s in Append result",
                            wanted.c_str()),
            where);
    }
    lastoff = off;
  }
}

void CheckConcurrentAppends(const std::string& v,
                            const std::vector<int>& counts, Location where) {
  for (size_t i = 0; i < counts.size(); i++) {
    CheckClntAppends(static_cast<int>(i), v, counts[i], where);
  }
}

void SpawnClientsAndWait(
    const KvConfigPtr& cfg, int ncli,
    const std::function<void(int cli, const ClerkPtr& ck)>& fn) {
  auto wg = std::make_shared<labrpc::WaitGroup>();
  for (int cli = 0; cli < ncli; cli++) {
    wg->Add(1);
    labrpc::Go("kv-client-" + std::to_string(cli), [cfg, cli, fn, wg] {
      ClerkPtr ck = cfg->MakeClient(cfg->All());
      fn(cli, ck);
      cfg->DeleteClient(ck);
      wg->Done();
    });
  }
  wg->Wait();
}

// ---------------------------------------------------------------------------
// The linearizability check.

CheckResult CheckLinearizable(const KvConfigPtr& cfg,
                              const std::vector<KvOperation>& history,
                              bool fail_if_illegal) {
  return CheckKvHistory(history, cfg->title(), cfg->Faults(), "kvraft-history",
                        fail_if_illegal);
}

// ---------------------------------------------------------------------------
// GenericTest and GenericTestSpeed.

namespace {

// Go's partitioner: until *done, splits the servers at random into two
// groups (either may be empty) every electionTimeout + 0-199 ms.
void Partitioner(const KvConfigPtr& cfg,
                 const std::shared_ptr<labrpc::Channel<bool>>& ch,
                 const std::shared_ptr<std::atomic<bool>>& done) {
  while (!done->load()) {
    std::vector<int> pa[2];
    for (int i = 0; i < cfg->n(); i++) pa[labrpc::RandInt(2)].push_back(i);
    cfg->Partition(pa[0], pa[1]);
    labrpc::Sleep(kKvElectionTimeout +
                  std::chrono::milliseconds(labrpc::RandInt(200)));
  }
  ch->Send(true);
}

std::string GenericTitle(const GenericParams& p) {
  std::string title = "Test: ";
  if (p.unreliable) title += "unreliable net, ";  // the network drops RPCs
  if (p.crash) title += "restarts, ";  // peers re-start, and thus persistence
  if (p.partitions) title += "partitions, ";  // the network may partition
  if (p.maxraftstate != -1) title += "snapshots, ";
  if (p.randomkeys) title += "random keys, ";
  title += p.nclients > 1 ? "many clients" : "one client";
  title += " (" + p.part + ")";
  return title;
}

}  // namespace

void GenericTest(const GenericParams& p) {
  GenericTest(labrpc::WorldOptions::FromEnv(), p);
}

void GenericTest(const labrpc::WorldOptions& options, const GenericParams& p) {
  const std::string title = GenericTitle(p);
  RunKvTest(
      options, p.nservers, p.unreliable, p.maxraftstate,
      [&](const KvConfigPtr& cfg) {
        if (p.stale_reads) cfg->SetStaleReadsForTesting(true);
        cfg->Begin(title);
        auto log = std::make_shared<OpLog>();
        ClerkPtr ck = cfg->MakeClient(cfg->All());

        auto done_partitioner = std::make_shared<std::atomic<bool>>(false);
        auto done_clients = std::make_shared<std::atomic<bool>>(false);
        auto ch_partitioner = std::make_shared<labrpc::Channel<bool>>(1);
        // clnts[i] receives how many appends (and puts) client i made.
        std::vector<std::shared_ptr<labrpc::Channel<int>>> clnts;
        for (int i = 0; i < p.nclients; i++) {
          clnts.push_back(std::make_shared<labrpc::Channel<int>>(1));
        }
        const int nclients = p.nclients;
        const bool randomkeys = p.randomkeys;

        for (int i = 0; i < p.iterations; i++) {
          done_clients->store(false);
          done_partitioner->store(false);
          auto client = [cfg, log, done_clients, clnts, nclients, randomkeys](
                            int cli, const ClerkPtr& myck) {
            int j = 0;
            std::string last;  // only used when not randomkeys
            if (!randomkeys)
              Put(cfg, myck, std::to_string(cli), last, log, cli);
            while (!done_clients->load()) {
              const std::string key =
                  randomkeys ? std::to_string(labrpc::RandInt(nclients))
                             : std::to_string(cli);
              const std::string nv =
                  "x " + std::to_string(cli) + " " + std::to_string(j) + " y";
              if (labrpc::RandInt(1000) < 500) {
                Append(cfg, myck, key, nv, log, cli);
                if (!randomkeys) last += nv;  // NextValue
                j++;
              } else if (randomkeys && labrpc::RandInt(1000) < 100) {
                // Only with random keys: it would break the check after Get.
                Put(cfg, myck, key, nv, log, cli);
                j++;
              } else {
                std::string v = Get(cfg, myck, key, log, cli);
                // Only makes sense when we're not using random keys.
                if (!randomkeys && v != last) {
                  Fatal(labrpc::Sprintf(
                      "get wrong value, key %s, wanted:\n%s\n, got\n%s\n",
                      key.c_str(), last.c_str(), v.c_str()));
                }
              }
            }
            clnts[cli]->Send(j);
          };
          labrpc::Go("kv-spawn-clients", [cfg, nclients, client] {
            SpawnClientsAndWait(cfg, nclients, client);
          });

          if (p.partitions) {
            // Allow the clients to perform some operations without
            // interruption.
            labrpc::Sleep(1s);
            labrpc::Go("kv-partitioner",
                       [cfg, ch_partitioner, done_partitioner] {
                         Partitioner(cfg, ch_partitioner, done_partitioner);
                       });
          }
          labrpc::Sleep(5s);

          done_clients->store(true);      // tell clients to quit
          done_partitioner->store(true);  // tell partitioner to quit

          if (p.partitions) {
            ch_partitioner->Receive();
            // Reconnect the network and submit a request. A client may have
            // submitted a request in a minority. That request won't return
            // until that server discovers a new term has started.
            cfg->ConnectAll();
            // Wait for a while so that we have a new term.
            labrpc::Sleep(kKvElectionTimeout);
          }

          if (p.crash) {
            for (int s = 0; s < p.nservers; s++) cfg->ShutdownServer(s);
            // Wait for a while for servers to shut down, since shutdown isn't
            // a real crash and isn't instantaneous.
            labrpc::Sleep(kKvElectionTimeout);
            // Crash and re-start all.
            for (int s = 0; s < p.nservers; s++) cfg->StartServer(s);
            cfg->ConnectAll();
          }

          for (int c = 0; c < nclients; c++) {
            const int j = *clnts[c]->Receive();
            const std::string key = std::to_string(c);
            std::string v = Get(cfg, ck, key, log, 0);
            if (!randomkeys) CheckClntAppends(c, v, j);
          }

          if (p.maxraftstate > 0) {
            // Check maximum after the servers have processed all client
            // requests and had time to checkpoint.
            const size_t sz = cfg->LogSize();
            if (sz > 8 * static_cast<size_t>(p.maxraftstate)) {
              Fatal(labrpc::Sprintf("logs were not trimmed (%zu > 8*%d)", sz,
                                    p.maxraftstate));
            }
            cfg->CheckSnapshotted();
          }
          if (p.maxraftstate < 0) {
            // Check that snapshots are not used.
            const size_t ssz = cfg->SnapshotSize();
            if (ssz > 0) {
              Fatal(labrpc::Sprintf(
                  "snapshot too large (%zu), should not be used when "
                  "maxraftstate = %d",
                  ssz, p.maxraftstate));
            }
          }
        }

        const std::vector<KvOperation> history = log->Read();
        if (p.stale_reads) {
          // The negative control: the checker must catch the stale reads.
          const CheckResult res = CheckLinearizable(cfg, history, false);
          if (res != CheckResult::kIllegal) {
            Fatal(labrpc::Sprintf(
                "negative control: a server serving stale reads produced a "
                "history of %zu operations that the checker found %s, not "
                "Illegal",
                history.size(), linearizability::ToString(res)));
          }
          std::printf(
              "info: stale reads caught: history of %zu operations is "
              "not linearizable\n",
              history.size());
        } else {
          CheckLinearizable(cfg, history);
        }
        cfg->End();
      });
}

void GenericTestSpeed(const std::string& part, int maxraftstate) {
  constexpr int kNumOps = 1000;
  RunKvTest(3, /*unreliable=*/false, maxraftstate, [&](const KvConfigPtr& cfg) {
    ClerkPtr ck = cfg->MakeClient(cfg->All());
    cfg->Begin("Test: ops complete fast enough (" + part + ")");

    // Wait until the first op completes, so we know a leader is elected and
    // the KV servers are ready to process client requests.
    ck->Get("x");

    const labrpc::Duration start = labrpc::Now();
    for (int i = 0; i < kNumOps; i++) {
      ck->Append("x", "x 0 " + std::to_string(i) + " y");
    }
    const labrpc::Duration dur = labrpc::Now() - start;

    std::string v = ck->Get("x");
    CheckClntAppends(0, v, kNumOps);
    cfg->CheckSnapshotted();  // does nothing without snapshots (3A)

    // The heartbeat interval should be ~100 ms; require at least 3 ops per
    // interval.
    constexpr labrpc::Duration kHeartbeatInterval = 100ms;
    constexpr int kOpsPerInterval = 3;
    constexpr labrpc::Duration kTimePerOp =
        kHeartbeatInterval / kOpsPerInterval;
    if (dur > kNumOps * kTimePerOp) {
      Fatal(labrpc::Sprintf(
          "Operations completed too slowly %.3fms/op > %.3fms/op\n",
          std::chrono::duration<double, std::milli>(dur / kNumOps).count(),
          std::chrono::duration<double, std::milli>(kTimePerOp).count()));
    }
    cfg->End();
  });
}

}  // namespace raftlab_test
