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

// ---------------------------------------------------------------------------
// Commands and randomness.

labrpc::Bytes IntCmd(int64_t v) {
  TestCommand c;
  c.value = v;
  return labrpc::Encode(c);
}

labrpc::Bytes StringCmd(const std::string& s) {
  TestCommand c;
  c.is_string = true;
  c.text = s;
  return labrpc::Encode(c);
}

std::optional<TestCommand> DecodeCmd(const labrpc::Bytes& bytes) {
  if (bytes.empty()) return std::nullopt;
  try {
    return labrpc::Decode<TestCommand>(bytes);
  } catch (const labrpc::DecodeError&) {
    return std::nullopt;
  }
}

std::optional<int64_t> CmdInt(const labrpc::Bytes& bytes) {
  std::optional<TestCommand> c = DecodeCmd(bytes);
  if (!c || c->is_string) return std::nullopt;
  return c->value;
}

std::string CmdToString(const labrpc::Bytes& bytes) {
  if (bytes.empty()) return "<nil>";
  std::optional<TestCommand> c = DecodeCmd(bytes);
  if (!c) return labrpc::Sprintf("<%zu undecodable bytes>", bytes.size());
  if (!c->is_string) return std::to_string(c->value);
  constexpr size_t kShown = 32;
  if (c->text.size() <= kShown) return c->text;
  return labrpc::Sprintf("%s...(%zu chars)", c->text.substr(0, kShown).c_str(),
                         c->text.size());
}

int64_t RandInt63() { return static_cast<int64_t>(labrpc::RandUint64() >> 1); }

int64_t RandInt31() { return static_cast<int64_t>(labrpc::RandUint64() >> 33); }

namespace {

std::string ServerName(int i) { return std::to_string(i); }

// No peer reports a negative term: the first observation is always traced.
const raft::RaftStatus kNotTraced{.current_term = -1};

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : " ") + n;
  return out;
}

// True if the current GoogleTest test has already failed (Go's t.Failed()).
bool TestFailed() { return ::testing::Test::HasFailure(); }

}  // namespace

// ---------------------------------------------------------------------------
// Setup and teardown.

Config::Config(int n, bool unreliable, bool snapshot)
    : n_(n),
      snapshot_(snapshot),
      start_(labrpc::Now()),
      net_(std::make_unique<labrpc::Network>()),
      rafts_(n),
      apply_err_(n),
      connected_(n, false),
      saved_(n),
      endnames_(n),
      logs_(n),
      last_applied_(n, 0),
      snapshot_requested_(n, 0),
      incarnation_(n, 0),
      checker_(n),
      traced_status_(n, kNotTraced) {
  LAB_TRACE("test", -1, "make_config n=%d unreliable=%d snapshot=%d", n,
            static_cast<int>(unreliable), static_cast<int>(snapshot));
  net_->Reliable(!unreliable);
  // Calls to unreachable peers take up to 7 s to fail, which punishes a
  // Raft that sends RPCs synchronously.
  net_->LongDelays(true);
}

Config::~Config() = default;

ConfigPtr Config::Make(int n, bool unreliable, bool snapshot) {
  ConfigPtr cfg(new Config(n, unreliable, snapshot));
  cfg->Init();
  return cfg;
}

void Config::Init() {
  for (int i = 0; i < n_; i++) Start1(i);
  for (int i = 0; i < n_; i++) Connect(i);

  // The invariant checker's feed. It holds only a weak reference, so it
  // never keeps a finished test's Config alive.
  std::weak_ptr<Config> weak = weak_from_this();
  labrpc::Go("raft-invariants", [weak] {
    for (;;) {
      labrpc::Sleep(10ms);
      ConfigPtr cfg = weak.lock();
      if (cfg == nullptr || cfg->finished_) return;
      cfg->CheckInvariants();
    }
  });
}

void RunRaftTest(int n, bool unreliable, bool snapshot,
                 const std::function<void(const ConfigPtr&)>& body) {
  RunRaftTest(labrpc::WorldOptions::FromEnv(), n, unreliable, snapshot, body);
}

void RunRaftTest(const labrpc::WorldOptions& options, int n, bool unreliable,
                 bool snapshot,
                 const std::function<void(const ConfigPtr&)>& body) {
  RunWithHarness(
      options, [&] { return Config::Make(n, unreliable, snapshot); }, body);
}

void Config::Cleanup(bool quiet) {
  finished_ = true;
  std::vector<std::shared_ptr<raft::Raft>> rafts;
  CleanupStep(quiet, [&] {
    labrpc::MutexLock l(mu_);
    rafts = rafts_;
  });
  for (auto& rf : rafts) {
    if (rf != nullptr) CleanupStep(quiet, [&] { rf->Kill(); });
  }
  CleanupStep(quiet, [&] { net_->Cleanup(); });
  if (quiet) return;
  LAB_TRACE("test", -1, "cleanup");
  CheckTimeout();
}

void Config::CheckTimeout(Location where) {
  // Only the first failure matters: a test that already failed is not also
  // blamed for its length.
  if (!TestFailed() && labrpc::Now() - start_ > kTestTimeLimit) {
    Fatal("test took longer than 120 seconds", where);
  }
}

// ---------------------------------------------------------------------------
// Crash, restart, partitions.

std::shared_ptr<raft::Raft> Config::raft(int i) {
  labrpc::MutexLock l(mu_);
  return rafts_.at(i);
}

bool Config::connected(int i) {
  labrpc::MutexLock l(mu_);
  return connected_.at(i);
}

void Config::Crash1(int i) {
  Disconnect(i);
  net_->DeleteServer(ServerName(i));  // disable client connections to it

  labrpc::MutexLock l(mu_);
  LAB_TRACE("test", i, "crash");
  incarnation_[i]++;
  // A fresh persister, so the old instance cannot overwrite what the next
  // one will read.
  if (saved_[i] != nullptr) saved_[i] = saved_[i]->Copy();

  std::shared_ptr<raft::Raft> rf = std::move(rafts_[i]);
  rafts_[i] = nullptr;
  if (rf != nullptr) {
    l.unlock();
    rf->Kill();
    l.lock();
  }

  if (saved_[i] != nullptr) {
    labrpc::Bytes raftlog = saved_[i]->ReadRaftState();
    labrpc::Bytes snapshot = saved_[i]->ReadSnapshot();
    saved_[i] = std::make_shared<raft::Persister>();
    saved_[i]->Save(raftlog, snapshot);
  }
}

void Config::Start1(int i) {
  Crash1(i);

  // A fresh set of outgoing end names, so the old crashed instance's ends
  // can no longer send.
  std::vector<std::string> names(n_);
  for (int j = 0; j < n_; j++) names[j] = RandString(20);
  std::vector<std::shared_ptr<labrpc::ClientEnd>> ends(n_);
  for (int j = 0; j < n_; j++) {
    ends[j] = net_->MakeEnd(names[j]);
    net_->Connect(names[j], ServerName(j));
  }

  // Which end is whose, so that a trace's RPCs (named by end) can be drawn
  // from peer to peer.
  LAB_TRACE("test", i, "ends %s", JoinNames(names).c_str());
  std::shared_ptr<raft::Persister> persister;
  {
    labrpc::MutexLock l(mu_);
    endnames_[i] = names;
    traced_status_[i] = kNotTraced;
    last_applied_[i] = 0;
    // A fresh persister, so the old instance doesn't overwrite the new
    // instance's persisted state. Give it the last persisted state.
    if (saved_[i] != nullptr) {
      saved_[i] = saved_[i]->Copy();
      labrpc::Bytes snapshot = saved_[i]->ReadSnapshot();
      if (!snapshot.empty()) {
        std::string err = IngestSnapLocked(i, snapshot, -1);
        if (!err.empty()) Fatal(err);
      }
    } else {
      saved_[i] = std::make_shared<raft::Persister>();
    }
    persister = saved_[i];
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
    rafts_[i] = rf;
  }

  ConfigPtr self = shared_from_this();
  std::string task = "applier-" + std::to_string(i);
  if (snapshot_) {
    labrpc::Go(task,
               [self, i, rf, apply_ch] { self->ApplierSnap(i, rf, apply_ch); });
  } else {
    labrpc::Go(task, [self, i, apply_ch] { self->Applier(i, apply_ch); });
  }

  auto srv = std::make_shared<labrpc::Server>();
  srv->AddService(rf->service());
  net_->AddServer(ServerName(i), srv);
}

void Config::SetConnectedLocked(int i, bool connected) {
  connected_[i] = connected;
  // Outgoing ends: to every connected peer (including itself).
  for (int j = 0; j < n_; j++) {
    if (endnames_[i].empty()) break;
    if (!connected || connected_[j]) net_->Enable(endnames_[i][j], connected);
  }
  // Incoming ends: from every connected peer.
  for (int j = 0; j < n_; j++) {
    if (endnames_[j].empty()) continue;
    if (!connected || connected_[j]) net_->Enable(endnames_[j][i], connected);
  }
}

void Config::Connect(int i) {
  labrpc::MutexLock l(mu_);
  LAB_TRACE("test", i, "connect");
  SetConnectedLocked(i, true);
}

void Config::Disconnect(int i) {
  labrpc::MutexLock l(mu_);
  LAB_TRACE("test", i, "disconnect");
  SetConnectedLocked(i, false);
}

void Config::SetUnreliable(bool unreliable) {
  LAB_TRACE("test", -1, "unreliable %s", unreliable ? "on" : "off");
  net_->Reliable(!unreliable);
}

void Config::SetLongReordering(bool long_reordering) {
  LAB_TRACE("test", -1, "long reordering %s", long_reordering ? "on" : "off");
  net_->LongReordering(long_reordering);
}

int Config::RpcCount(int i) { return net_->GetCount(ServerName(i)); }
int Config::RpcTotal() { return net_->GetTotalCount(); }
int64_t Config::BytesTotal() { return net_->GetTotalBytes(); }

size_t Config::LogSize() {
  labrpc::MutexLock l(mu_);
  size_t logsize = 0;
  for (auto& p : saved_) {
    if (p != nullptr) logsize = std::max(logsize, p->RaftStateSize());
  }
  return logsize;
}

// ---------------------------------------------------------------------------
// Appliers.

std::pair<std::string, bool> Config::CheckLogsLocked(int i, int index,
                                                     const labrpc::Bytes& cmd) {
  std::string err;
  for (int j = 0; j < n_; j++) {
    auto it = logs_[j].find(index);
    if (it != logs_[j].end() && it->second != cmd) {
      // Some server has already committed a different value for this entry!
      err = labrpc::Sprintf("commit index=%d server=%d %s != server=%d %s",
                            index, i, CmdToString(cmd).c_str(), j,
                            CmdToString(it->second).c_str());
    }
  }
  bool prevok = logs_[i].count(index - 1) > 0;
  logs_[i][index] = cmd;
  if (index > max_index_) max_index_ = index;
  return {err, prevok};
}

void Config::ApplyFailure(int i, const std::string& err) {
  {
    labrpc::MutexLock l(mu_);
    apply_err_[i] = err;
  }
  Fatal("apply error: " + err);
}

void Config::Applier(int i, std::shared_ptr<raft::ApplyChannel> ch) {
  while (std::optional<raft::ApplyMsg> m = ch->Receive()) {
    if (!m->command_valid) continue;  // ignore other types of ApplyMsg
    std::string err;
    bool prevok;
    {
      labrpc::MutexLock l(mu_);
      std::tie(err, prevok) = CheckLogsLocked(i, m->command_index, m->command);
    }
    if (m->command_index > 1 && !prevok) {
      err = labrpc::Sprintf("server %d apply out of order %d", i,
                            m->command_index);
    }
    if (!err.empty()) ApplyFailure(i, err);
  }
}

std::string Config::IngestSnapLocked(int i, const labrpc::Bytes& snapshot,
                                     int index) {
  if (snapshot.empty()) Fatal("nil snapshot");
  int last_included_index = 0;
  std::vector<labrpc::Bytes> xlog;
  try {
    labrpc::Decoder d(snapshot);
    d.Get(&last_included_index);
    d.Get(&xlog);
  } catch (const labrpc::DecodeError&) {
    Fatal("snapshot decode error");
  }
  if (index != -1 && index != last_included_index) {
    return labrpc::Sprintf("server %d snapshot doesn't match m.SnapshotIndex",
                           i);
  }
  logs_[i].clear();
  for (size_t j = 0; j < xlog.size(); j++) logs_[i][j] = xlog[j];
  last_applied_[i] = last_included_index;
  return "";
}

void Config::ApplierSnap(int i, std::shared_ptr<raft::Raft> rf,
                         std::shared_ptr<raft::ApplyChannel> ch) {
  while (std::optional<raft::ApplyMsg> m = ch->Receive()) {
    std::string err;
    if (m->snapshot_valid) {
      labrpc::MutexLock l(mu_);
      err = IngestSnapLocked(i, m->snapshot, m->snapshot_index);
    } else if (m->command_valid) {
      const int index = m->command_index;
      labrpc::MutexLock l(mu_);
      if (index != last_applied_[i] + 1) {
        err = labrpc::Sprintf(
            "server %d apply out of order, expected index %d, got %d", i,
            last_applied_[i] + 1, index);
      }
      if (err.empty()) {
        bool prevok;
        std::tie(err, prevok) = CheckLogsLocked(i, index, m->command);
        if (index > 1 && !prevok) {
          err = labrpc::Sprintf("server %d apply out of order %d", i, index);
        }
      }
      last_applied_[i] = index;

      if (err.empty() && (index + 1) % kSnapShotInterval == 0) {
        // The snapshot is "the state machine": lastIncludedIndex and every
        // command through it (entry 0 is empty).
        std::vector<labrpc::Bytes> xlog;
        xlog.reserve(index + 1);
        for (int j = 0; j <= index; j++) {
          auto it = logs_[i].find(j);
          xlog.push_back(it == logs_[i].end() ? labrpc::Bytes() : it->second);
        }
        labrpc::Bytes snapshot =
            labrpc::Encoder().Put(index).Put(xlog).Finish();
        snapshot_requested_[i] = std::max(snapshot_requested_[i], index);
        l.unlock();
        // Synchronously, as the Go tester does: Raft must not wait for its
        // applier while handling this.
        rf->Snapshot(index, snapshot);
      }
    }
    if (!err.empty()) ApplyFailure(i, err);
  }
}

// ---------------------------------------------------------------------------
// Checks.

int Config::CheckOneLeader(Location where) {
  for (int iters = 0; iters < 10; iters++) {
    labrpc::Sleep(std::chrono::milliseconds(450 + labrpc::RandInt(100)));

    std::vector<std::shared_ptr<raft::Raft>> peers(n_);
    {
      labrpc::MutexLock l(mu_);
      for (int i = 0; i < n_; i++) {
        if (connected_[i]) peers[i] = rafts_[i];
      }
    }
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

int Config::CheckTerms(Location where) {
  std::vector<std::shared_ptr<raft::Raft>> peers(n_);
  {
    labrpc::MutexLock l(mu_);
    for (int i = 0; i < n_; i++) {
      if (connected_[i]) peers[i] = rafts_[i];
    }
  }
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

void Config::CheckNoLeader(Location where) {
  std::vector<std::shared_ptr<raft::Raft>> peers(n_);
  {
    labrpc::MutexLock l(mu_);
    for (int i = 0; i < n_; i++) {
      if (connected_[i]) peers[i] = rafts_[i];
    }
  }
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

std::pair<int, labrpc::Bytes> Config::NCommitted(int index, Location where) {
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

std::optional<labrpc::Bytes> Config::Wait(int index, int n, int start_term,
                                          Location where) {
  labrpc::Duration to = 10ms;
  for (int iters = 0; iters < 30; iters++) {
    if (NCommitted(index, where).first >= n) break;
    labrpc::Sleep(to);
    if (to < 1s) to *= 2;
    if (start_term > -1) {
      std::vector<std::shared_ptr<raft::Raft>> peers;
      {
        labrpc::MutexLock l(mu_);
        peers = rafts_;
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

int Config::One(const labrpc::Bytes& cmd, int expected_servers, bool retry,
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
        if (connected_[starts]) rf = rafts_[starts];
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

void Config::CheckInvariants() {
  std::vector<std::pair<std::shared_ptr<raft::Raft>, int>> peers(n_);
  {
    labrpc::MutexLock l(mu_);
    for (int i = 0; i < n_; i++) peers[i] = {rafts_[i], incarnation_[i]};
  }
  for (int i = 0; i < n_; i++) {
    auto& [rf, incarnation] = peers[i];
    if (rf == nullptr) continue;
    raft::RaftStatus status = rf->Status();
    labrpc::MutexLock l(mu_);
    // Keep only answers of an instance that was still the live, current
    // incarnation afterwards: a crashed instance may run on (Kill only asks
    // it to stop) into state its successor never sees.
    if (status.killed || rafts_[i] != rf || incarnation_[i] != incarnation) {
      continue;
    }
    checker_.Observe(incarnation, status);
    TraceStatusLocked(i, status);
  }
}

void Config::TraceStatusLocked(int i, const raft::RaftStatus& s) {
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

void Config::Begin(const std::string& description) {
  std::printf("%s ...\n", description.c_str());
  std::fflush(stdout);
  LAB_TRACE("test", -1, "begin %s", description.c_str());
  t0_ = labrpc::Now();
  rpcs0_ = RpcTotal();
  bytes0_ = BytesTotal();
  labrpc::MutexLock l(mu_);
  max_index0_ = max_index_;
}

void Config::CheckSnapshotsPersisted(Location where) {
  // Raft may save a snapshot a little after Snapshot() returns, so allow it
  // a couple of seconds.
  for (int attempt = 0;; attempt++) {
    std::string problem;
    {
      labrpc::MutexLock l(mu_);
      for (int i = 0; i < n_ && problem.empty(); i++) {
        if (rafts_[i] == nullptr || snapshot_requested_[i] == 0) continue;
        const size_t snapshot = saved_[i]->SnapshotSize();
        const size_t state = saved_[i]->RaftStateSize();
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

void Config::End(Location where) {
  CheckTimeout(where);
  CheckInvariants();
  if (snapshot_ && !TestFailed()) CheckSnapshotsPersisted(where);
  if (TestFailed()) return;
  double t = std::chrono::duration<double>(labrpc::Now() - t0_).count();
  int nrpc = RpcTotal() - rpcs0_;
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
