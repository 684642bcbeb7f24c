// The Raft test harness (Go's src/raft/config.go); see raft_config.h.
#include "tests/raft_config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <tuple>

#include "labrpc/trace.h"
#include "tests/test_world.h"

namespace raftlab_test {

using namespace std::chrono_literals;

namespace {

std::string ServerName(int i) { return std::to_string(i); }

// No peer reports a negative term: the first observation is always traced.
const raft::RaftStatus kNotTraced{.current_term = -1};

}  // namespace

// ---------------------------------------------------------------------------
// Setup and teardown.

RaftConfig::RaftConfig(const RaftTestOptions& options)
    : Cluster("raft_config"),
      n_(options.servers),
      snapshot_(options.snapshot),
      peers_(*net_, mu_, n_, ServerName, /*enable_new_ends=*/false),
      apply_err_(n_),
      connected_(n_, false),
      logs_(n_),
      last_applied_(n_, 0),
      snapshot_requested_(n_, 0),
      incarnation_(n_, 0),
      checker_(n_),
      traced_status_(n_, kNotTraced) {
  AddGroup(&peers_);
  LAB_TRACE("test", -1, "make_config n=%d unreliable=%d snapshot=%d", n_,
            static_cast<int>(options.unreliable),
            static_cast<int>(options.snapshot));
  net_->Reliable(!options.unreliable);
  // Calls to unreachable peers take up to 7 s to fail, which punishes a
  // Raft that sends RPCs synchronously.
  net_->LongDelays(true);
}

RaftConfig::~RaftConfig() = default;

RaftConfigPtr RaftConfig::Make(const RaftTestOptions& options) {
  RaftConfigPtr cfg(new RaftConfig(options));
  cfg->Init();
  return cfg;
}

void RaftConfig::Init() {
  for (int i = 0; i < n_; i++) Start1(i);
  for (int i = 0; i < n_; i++) Connect(i);

  // The invariant checker's feed. It holds only a weak reference, so it
  // never keeps a finished test's Config alive.
  std::weak_ptr<RaftConfig> weak = Self();
  labrpc::Go("raft-invariants", [weak] {
    for (;;) {
      labrpc::Sleep(10ms);
      RaftConfigPtr cfg = weak.lock();
      if (cfg == nullptr || cfg->finished_) return;
      cfg->CheckInvariants();
    }
  });
}

void RunRaftTest(const RaftTestOptions& options,
                 const std::function<void(const RaftConfigPtr&)>& body) {
  RunRaftTest(labrpc::WorldOptions::FromEnv(), options, body);
}

void RunRaftTest(const labrpc::WorldOptions& world,
                 const RaftTestOptions& options,
                 const std::function<void(const RaftConfigPtr&)>& body) {
  RunWithHarness(
      world, [&] { return RaftConfig::Make(options); }, body);
}

void RaftConfig::Cleanup(bool quiet) {
  finished_ = true;
  Cluster::Cleanup(quiet);
}

// ---------------------------------------------------------------------------
// Crash, restart, partitions.

std::shared_ptr<raft::Raft> RaftConfig::raft(int i) {
  labrpc::MutexLock l(mu_);
  return peers_.RaftLocked(i);
}

bool RaftConfig::connected(int i) {
  labrpc::MutexLock l(mu_);
  return connected_.at(i);
}

void RaftConfig::Crash1(int i) {
  Disconnect(i);
  net_->DeleteServer(ServerName(i));  // disable client connections to it

  labrpc::MutexLock l(mu_);
  LAB_TRACE("test", i, "crash");
  incarnation_[i]++;
  // A fresh persister, so the old instance cannot overwrite what the next
  // one will read.
  peers_.CopyPersisterLocked(i);

  Replica rf = peers_.TakeLocked(i);
  if (rf.kill) {
    l.unlock();
    rf.kill();
    l.lock();
  }

  PersisterPtr& saved = peers_.PersisterLocked(i);
  if (saved != nullptr) {
    labrpc::Bytes raftlog = saved->ReadRaftState();
    labrpc::Bytes snapshot = saved->ReadSnapshot();
    saved = std::make_shared<raft::Persister>();
    saved->Save(raftlog, snapshot);
  }
}

void RaftConfig::Start1(int i) {
  Crash1(i);

  std::vector<EndPtr> ends;
  PersisterPtr persister;
  {
    labrpc::MutexLock l(mu_);
    // A fresh set of outgoing end names, so the old crashed instance's ends
    // can no longer send.
    ends = peers_.NewEndsLocked(i);
    peers_.TraceEndsLocked(i);
    traced_status_[i] = kNotTraced;
    last_applied_[i] = 0;
    // A fresh persister, so the old instance doesn't overwrite the new
    // instance's persisted state. Give it the last persisted state.
    const bool restart = peers_.PersisterLocked(i) != nullptr;
    persister = peers_.RestorePersisterLocked(i);
    if (restart) {
      labrpc::Bytes snapshot = persister->ReadSnapshot();
      if (!snapshot.empty()) {
        std::string err = IngestSnapLocked(i, snapshot, -1);
        if (!err.empty()) Fatal(err);
      }
    }
  }

  LAB_TRACE("test", i,
            "start (restart from %zu state bytes, %zu snapshot "
            "bytes)",
            persister->RaftStateSize(), persister->SnapshotSize());
  auto apply_ch = std::make_shared<raft::ApplyChannel>(0, "apply-ch");
  std::shared_ptr<raft::Raft> rf =
      raft::Raft::Make(ends, i, persister, apply_ch);
  {
    labrpc::MutexLock l(mu_);
    peers_.InstallLocked(i, {rf, rf, [rf] { rf->Kill(); }});
  }

  RaftConfigPtr self = Self();
  std::string task = "applier-" + std::to_string(i);
  if (snapshot_) {
    labrpc::Go(task,
               [self, i, rf, apply_ch] { self->ApplierSnap(i, rf, apply_ch); });
  } else {
    labrpc::Go(task, [self, i, apply_ch] { self->Applier(i, apply_ch); });
  }

  peers_.Serve(i, {rf->service()});
}

void RaftConfig::SetConnectedLocked(int i, bool connected) {
  LAB_ASSERT_HELD(mu_);
  connected_[i] = connected;
  // Outgoing ends: to every connected peer (including itself).
  const std::vector<std::string>& out = peers_.EndNamesLocked(i);
  for (int j = 0; j < n_; j++) {
    if (out.empty()) break;
    if (!connected || connected_[j]) net_->Enable(out[j], connected);
  }
  // Incoming ends: from every connected peer.
  for (int j = 0; j < n_; j++) {
    const std::vector<std::string>& in = peers_.EndNamesLocked(j);
    if (in.empty()) continue;
    if (!connected || connected_[j]) net_->Enable(in[i], connected);
  }
}

void RaftConfig::Connect(int i) {
  labrpc::MutexLock l(mu_);
  LAB_TRACE("test", i, "connect");
  SetConnectedLocked(i, true);
}

void RaftConfig::Disconnect(int i) {
  labrpc::MutexLock l(mu_);
  LAB_TRACE("test", i, "disconnect");
  SetConnectedLocked(i, false);
}

void RaftConfig::SetLongReordering(bool long_reordering) {
  LAB_TRACE("test", -1, "long reordering %s", long_reordering ? "on" : "off");
  net_->LongReordering(long_reordering);
}

int RaftConfig::RpcCount(int i) { return net_->GetCount(ServerName(i)); }
int64_t RaftConfig::BytesTotal() { return net_->GetTotalBytes(); }

size_t RaftConfig::LogSize() { return peers_.MaxRaftStateSize(); }

// ---------------------------------------------------------------------------
// Checks.

std::vector<std::shared_ptr<raft::Raft>> RaftConfig::ConnectedPeers() {
  std::vector<std::shared_ptr<raft::Raft>> peers(n_);
  labrpc::MutexLock l(mu_);
  for (int i = 0; i < n_; i++) {
    if (connected_[i]) peers[i] = peers_.RaftLocked(i);
  }
  return peers;
}

int RaftConfig::CheckOneLeader(Location where) {
  for (int iters = 0; iters < 10; iters++) {
    labrpc::Sleep(std::chrono::milliseconds(450 + labrpc::RandInt(100)));

    const std::vector<std::shared_ptr<raft::Raft>> peers = ConnectedPeers();
    std::map<int, std::vector<int>> leaders;  // term -> leaders
    for (int i = 0; i < n_; i++) {
      if (peers[i] == nullptr) continue;
      auto [term, is_leader] = peers[i]->GetState();
      if (is_leader) leaders[term].push_back(i);
    }

    int last_term_with_leader = -1;
    for (auto& [term, ls] : leaders) {
      if (ls.size() > 1) {
        Fatal(labrpc::Sprintf("term %d has %zu (>1) leaders", term, ls.size()),
              where);
      }
      if (term > last_term_with_leader) last_term_with_leader = term;
    }
    if (!leaders.empty()) return leaders[last_term_with_leader][0];
  }
  Fatal("expected one leader, got none", where);
}

int RaftConfig::CheckTerms(Location where) {
  const std::vector<std::shared_ptr<raft::Raft>> peers = ConnectedPeers();
  int term = -1;
  for (auto& rf : peers) {
    if (rf == nullptr) continue;
    int xterm = rf->GetState().first;
    if (term == -1) {
      term = xterm;
    } else if (term != xterm) {
      Fatal("servers disagree on term", where);
    }
  }
  return term;
}

void RaftConfig::CheckNoLeader(Location where) {
  const std::vector<std::shared_ptr<raft::Raft>> peers = ConnectedPeers();
  for (int i = 0; i < n_; i++) {
    if (peers[i] == nullptr) continue;
    if (peers[i]->GetState().second) {
      Fatal(
          labrpc::Sprintf(
              "expected no leader among connected servers, but %d claims to be "
              "leader",
              i),
          where);
    }
  }
}

std::pair<int, labrpc::Bytes> RaftConfig::NCommitted(int index,
                                                     Location where) {
  labrpc::MutexLock l(mu_);
  int count = 0;
  labrpc::Bytes cmd;
  for (int i = 0; i < n_; i++) {
    if (!apply_err_[i].empty()) Fatal(apply_err_[i], where);
    auto it = logs_[i].find(index);
    if (it == logs_[i].end()) continue;
    if (count > 0 && cmd != it->second) {
      Fatal(labrpc::Sprintf("committed values do not match: index %d, %s, %s",
                            index, CmdToString(cmd).c_str(),
                            CmdToString(it->second).c_str()),
            where);
    }
    count++;
    cmd = it->second;
  }
  return {count, cmd};
}

std::optional<labrpc::Bytes> RaftConfig::Wait(int index, int n, int start_term,
                                              Location where) {
  labrpc::Duration to = 10ms;
  for (int iters = 0; iters < 30; iters++) {
    if (NCommitted(index, where).first >= n) break;
    labrpc::Sleep(to);
    if (to < 1s) to *= 2;
    if (start_term > -1) {
      std::vector<std::shared_ptr<raft::Raft>> peers(n_);
      {
        labrpc::MutexLock l(mu_);
        for (int i = 0; i < n_; i++) peers[i] = peers_.RaftLocked(i);
      }
      for (auto& rf : peers) {
        // someone has moved on; can no longer guarantee that we'll "win"
        if (rf != nullptr && rf->GetState().first > start_term) {
          return std::nullopt;
        }
      }
    }
  }
  auto [nd, cmd] = NCommitted(index, where);
  if (nd < n) {
    Fatal(labrpc::Sprintf("only %d decided for index %d; wanted %d", nd, index,
                          n),
          where);
  }
  return cmd;
}

int RaftConfig::One(const labrpc::Bytes& cmd, int expected_servers, bool retry,
                    Location where) {
  const labrpc::Duration t0 = labrpc::Now();
  int starts = 0;
  while (labrpc::Now() - t0 < 10s && !finished_) {
    // try all the servers, maybe one is the leader.
    int index = -1;
    for (int si = 0; si < n_; si++) {
      starts = (starts + 1) % n_;
      std::shared_ptr<raft::Raft> rf;
      {
        labrpc::MutexLock l(mu_);
        if (connected_[starts]) rf = peers_.RaftLocked(starts);
      }
      if (rf != nullptr) {
        raft::Raft::StartResult r = rf->Start(cmd);
        if (r.is_leader) {
          index = r.index;
          break;
        }
      }
    }

    if (index != -1) {
      // somebody claimed to be the leader and to have submitted our command;
      // wait a while for agreement.
      const labrpc::Duration t1 = labrpc::Now();
      while (labrpc::Now() - t1 < 2s) {
        auto [nd, cmd1] = NCommitted(index, where);
        if (nd > 0 && nd >= expected_servers && cmd1 == cmd) {
          return index;  // and it was the command we submitted.
        }
        labrpc::Sleep(20ms);
      }
      if (!retry) {
        Fatal(labrpc::Sprintf("one(%s) failed to reach agreement",
                              CmdToString(cmd).c_str()),
              where);
      }
    } else {
      labrpc::Sleep(50ms);
    }
  }
  if (!finished_) {
    Fatal(labrpc::Sprintf("one(%s) failed to reach agreement",
                          CmdToString(cmd).c_str()),
          where);
  }
  return -1;
}

void RaftConfig::CheckInvariants() {
  std::vector<std::pair<std::shared_ptr<raft::Raft>, int>> peers(n_);
  {
    labrpc::MutexLock l(mu_);
    for (int i = 0; i < n_; i++) {
      peers[i] = {peers_.RaftLocked(i), incarnation_[i]};
    }
  }
  for (int i = 0; i < n_; i++) {
    auto& [rf, incarnation] = peers[i];
    if (rf == nullptr) continue;
    raft::RaftStatus status = rf->Status();
    labrpc::MutexLock l(mu_);
    // Keep only answers of an instance that was still the live, current
    // incarnation afterwards: a crashed instance may run on (Kill only asks
    // it to stop) into state its successor never sees.
    if (status.killed || peers_.RaftLocked(i) != rf ||
        incarnation_[i] != incarnation) {
      continue;
    }
    checker_.Observe(incarnation, status);
    TraceStatusLocked(i, status);
  }
}

void RaftConfig::TraceStatusLocked(int i, const raft::RaftStatus& s) {
  LAB_ASSERT_HELD(mu_);
  if (!labrpc::TraceAnyEnabled() || !labrpc::TraceEnabled("state")) return;
  // The harness's own view of the peer, for a Raft that traces nothing
  // itself (a student's): traced from observations it takes anyway, so
  // tracing adds no call, no scheduling point and no random draw.
  raft::RaftStatus& t = traced_status_[i];
  if (t.current_term == s.current_term && t.is_leader == s.is_leader &&
      t.commit_index == s.commit_index && t.last_applied == s.last_applied &&
      t.last_log_index == s.last_log_index &&
      t.snapshot_index == s.snapshot_index) {
    return;
  }
  t = s;
  LAB_TRACE("state", i, "term %d %s log %d commit %d applied %d snapshot %d",
            s.current_term, s.is_leader ? "leader" : "not-leader",
            s.last_log_index, s.commit_index, s.last_applied, s.snapshot_index);
}

// ---------------------------------------------------------------------------
// Begin / End.

void RaftConfig::Begin(const std::string& description) {
  Cluster::Begin(description);
  bytes0_ = BytesTotal();
  labrpc::MutexLock l(mu_);
  max_index0_ = max_index_;
}

void RaftConfig::CheckSnapshotsPersisted(Location where) {
  // Raft may save a snapshot a little after Snapshot() returns, so allow it
  // a couple of seconds.
  for (int attempt = 0;; attempt++) {
    std::string problem;
    {
      labrpc::MutexLock l(mu_);
      for (int i = 0; i < n_ && problem.empty(); i++) {
        if (peers_.RaftLocked(i) == nullptr || snapshot_requested_[i] == 0) {
          continue;
        }
        const PersisterPtr& saved = peers_.PersisterLocked(i);
        const size_t snapshot = saved->SnapshotSize();
        const size_t state = saved->RaftStateSize();
        if (snapshot == 0) {
          problem = labrpc::Sprintf(
              "server %d was asked to Snapshot() through index %d, but its "
              "persister holds no snapshot: Raft must save the service's "
              "snapshot with persister->Save(state, snapshot)",
              i, snapshot_requested_[i]);
        } else if (state == 0) {
          problem = labrpc::Sprintf(
              "server %d's persister holds a snapshot but no Raft state: "
              "Raft must persist currentTerm, votedFor and its log",
              i);
        } else if (state >= kMaxLogSize) {
          problem = labrpc::Sprintf(
              "server %d's persisted Raft state is %zu bytes (limit %zu) "
              "after snapshots through index %d: Snapshot() must discard "
              "the log entries the snapshot covers",
              i, state, kMaxLogSize, snapshot_requested_[i]);
        }
      }
    }
    if (problem.empty()) return;
    if (attempt == 20) Fatal(problem, where);
    labrpc::Sleep(std::chrono::milliseconds(100));
  }
}

void RaftConfig::End(Location where) {
  CheckTimeout(where);
  CheckInvariants();
  if (snapshot_ && !TestFailed()) CheckSnapshotsPersisted(where);
  if (TestFailed()) return;
  double t = SecondsSinceBegin();
  int nrpc = RpcsSinceBegin();
  int64_t nbytes = BytesTotal() - bytes0_;
  int ncmds;
  {
    labrpc::MutexLock l(mu_);
    ncmds = max_index_ - max_index0_;
  }
  std::printf("  ... Passed --");
  std::printf("  %4.1f  %d %4d %7lld %4d\n", t, n_, nrpc,
              static_cast<long long>(nbytes), ncmds);
  std::fflush(stdout);
}

}  // namespace raftlab_test
