// The scripted-peer harness of the Raft rule tests (see the header).
#include "tests/raft_rules_harness.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <utility>

#include "labrpc/codec.h"
#include "labrpc/trace.h"
#include "tests/test_world.h"

namespace raftlab_test::rules {

namespace {

constexpr labrpc::Duration kPoll = 5ms;

std::string ServerName(int peer) { return "rules-s" + std::to_string(peer); }

// A scripted follower that rejects also fills the fast-backup hint, where
// the Raft's rpc.h still has raft/rpc.h's documented fields, as a follower
// running that same Raft would. A Raft without them is unaffected.
template <class Reply>
void FillBackupHint(Reply* r, const std::vector<raft::LogEntry>& log,
                    int prev) {
  if constexpr (requires(Reply & x) {
                  x.xterm;
                  x.xindex;
                  x.xlen;
                }) {
    r->xlen = static_cast<int>(log.size());
    if (prev >= static_cast<int>(log.size())) {
      r->xterm = -1;
      return;
    }
    r->xterm = log[prev].term;
    int first = prev;
    while (first > 1 && log[first - 1].term == r->xterm) first--;
    r->xindex = first;
  }
}

}  // namespace

raft::LogEntry Entry(int term, int cmd) {
  return raft::LogEntry{term, labrpc::Encode(cmd)};
}

std::vector<raft::LogEntry> Entries(int term, const std::vector<int>& cmds) {
  std::vector<raft::LogEntry> out;
  for (int c : cmds) out.push_back(Entry(term, c));
  return out;
}

raft::RequestVoteArgs VoteArgs(int term, int candidate, int last_log_index,
                               int last_log_term) {
  raft::RequestVoteArgs a;
  a.term = term;
  a.candidate_id = candidate;
  a.last_log_index = last_log_index;
  a.last_log_term = last_log_term;
  return a;
}

raft::InstallSnapshotArgs SnapArgs(int term, int leader, int index,
                                   int last_term) {
  raft::InstallSnapshotArgs a;
  a.term = term;
  a.leader_id = leader;
  a.last_included_index = index;
  a.last_included_term = last_term;
  a.data = labrpc::Encode(index);
  return a;
}

struct Harness::Instance {
  std::shared_ptr<raft::Raft> rf;
  std::vector<std::string> end_names;
  bool crashed = false;
};

Harness::Harness(int n)
    : n_(n),
      vote_handler_(RefuseVote),
      append_handler_(Follow),
      snap_handler_(AcceptSnapshot),
      logs_(n, std::vector<raft::LogEntry>(1)) {}

Harness::~Harness() = default;

std::shared_ptr<Harness> Harness::Make(int n) {
  std::shared_ptr<Harness> h(new Harness(n));
  std::weak_ptr<Harness> weak = h;
  for (int p = 0; p < n; p++) {
    if (p == kMe) {
      h->to_me_.push_back(nullptr);
      continue;
    }
    // The services hold the harness weakly: the harness owns the network,
    // which owns the servers.
    auto svc = std::make_shared<labrpc::Service>("Raft");
    auto expose = [&]<class A, class R>(
                      const char* method,
                      std::vector<Exchange<A, R>> Harness::*log,
                      Handler<A, R> Harness::*handler) {
      svc->Register<A, R>(method, [weak, p, log, handler](const A& a, R* r) {
        if (auto self = weak.lock()) self->Serve(p, a, r, log, handler);
      });
    };
    expose("RequestVote", &Harness::votes_, &Harness::vote_handler_);
    expose("AppendEntries", &Harness::appends_, &Harness::append_handler_);
    expose("InstallSnapshot", &Harness::snaps_, &Harness::snap_handler_);
    auto server = std::make_shared<labrpc::Server>();
    server->AddService(svc);
    h->net_.AddServer(ServerName(p), server);

    std::string name = "rules-from-" + std::to_string(p);
    h->to_me_.push_back(h->net_.MakeEnd(name));
    h->net_.Connect(name, ServerName(kMe));
    h->net_.Enable(name, true);
  }
  h->StartInstance();
  return h;
}

void Harness::StartInstance() {
  auto inst = std::make_shared<Instance>();
  int gen;
  std::shared_ptr<raft::Persister> persister;
  {
    labrpc::MutexLock l(mu_);
    gen = ++generation_;
    if (persister_ == nullptr) persister_ = std::make_shared<raft::Persister>();
    persister = persister_;
    applied_.clear();
    last_applied_ = 0;
  }
  // The test's snapshots are the encoded index they cover; the service
  // restarts from the persisted one, so applying resumes after it.
  labrpc::Bytes snap = persister->ReadSnapshot();
  if (!snap.empty()) {
    int index = 0;
    try {
      index = labrpc::Decode<int>(snap);
    } catch (const labrpc::DecodeError&) {
      Fatal(
          "the persisted snapshot is not one the test sent (Figure 13: "
          "save the snapshot the leader sent, as is)");
    }
    labrpc::MutexLock l(mu_);
    last_applied_ = index;
  }

  std::vector<std::shared_ptr<labrpc::ClientEnd>> ends;
  for (int j = 0; j < n_; j++) {
    std::string name =
        "rules-g" + std::to_string(gen) + "-to-" + std::to_string(j);
    ends.push_back(net_.MakeEnd(name));
    net_.Connect(name, ServerName(j));
    if (j != kMe) net_.Enable(name, true);
    inst->end_names.push_back(name);
  }
  auto ch = std::make_shared<raft::ApplyChannel>(0, "rules-apply");
  inst->rf = raft::Raft::Make(ends, kMe, persister, ch);
  auto server = std::make_shared<labrpc::Server>();
  server->AddService(inst->rf->service());
  net_.AddServer(ServerName(kMe), server);
  {
    labrpc::MutexLock l(mu_);
    inst_ = inst;
  }
  std::weak_ptr<Harness> weak = weak_from_this();
  labrpc::Go("rules-applier", [weak, ch, gen] {
    while (std::optional<raft::ApplyMsg> m = ch->Receive()) {
      auto self = weak.lock();
      if (self == nullptr) return;
      self->OnApply(gen, std::move(*m));
    }
  });
}

void Harness::OnApply(int generation, raft::ApplyMsg msg) {
  labrpc::MutexLock l(mu_);
  if (generation != generation_) return;  // a crashed instance's leftovers
  if (msg.command_valid == msg.snapshot_valid) {
    Fatal(labrpc::Sprintf(
        "an ApplyMsg with command_valid=%d and snapshot_valid=%d: exactly one "
        "must be true",
        msg.command_valid, msg.snapshot_valid));
  }
  if (msg.command_valid) {
    try {
      labrpc::Decode<int>(msg.command);
    } catch (const labrpc::DecodeError&) {
      Fatal(
          labrpc::Sprintf("applied index %d holds a command the test never "
                          "sent (%zu bytes)",
                          msg.command_index, msg.command.size()));
    }
    if (msg.command_index != last_applied_ + 1) {
      Fatal(labrpc::Sprintf(
          "Figure 2, Rules for Servers, All Servers: \"if commitIndex > "
          "lastApplied: increment lastApplied, apply log[lastApplied]\": "
          "applied index %d right after %d (entries must be applied in log "
          "order, without gaps)",
          msg.command_index, last_applied_));
    }
    last_applied_ = msg.command_index;
  } else {
    if (msg.snapshot_index < last_applied_) {
      Fatal(labrpc::Sprintf(
          "Figure 13, InstallSnapshot: delivered a snapshot through index %d "
          "after index %d had been applied, which takes the service back (a "
          "snapshot older than what the peer has must be ignored)",
          msg.snapshot_index, last_applied_));
    }
    last_applied_ = msg.snapshot_index;
  }
  applied_.push_back(Applied{labrpc::Now(), std::move(msg)});
}

template <class Args, class Reply>
void Harness::Serve(int peer, const Args& args, Reply* reply,
                    std::vector<Exchange<Args, Reply>> Harness::*log,
                    Handler<Args, Reply> Harness::*handler) {
  size_t slot;
  Handler<Args, Reply> fn;
  {
    labrpc::MutexLock l(mu_);
    Exchange<Args, Reply> e;
    e.peer = peer;
    e.at = labrpc::Now();
    e.args = args;
    (this->*log).push_back(std::move(e));
    slot = (this->*log).size() - 1;
    fn = this->*handler;
  }
  fn(*this, peer, args, reply);
  labrpc::MutexLock l(mu_);
  Exchange<Args, Reply>& e = (this->*log)[slot];
  e.replied = true;
  e.replied_at = labrpc::Now();
  e.reply = *reply;
}

void Harness::Cleanup(bool quiet) {
  std::shared_ptr<Instance> inst;
  CleanupStep(quiet, [&] {
    labrpc::MutexLock l(mu_);
    stopping_ = true;
    heartbeat_generation_++;
    inst = inst_;
  });
  if (inst != nullptr) CleanupStep(quiet, [&] { inst->rf->Kill(); });
  CleanupStep(quiet, [&] { net_.Cleanup(); });
}

// ---- The peer under test ----

void Harness::Crash() {
  std::shared_ptr<Instance> inst;
  std::shared_ptr<raft::Persister> persister;
  {
    labrpc::MutexLock l(mu_);
    inst = inst_;
    persister = persister_;
  }
  if (inst == nullptr || inst->crashed) return;
  for (const std::string& name : inst->end_names) net_.Enable(name, false);
  net_.DeleteServer(ServerName(kMe));
  std::shared_ptr<raft::Persister> copy = persister->Copy();
  inst->rf->Kill();
  labrpc::MutexLock l(mu_);
  inst->crashed = true;
  persister_ = copy;
}

void Harness::Restart() {
  Crash();
  StartInstance();
}

std::shared_ptr<Harness::Instance> Harness::Current() {
  labrpc::MutexLock l(mu_);
  return inst_;
}

void Harness::Kill() { Current()->rf->Kill(); }

std::pair<int, bool> Harness::State() { return Current()->rf->GetState(); }

raft::Raft::StartResult Harness::Start(int cmd) {
  return Current()->rf->Start(labrpc::Encode(cmd));
}

void Harness::Snapshot(int index) {
  Current()->rf->Snapshot(index, labrpc::Encode(index));
}

raft::RaftStatus Harness::Status() { return Current()->rf->Status(); }

// ---- RPCs to the peer ----

namespace {
template <class Args, class Reply>
Reply CallMe(const std::shared_ptr<labrpc::ClientEnd>& end,
             const std::string& method, int from, const Args& args) {
  Reply reply{};
  if (!end->Call("Raft." + method, args, &reply)) {
    Fatal(
        labrpc::Sprintf("the peer under test did not answer %s from S%d "
                        "(term %d) on a reliable network",
                        method.c_str(), from, args.term));
  }
  return reply;
}
}  // namespace

raft::RequestVoteReply Harness::RequestVote(int from,
                                            const raft::RequestVoteArgs& a) {
  return CallMe<raft::RequestVoteArgs, raft::RequestVoteReply>(
      to_me_.at(from), "RequestVote", from, a);
}

raft::AppendEntriesReply Harness::AppendEntries(
    int from, const raft::AppendEntriesArgs& a) {
  return CallMe<raft::AppendEntriesArgs, raft::AppendEntriesReply>(
      to_me_.at(from), "AppendEntries", from, a);
}

raft::InstallSnapshotReply Harness::InstallSnapshot(
    int from, const raft::InstallSnapshotArgs& a) {
  return CallMe<raft::InstallSnapshotArgs, raft::InstallSnapshotReply>(
      to_me_.at(from), "InstallSnapshot", from, a);
}

namespace {
raft::AppendEntriesArgs AppendArgs(int from, int term, int prev_index,
                                   int prev_term,
                                   std::vector<raft::LogEntry> entries,
                                   int leader_commit) {
  raft::AppendEntriesArgs a;
  a.term = term;
  a.leader_id = from;
  a.prev_log_index = prev_index;
  a.prev_log_term = prev_term;
  a.entries = std::move(entries);
  a.leader_commit = leader_commit;
  return a;
}
}  // namespace

raft::AppendEntriesReply Harness::Append(int from, int term, int prev_index,
                                         int prev_term,
                                         std::vector<raft::LogEntry> entries,
                                         int leader_commit) {
  return AppendEntries(from, AppendArgs(from, term, prev_index, prev_term,
                                        std::move(entries), leader_commit));
}

std::optional<raft::AppendEntriesReply> Harness::TryAppend(
    int from, int term, int prev_index, int prev_term,
    std::vector<raft::LogEntry> entries, int leader_commit) {
  raft::AppendEntriesReply r;
  if (!to_me_.at(from)->Call("Raft.AppendEntries",
                             AppendArgs(from, term, prev_index, prev_term,
                                        std::move(entries), leader_commit),
                             &r)) {
    return std::nullopt;
  }
  return r;
}

void Harness::StartHeartbeats(int from, int term) {
  int gen;
  {
    labrpc::MutexLock l(mu_);
    gen = ++heartbeat_generation_;
  }
  std::shared_ptr<Harness> self = shared_from_this();
  std::shared_ptr<labrpc::ClientEnd> end = to_me_.at(from);
  labrpc::Go("rules-heartbeats", [self, end, from, term, gen] {
    raft::AppendEntriesArgs a;
    a.term = term;
    a.leader_id = from;
    for (;;) {
      {
        labrpc::MutexLock l(self->mu_);
        if (self->heartbeat_generation_ != gen) return;
      }
      raft::AppendEntriesReply r;
      end->Call("Raft.AppendEntries", a, &r);
      labrpc::Sleep(kScriptedHeartbeat);
    }
  });
}

void Harness::StopHeartbeats() {
  labrpc::MutexLock l(mu_);
  heartbeat_generation_++;
}

// ---- Scripted peers ----

void Harness::OnRequestVote(VoteHandler handler) {
  labrpc::MutexLock l(mu_);
  vote_handler_ = std::move(handler);
}

void Harness::OnAppendEntries(AppendHandler handler) {
  labrpc::MutexLock l(mu_);
  append_handler_ = std::move(handler);
}

void Harness::OnInstallSnapshot(SnapHandler handler) {
  labrpc::MutexLock l(mu_);
  snap_handler_ = std::move(handler);
}

void Harness::SetReachable(int peer, bool yes) {
  std::string name;
  {
    labrpc::MutexLock l(mu_);
    name = inst_->end_names.at(peer);
  }
  net_.Enable(name, yes);
}

void Harness::SetLog(int peer, const std::vector<raft::LogEntry>& entries) {
  labrpc::MutexLock l(mu_);
  logs_.at(peer).assign(1, raft::LogEntry{});
  logs_[peer].insert(logs_[peer].end(), entries.begin(), entries.end());
}

void Harness::RefuseVote(Harness&, int, const raft::RequestVoteArgs& a,
                         raft::RequestVoteReply* r) {
  r->term = a.term;
  r->vote_granted = false;
}

void Harness::GrantVote(Harness& h, int peer, const raft::RequestVoteArgs& a,
                        raft::RequestVoteReply* r) {
  labrpc::MutexLock l(h.mu_);
  const std::vector<raft::LogEntry>& log = h.logs_.at(peer);
  int last_index = static_cast<int>(log.size()) - 1;
  int last_term = log.back().term;
  r->term = a.term;
  r->vote_granted =
      a.last_log_term > last_term ||
      (a.last_log_term == last_term && a.last_log_index >= last_index);
}

void Harness::Follow(Harness& h, int peer, const raft::AppendEntriesArgs& a,
                     raft::AppendEntriesReply* r) {
  labrpc::MutexLock l(h.mu_);
  std::vector<raft::LogEntry>& log = h.logs_.at(peer);
  r->term = a.term;
  r->success = false;
  if (a.prev_log_index < 0 ||
      a.prev_log_index >= static_cast<int>(log.size()) ||
      log[a.prev_log_index].term != a.prev_log_term) {
    FillBackupHint(r, log, a.prev_log_index);
    return;
  }
  for (size_t i = 0; i < a.entries.size(); i++) {
    size_t index = static_cast<size_t>(a.prev_log_index) + 1 + i;
    if (index < log.size() && log[index].term != a.entries[i].term) {
      log.resize(index);
    }
    if (index >= log.size()) log.push_back(a.entries[i]);
  }
  r->success = true;
}

void Harness::AcceptSnapshot(Harness&, int, const raft::InstallSnapshotArgs& a,
                             raft::InstallSnapshotReply* r) {
  r->term = a.term;
}

bool Harness::Stopping() const {
  labrpc::MutexLock l(mu_);
  return stopping_;
}

bool Harness::HoldUntil(const std::function<bool()>& pred,
                        labrpc::Duration bound) {
  return WaitUntil(bound, [&] { return Stopping() || pred(); }) && !Stopping();
}

// ---- Records ----

std::vector<VoteExchange> Harness::Votes() {
  labrpc::MutexLock l(mu_);
  return votes_;
}
std::vector<AppendExchange> Harness::Appends() {
  labrpc::MutexLock l(mu_);
  return appends_;
}
std::vector<SnapExchange> Harness::Snaps() {
  labrpc::MutexLock l(mu_);
  return snaps_;
}
std::vector<Applied> Harness::ApplyLog() {
  labrpc::MutexLock l(mu_);
  return applied_;
}

labrpc::Bytes Harness::PersistedSnapshot() {
  std::shared_ptr<raft::Persister> persister;
  {
    labrpc::MutexLock l(mu_);
    persister = persister_;
  }
  return persister->ReadSnapshot();
}

// ---- Waiting ----

bool Harness::WaitUntil(labrpc::Duration bound,
                        const std::function<bool()>& pred) {
  labrpc::Duration deadline = labrpc::Now() + bound;
  for (;;) {
    if (pred()) return true;
    if (labrpc::Now() >= deadline) return false;
    labrpc::Sleep(kPoll);
  }
}

std::optional<VoteExchange> Harness::AwaitVoteRequest(int min_term,
                                                      labrpc::Duration since,
                                                      labrpc::Duration bound) {
  std::optional<VoteExchange> found;
  WaitUntil(bound, [&] {
    labrpc::MutexLock l(mu_);
    for (const VoteExchange& v : votes_) {
      if (v.at >= since && v.args.term >= min_term) {
        found = v;
        return true;
      }
    }
    return false;
  });
  return found;
}

int Harness::ElectMe(const std::string& why) {
  OnRequestVote(GrantVote);
  std::pair<int, bool> st;
  if (!WaitUntil(kElectionBound, [&] {
        st = State();
        return st.second;
      })) {
    Fatal(
        "Figure 2, Rules for Servers, Candidates: \"if votes received from "
        "majority of servers: become leader\": every scripted peer grants "
        "its vote, yet the peer did not lead within 5 s (" +
        why + ")");
  }
  return st.first;
}

std::string Harness::DescribeApplied() {
  std::string out = "[";
  for (const Applied& a : ApplyLog()) {
    if (out.size() > 1) out += " ";
    if (a.msg.snapshot_valid) {
      out += "snapshot@" + std::to_string(a.msg.snapshot_index);
    } else {
      out += "cmd " + std::to_string(labrpc::Decode<int>(a.msg.command)) + "@" +
             std::to_string(a.msg.command_index);
    }
  }
  return out + "]";
}

void Harness::AwaitApplied(size_t count, labrpc::Duration bound,
                           const std::string& rule) {
  if (WaitUntil(bound, [&] {
        labrpc::MutexLock l(mu_);
        return applied_.size() >= count;
      })) {
    return;
  }
  Fatal(labrpc::Sprintf(
            "%s: expected %zu ApplyMsgs within %.1f s; the service got ",
            rule.c_str(), count, std::chrono::duration<double>(bound).count()) +
        DescribeApplied());
}

void Harness::ExpectCommands(int first, const std::vector<int>& cmds,
                             const std::string& rule) {
  std::vector<bool> seen(cmds.size(), false);
  bool ok = true;
  for (const Applied& a : ApplyLog()) {
    if (!a.msg.command_valid) continue;
    int i = a.msg.command_index - first;
    if (i < 0 || i >= static_cast<int>(cmds.size())) continue;
    if (labrpc::Decode<int>(a.msg.command) != cmds[i]) ok = false;
    seen[i] = true;
  }
  ok = ok && std::all_of(seen.begin(), seen.end(), [](bool b) { return b; });
  if (ok) return;
  std::string want;
  for (size_t i = 0; i < cmds.size(); i++) {
    want += (i ? " cmd " : "cmd ") + std::to_string(cmds[i]) + "@" +
            std::to_string(first + static_cast<int>(i));
  }
  Fatal(rule + ": the service should have got [" + want + "], got " +
        DescribeApplied());
}

void MustAppend(Harness& h, int from, int term, int prev, int prev_term,
                std::vector<raft::LogEntry> entries, int commit,
                const std::string& why) {
  raft::AppendEntriesReply r =
      h.Append(from, term, prev, prev_term, std::move(entries), commit);
  if (!r.success || r.term != term) {
    Fatal(labrpc::Sprintf(
        "Figure 2, AppendEntries receiver: S%d (leader of term %d), "
        "prevLogIndex %d, prevLogTerm %d: %s; got success=%d term=%d",
        from, term, prev, prev_term, why.c_str(), r.success, r.term));
  }
}

void RunRules(int n, const std::function<void(Harness& h)>& body) {
  RunRules(labrpc::WorldOptions::FromEnv(), n, body);
}

void RunRules(const labrpc::WorldOptions& options, int n,
              const std::function<void(Harness& h)>& body) {
  RunWithHarness(
      options, [&] { return Harness::Make(n); },
      [&](const std::shared_ptr<Harness>& h) { body(*h); });
}

}  // namespace raftlab_test::rules
