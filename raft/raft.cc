// Raft: elections, log replication, persistence and snapshots (Figure 2 and
// Figure 13 of the Raft paper). Rules quoted in comments are Figure 2's.
#include "raft/raft.h"

#include <chrono>
#include <string>
#include <utility>
// SOLUTION BEGIN
#include <algorithm>
#include <mutex>
#include <stdexcept>
// SOLUTION END

#include "labrpc/trace.h"
// SOLUTION BEGIN
#include "raft/ablation.h"
// SOLUTION END

namespace raft {

namespace {

// SOLUTION BEGIN
// The tests allow at most 10 heartbeats per second.
constexpr labrpc::Duration kHeartbeatInterval = std::chrono::milliseconds(100);
// Election timeouts are drawn from [min, min + spread): well above the
// heartbeat interval, so a few lost heartbeats do not start an election, and
// short enough to elect a new leader well within the tests' 5 s.
constexpr int64_t kElectionTimeoutMinMs = 300;
constexpr int64_t kElectionTimeoutSpreadMs = 300;
// A leader that has not heard from a majority for the longest election
// timeout steps down: the majority has likely elected someone else, and a
// deposed leader that still believes in itself accepts commands that can
// never commit (section 6.2 of Ongaro's dissertation).
constexpr labrpc::Duration kLeaderQuorumTimeout =
    std::chrono::milliseconds(kElectionTimeoutMinMs + kElectionTimeoutSpreadMs);
// SOLUTION END

std::string TaskName(int me, const char* what) {
  return "raft-S" + std::to_string(me) + "-" + what;
}

}  // namespace

Raft::Raft(std::vector<std::shared_ptr<labrpc::ClientEnd>> peers, int me,
           std::shared_ptr<Persister> persister,
           std::shared_ptr<ApplyChannel> apply_ch)
    : peers_(std::move(peers)),
      persister_(std::move(persister)),
      me_(me),
      apply_ch_(std::move(apply_ch)) {}

std::shared_ptr<Raft> Raft::Make(
    std::vector<std::shared_ptr<labrpc::ClientEnd>> peers, int me,
    std::shared_ptr<Persister> persister,
    std::shared_ptr<ApplyChannel> apply_ch) {
  std::shared_ptr<Raft> rf(new Raft(std::move(peers), me, std::move(persister),
                                    std::move(apply_ch)));
  {
    labrpc::MutexLock l(rf->mu_);
    // Initialize from state persisted before a crash.
    rf->ReadPersist(rf->persister_->ReadRaftState());
    // SOLUTION BEGIN
    rf->snapshot_ = rf->persister_->ReadSnapshot();
    if (rf->log_.snapshot_index() > 0 && rf->snapshot_.empty()) {
      LAB_TRACE("snapshot", me,
                "persisted log starts at %d but there is no snapshot",
                rf->log_.snapshot_index());
    }
    // The service restores its own state from the snapshot (the tester
    // ingests it in start1), so the first entry to apply is the one after.
    rf->commit_index_ = rf->log_.snapshot_index();
    rf->last_applied_ = rf->log_.snapshot_index();
    rf->next_index_.assign(rf->peers_.size(), rf->log_.last_index() + 1);
    rf->match_index_.assign(rf->peers_.size(), 0);
    rf->calls_sent_.assign(rf->peers_.size(), 0);
    rf->latest_returned_.assign(rf->peers_.size(), 0);
    rf->ResetElectionTimerLocked();
    LAB_TRACE(
        "persist", me,
        "restart: term %d, voted for %d, log (%d, %d], snapshot %zu bytes",
        rf->current_term_, rf->voted_for_, rf->log_.snapshot_index(),
        rf->log_.last_index(), rf->snapshot_.size());
    // SOLUTION END
  }
  // SOLUTION BEGIN
  labrpc::Go(TaskName(me, "applier"), [rf] {
    rf->Applier();
    // Applier() returns only once the peer is killed: closing the channel
    // lets the service's reader task end too (see Kill() in raft.h).
    rf->apply_ch_->Close();
  });
  // SOLUTION END
  // Start the ticker task to start elections.
  labrpc::Go(TaskName(me, "ticker"), [rf] { rf->Ticker(); });
  return rf;
}

// ---------------------------------------------------------------------------
// The service-facing API.

std::pair<int, bool> Raft::GetState() {
  labrpc::MutexLock l(mu_);
  // SOLUTION BEGIN
  return {current_term_, role_ == Role::kLeader};
  // SOLUTION END
  //@ // Your code here (2A).
  //@ return {0, false};
}

Raft::StartResult Raft::Start(const labrpc::Bytes& command) {
  // SOLUTION BEGIN
  labrpc::MutexLock l(mu_);
  if (Killed() || role_ != Role::kLeader) return {-1, current_term_, false};
  // Rules for Servers, Leaders: "If command received from client: append
  // entry to local log, respond after entry applied to state machine".
  int index = log_.Append(LogEntry{current_term_, command});
  match_index_[me_] = index;
  Persist();
  LAB_TRACE("log", me_, "start: append index %d in term %d (%zu bytes)", index,
            current_term_, command.size());
  AdvanceCommitLocked();  // a one-peer cluster commits at once
  ScheduleReplicationLocked();
  return {index, current_term_, true};
  // SOLUTION END
  //@ // Your code here (2B).
  //@ (void)command;
  //@ return {-1, -1, false};
}

void Raft::Snapshot(int index, const labrpc::Bytes& snapshot) {
  // SOLUTION BEGIN
  if (Ablated("snapshots")) return;
  labrpc::MutexLock l(mu_);
  if (index <= log_.snapshot_index() || index > commit_index_) {
    LAB_TRACE("snapshot", me_,
              "ignore Snapshot(%d): snapshot index %d, commit index %d", index,
              log_.snapshot_index(), commit_index_);
    return;
  }
  log_.Compact(index);
  snapshot_ = snapshot;
  Persist();
  LAB_TRACE("snapshot", me_,
            "service snapshot through %d (%zu bytes); log (%d, %d]", index,
            snapshot.size(), log_.snapshot_index(), log_.last_index());
  // SOLUTION END
  //@ // Your code here (2D).
  //@ (void)index;
  //@ (void)snapshot;
}

void Raft::Kill() {
  dead_.store(true);
  // SOLUTION BEGIN
  labrpc::MutexLock l(mu_);
  LAB_TRACE("leader", me_, "killed in term %d", current_term_);
  apply_cond_.NotifyAll();
  tick_cond_.NotifyAll();
  // SOLUTION END
  //@ // Your code here, if desired.
}

bool Raft::Killed() const { return dead_.load(); }

RaftStatus Raft::Status() {
  // SOLUTION BEGIN
  labrpc::MutexLock l(mu_);
  RaftStatus st;
  st.me = me_;
  st.current_term = current_term_;
  st.is_leader = role_ == Role::kLeader;
  st.commit_index = commit_index_;
  st.last_applied = last_applied_;
  st.last_log_index = log_.last_index();
  st.snapshot_index = log_.snapshot_index();
  st.killed = Killed();
  return st;
  // SOLUTION END
  //@ // Fill this in from your state (2A, 2B; 2D: snapshot_index): the
  //@ // tester checks invariants on it.
  //@ auto [term, is_leader] = GetState();
  //@ return RaftStatus{me_, term, is_leader, 0, 0, 0, 0, Killed()};
}

std::shared_ptr<labrpc::Service> Raft::service() {
  auto svc = std::make_shared<labrpc::Service>("Raft");
  // Weak, because the peer's own ends keep the network, and so this
  // service, alive: a strong pointer would make a cycle that is never freed.
  // Whoever serves the peer (the tester, the KV server) owns it.
  std::weak_ptr<Raft> weak = weak_from_this();
  svc->Register<RequestVoteArgs, RequestVoteReply>(
      "RequestVote",
      [weak](const RequestVoteArgs& args, RequestVoteReply* reply) {
        if (auto self = weak.lock()) self->RequestVote(args, reply);
      });
  svc->Register<AppendEntriesArgs, AppendEntriesReply>(
      "AppendEntries",
      [weak](const AppendEntriesArgs& args, AppendEntriesReply* reply) {
        if (auto self = weak.lock()) self->AppendEntries(args, reply);
      });
  svc->Register<InstallSnapshotArgs, InstallSnapshotReply>(
      "InstallSnapshot",
      [weak](const InstallSnapshotArgs& args, InstallSnapshotReply* reply) {
        if (auto self = weak.lock()) self->InstallSnapshot(args, reply);
      });
  return svc;
}

// ---------------------------------------------------------------------------
// Persistence.

void Raft::Persist() {
  // SOLUTION BEGIN
  LAB_ASSERT_HELD(mu_);
  if (Ablated("persistence")) return;
  persister_->Save(EncodeStateLocked(), snapshot_);
  LAB_TRACE("persist", me_, "save: term %d, voted for %d, log (%d, %d]",
            current_term_, voted_for_, log_.snapshot_index(),
            log_.last_index());
  // SOLUTION END
  //@ // Your code here (2C).
  //@ // Example:
  //@ // labrpc::Bytes state =
  //@ //     labrpc::Encoder().Put(xxx).Put(yyy).Finish();
  //@ // persister_->Save(state, snapshot);  // the current snapshot!
}

void Raft::ReadPersist(const labrpc::Bytes& data) {
  if (data.empty()) return;  // bootstrap without any state
  // SOLUTION BEGIN
  int term = 0;
  int voted_for = -1;
  RaftLog log;
  try {
    labrpc::Decoder d(data);
    d.Get(&term);
    d.Get(&voted_for);
    d.Get(&log);
    if (!d.AtEnd()) throw labrpc::DecodeError("trailing bytes");
    if (term < 0) throw std::runtime_error("negative term");
    if (voted_for < -1 || voted_for >= static_cast<int>(peers_.size())) {
      throw std::runtime_error("voted_for " + std::to_string(voted_for) +
                               " is not a peer");
    }
    log.Validate();
    if (log.last_term() > term) {
      throw std::runtime_error("log term " + std::to_string(log.last_term()) +
                               " is newer than current term");
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(
        "raft S" + std::to_string(me_) + ": corrupt persisted state (" +
        std::to_string(data.size()) + " bytes): " + e.what());
  }
  current_term_ = term;
  voted_for_ = voted_for;
  log_ = std::move(log);
  // SOLUTION END
  //@ // Your code here (2C).
  //@ // Example:
  //@ // labrpc::Decoder d(data);
  //@ // d.Get(&xxx);
  //@ // d.Get(&yyy);
}

// SOLUTION BEGIN
labrpc::Bytes Raft::EncodeStateLocked() const {
  LAB_ASSERT_HELD(mu_);
  return labrpc::Encoder()
      .Put(current_term_)
      .Put(voted_for_)
      .Put(log_)
      .Finish();
}
// SOLUTION END

// ---------------------------------------------------------------------------
// The ticker: election timeouts and heartbeats.

void Raft::Ticker() {
  // SOLUTION BEGIN
  labrpc::MutexLock l(mu_);
  while (!Killed()) {
    labrpc::Duration now = labrpc::Now();
    labrpc::Duration wake;
    if (role_ == Role::kLeader) {
      // Rules for Servers, Leaders: "repeat during idle periods to prevent
      // election timeouts".
      if (now >= heartbeat_due_) {
        if (!HasQuorumLocked(now)) {
          LAB_TRACE("leader", me_,
                    "no majority heard from for %lld ms: step down in term %d",
                    static_cast<long long>(
                        std::chrono::duration_cast<std::chrono::milliseconds>(
                            kLeaderQuorumTimeout)
                            .count()),
                    current_term_);
          BecomeFollowerLocked(current_term_);
          continue;
        }
        BroadcastLocked(/*heartbeat=*/true);
        heartbeat_due_ = now + kHeartbeatInterval;
      }
      wake = heartbeat_due_;
    } else {
      // Rules for Servers, Followers: "If election timeout elapses without
      // receiving AppendEntries RPC from current leader or granting vote to
      // candidate: convert to candidate". Candidates: "If election timeout
      // elapses: start new election".
      if (now >= election_deadline_) {
        StartElectionLocked();
        continue;  // may have won at once (one-peer cluster)
      }
      wake = election_deadline_;
    }
    tick_cond_.WaitFor(mu_, wake - now);
  }
  // SOLUTION END
  //@ while (!Killed()) {
  //@   // Your code here (2A)
  //@   // Check if a leader election should be started.
  //@
  //@   // Pause for a random amount of time between 50 and 350
  //@   // milliseconds.
  //@   labrpc::Sleep(std::chrono::milliseconds(50 + labrpc::RandInt(300)));
  //@ }
}

// SOLUTION BEGIN

// ---------------------------------------------------------------------------
// Elections.

void Raft::ResetElectionTimerLocked() {
  LAB_ASSERT_HELD(mu_);
  // The ablation draws nothing, like a student's Raft that forgot to.
  const int spread = Ablated("fixed_election_timeout")
                         ? 0
                         : labrpc::RandInt(kElectionTimeoutSpreadMs);
  election_deadline_ =
      labrpc::Now() + std::chrono::milliseconds(kElectionTimeoutMinMs + spread);
}

void Raft::BecomeFollowerLocked(int term) {
  LAB_ASSERT_HELD(mu_);
  if (term > current_term_) {
    LAB_TRACE("term", me_, "term %d -> %d", current_term_, term);
    current_term_ = term;
    voted_for_ = -1;
    Persist();
  }
  if (role_ == Role::kLeader) {
    LAB_TRACE("leader", me_, "step down in term %d", current_term_);
    // A leader's election timer is stale; start a fresh one.
    ResetElectionTimerLocked();
  }
  role_ = Role::kFollower;
}

void Raft::StartElectionLocked() {
  LAB_ASSERT_HELD(mu_);
  // Rules for Servers, Candidates: "On conversion to candidate, start
  // election: increment currentTerm, vote for self, reset election timer,
  // send RequestVote RPCs to all other servers".
  current_term_++;
  role_ = Role::kCandidate;
  voted_for_ = me_;
  votes_ = 1;
  Persist();
  ResetElectionTimerLocked();
  LAB_TRACE("election", me_, "start election for term %d (last log %d/%d)",
            current_term_, log_.last_index(), log_.last_term());
  if (votes_ * 2 > static_cast<int>(peers_.size())) {
    BecomeLeaderLocked();
    return;
  }
  RequestVoteArgs args{current_term_, me_, log_.last_index(), log_.last_term()};
  std::shared_ptr<Raft> self = shared_from_this();
  for (int peer = 0; peer < static_cast<int>(peers_.size()); peer++) {
    if (peer == me_) continue;
    labrpc::Go(TaskName(me_, "vote"),
               [self, peer, args] { self->SendRequestVote(peer, args); });
  }
}

void Raft::SendRequestVote(int peer, RequestVoteArgs args) {
  RequestVoteReply reply;
  if (!peers_[peer]->Call("Raft.RequestVote", args, &reply)) return;
  labrpc::MutexLock l(mu_);
  if (Killed()) return;
  // Rules for Servers, All Servers: "If RPC request or response contains
  // term T > currentTerm: set currentTerm = T, convert to follower".
  if (reply.term > current_term_) {
    BecomeFollowerLocked(reply.term);
    return;
  }
  // A reply to an earlier election, or one we have already won or lost.
  if (role_ != Role::kCandidate || current_term_ != args.term) return;
  if (!reply.vote_granted) return;
  votes_++;
  LAB_TRACE("vote", me_, "vote from S%d in term %d (%d votes)", peer,
            current_term_, votes_);
  // Candidates: "If votes received from majority of servers: become
  // leader".
  if (votes_ * 2 > static_cast<int>(peers_.size())) BecomeLeaderLocked();
}

bool Raft::HasQuorumLocked(labrpc::Duration now) const {
  LAB_ASSERT_HELD(mu_);
  int heard = 1;  // itself
  for (int peer = 0; peer < static_cast<int>(peers_.size()); peer++) {
    if (peer != me_ && now - last_contact_[peer] < kLeaderQuorumTimeout) {
      heard++;
    }
  }
  return heard * 2 > static_cast<int>(peers_.size());
}

void Raft::BecomeLeaderLocked() {
  LAB_ASSERT_HELD(mu_);
  role_ = Role::kLeader;
  LAB_TRACE("leader", me_, "leader for term %d (log (%d, %d])", current_term_,
            log_.snapshot_index(), log_.last_index());
  // "Reinitialized after election": nextIndex to leader last log index + 1,
  // matchIndex to 0.
  next_index_.assign(peers_.size(), log_.last_index() + 1);
  match_index_.assign(peers_.size(), 0);
  match_index_[me_] = log_.last_index();
  last_contact_.assign(peers_.size(), labrpc::Now());
  // Leaders: "Upon election: send initial empty AppendEntries RPCs
  // (heartbeat) to each server".
  BroadcastLocked(/*heartbeat=*/true);
  heartbeat_due_ = labrpc::Now() + kHeartbeatInterval;
  tick_cond_.NotifyAll();  // the ticker now keeps heartbeat time
}

// SOLUTION END

void Raft::RequestVote(const RequestVoteArgs& args, RequestVoteReply* reply) {
  // SOLUTION BEGIN
  labrpc::MutexLock l(mu_);
  if (args.term > current_term_) BecomeFollowerLocked(args.term);
  reply->term = current_term_;
  reply->vote_granted = false;
  // Receiver implementation 1: "Reply false if term < currentTerm".
  if (args.term < current_term_) return;
  // 2: "If votedFor is null or candidateId, and candidate's log is at least
  // as up-to-date as receiver's log, grant vote" (up-to-date: section 5.4.1,
  // compare last terms, then lengths).
  bool up_to_date = args.last_log_term > log_.last_term() ||
                    (args.last_log_term == log_.last_term() &&
                     args.last_log_index >= log_.last_index());
  if ((voted_for_ == -1 || voted_for_ == args.candidate_id) && up_to_date) {
    if (voted_for_ != args.candidate_id) {
      voted_for_ = args.candidate_id;
      Persist();
    }
    ResetElectionTimerLocked();
    reply->vote_granted = true;
    LAB_TRACE("vote", me_, "grant vote to S%d in term %d", args.candidate_id,
              current_term_);
  } else {
    LAB_TRACE("vote", me_,
              "deny vote to S%d in term %d (voted for %d, up to date %d)",
              args.candidate_id, current_term_, voted_for_, up_to_date);
  }
  // SOLUTION END
  //@ // Your code here (2A, 2B).
  //@ (void)args;
  //@ (void)reply;
}

// SOLUTION BEGIN
// ---------------------------------------------------------------------------
// Log replication.

void Raft::ScheduleReplicationLocked() {
  LAB_ASSERT_HELD(mu_);
  if (replication_scheduled_) return;
  replication_scheduled_ = true;
  std::shared_ptr<Raft> self = shared_from_this();
  labrpc::Go(TaskName(me_, "replicate"), [self] {
    labrpc::MutexLock l(self->mu_);
    self->replication_scheduled_ = false;
    if (!self->Killed() && self->role_ == Role::kLeader)
      self->BroadcastLocked(/*heartbeat=*/false);
  });
}

void Raft::BroadcastLocked(bool heartbeat) {
  LAB_ASSERT_HELD(mu_);
  for (int peer = 0; peer < static_cast<int>(peers_.size()); peer++) {
    if (peer != me_ &&
        (heartbeat || latest_returned_[peer] == calls_sent_[peer])) {
      SendToPeerLocked(peer);
    }
  }
}

void Raft::CallReturnedLocked(int peer, int64_t call) {
  LAB_ASSERT_HELD(mu_);
  if (call == calls_sent_[peer]) latest_returned_[peer] = call;
}

void Raft::SendPendingLocked(int peer, int leader_commit) {
  LAB_ASSERT_HELD(mu_);
  if (latest_returned_[peer] == calls_sent_[peer] &&
      (next_index_[peer] <= log_.last_index() ||
       leader_commit < commit_index_)) {
    SendToPeerLocked(peer);
  }
}

void Raft::SendToPeerLocked(int peer) {
  LAB_ASSERT_HELD(mu_);
  std::shared_ptr<Raft> self = shared_from_this();
  const int64_t call = ++calls_sent_[peer];
  if (next_index_[peer] <= log_.snapshot_index()) {
    // The entries the peer needs are gone: send the snapshot instead.
    InstallSnapshotArgs args{current_term_, me_, log_.snapshot_index(),
                             log_.snapshot_term(), snapshot_};
    next_index_[peer] = args.last_included_index + 1;
    LAB_TRACE("snapshot", me_, "send snapshot through %d to S%d",
              args.last_included_index, peer);
    labrpc::Go(TaskName(me_, "snap"),
               [self, peer, call, args = std::move(args)] {
                 self->SendInstallSnapshot(peer, call, std::move(args));
               });
    return;
  }
  int prev = next_index_[peer] - 1;
  AppendEntriesArgs args;
  args.term = current_term_;
  args.leader_id = me_;
  args.prev_log_index = prev;
  args.prev_log_term = log_.term_at(prev);
  args.entries = log_.Slice(prev + 1, log_.last_index());
  args.leader_commit = commit_index_;
  // Pipelining: assume these entries arrive, so the next send carries only
  // newer ones. A rejection or a lost call moves next_index_ back.
  next_index_[peer] = log_.last_index() + 1;
  if (!args.entries.empty()) {
    LAB_TRACE("log", me_, "send (%d, %d] to S%d", prev,
              prev + static_cast<int>(args.entries.size()), peer);
  }
  labrpc::Go(TaskName(me_, "append"),
             [self, peer, call, args = std::move(args)] {
               self->SendAppendEntries(peer, call, std::move(args));
             });
}

void Raft::SendAppendEntries(int peer, int64_t call, AppendEntriesArgs args) {
  AppendEntriesReply reply;
  bool ok = peers_[peer]->Call("Raft.AppendEntries", args, &reply);
  labrpc::MutexLock l(mu_);
  CallReturnedLocked(peer, call);
  if (Killed()) return;
  int last_sent = args.prev_log_index + static_cast<int>(args.entries.size());
  if (!ok) {
    // Lost. If nothing newer went out after it, let the next heartbeat carry
    // these entries again rather than wait for a rejection.
    if (role_ == Role::kLeader && current_term_ == args.term &&
        !args.entries.empty() && next_index_[peer] == last_sent + 1 &&
        match_index_[peer] < last_sent) {
      next_index_[peer] =
          std::max(match_index_[peer] + 1, args.prev_log_index + 1);
    }
    return;
  }
  // All Servers: "If RPC request or response contains term T > currentTerm:
  // set currentTerm = T, convert to follower".
  if (reply.term > current_term_) {
    BecomeFollowerLocked(reply.term);
    return;
  }
  if (role_ != Role::kLeader || current_term_ != args.term) return;  // stale
  last_contact_[peer] = labrpc::Now();
  if (reply.success) {
    // Leaders: "If successful: update nextIndex and matchIndex for
    // follower".
    if (last_sent > match_index_[peer]) {
      match_index_[peer] = last_sent;
      AdvanceCommitLocked();
    }
    next_index_[peer] = std::max(next_index_[peer], match_index_[peer] + 1);
    SendPendingLocked(peer, args.leader_commit);
    return;
  }
  // A rejection of a point we already know matches is an old reply
  // overtaken by a success.
  if (match_index_[peer] >= args.prev_log_index) return;
  // Leaders: "If AppendEntries fails because of log inconsistency:
  // decrement nextIndex and retry", skipping a whole term per round trip
  // with the follower's hint.
  int next;
  if (reply.xterm == -1) {
    next = reply.xlen;  // follower's log is too short
  } else {
    int last_of_term = log_.LastIndexOfTerm(reply.xterm);
    next = last_of_term >= 0 ? last_of_term + 1 : reply.xindex;
  }
  if (Ablated("fast_backup")) next = args.prev_log_index;  // one step back
  next = std::min(next, args.prev_log_index);
  next = std::max(next, match_index_[peer] + 1);
  LAB_TRACE("log", me_,
            "S%d rejected prev %d/%d (xterm %d xindex %d xlen %d): next %d",
            peer, args.prev_log_index, args.prev_log_term, reply.xterm,
            reply.xindex, reply.xlen, next);
  next_index_[peer] = next;
  SendToPeerLocked(peer);
}

void Raft::AdvanceCommitLocked() {
  LAB_ASSERT_HELD(mu_);
  // The highest index stored on a majority is the median of match_index_
  // (sorted descending, position n/2).
  std::vector<int> match = match_index_;
  match[me_] = log_.last_index();
  std::sort(match.begin(), match.end(), std::greater<int>());
  int n = match[match.size() / 2];
  // Leaders: "If there exists an N such that N > commitIndex, a majority of
  // matchIndex[i] >= N, and log[N].term == currentTerm: set commitIndex = N"
  // (only current-term entries are committed by counting: Figure 8).
  if (n > commit_index_ && log_.term_at(n) == current_term_) {
    LAB_TRACE("commit", me_, "commit %d -> %d in term %d", commit_index_, n,
              current_term_);
    commit_index_ = n;
    apply_cond_.NotifyAll();
    // Tell the followers now rather than at the next heartbeat, so that
    // they apply the entry within a round trip of the leader.
    ScheduleReplicationLocked();
  }
}

// SOLUTION END

void Raft::AppendEntries(const AppendEntriesArgs& args,
                         AppendEntriesReply* reply) {
  // SOLUTION BEGIN
  labrpc::MutexLock l(mu_);
  reply->term = current_term_;
  reply->success = false;
  // Receiver implementation 1: "Reply false if term < currentTerm".
  if (args.term < current_term_) return;
  // All Servers: newer term -> follower; Candidates: "If AppendEntries RPC
  // received from new leader: convert to follower".
  if (args.term > current_term_ || role_ != Role::kFollower) {
    BecomeFollowerLocked(args.term);
  }
  reply->term = current_term_;
  ResetElectionTimerLocked();

  // Entries the snapshot covers are committed and so match the leader's;
  // skip them and check consistency at the snapshot point instead.
  int prev = args.prev_log_index;
  int prev_term = args.prev_log_term;
  size_t skip = 0;
  if (prev < log_.snapshot_index()) {
    skip = static_cast<size_t>(log_.snapshot_index() - prev);
    if (skip >= args.entries.size()) {
      reply->success = true;
      return;
    }
    prev = log_.snapshot_index();
    prev_term = args.entries[skip - 1].term;
  }
  // 2: "Reply false if log doesn't contain an entry at prevLogIndex whose
  // term matches prevLogTerm".
  reply->xlen = log_.last_index() + 1;
  if (prev > log_.last_index()) {
    reply->xterm = -1;
    LAB_TRACE("log", me_, "reject prev %d from S%d: log ends at %d", prev,
              args.leader_id, log_.last_index());
    return;
  }
  if (log_.term_at(prev) != prev_term) {
    reply->xterm = log_.term_at(prev);
    reply->xindex = log_.FirstIndexOfTermRun(prev);
    LAB_TRACE("log", me_, "reject prev %d/%d from S%d: have term %d from %d",
              prev, prev_term, args.leader_id, reply->xterm, reply->xindex);
    return;
  }
  // 3: "If an existing entry conflicts with a new one (same index but
  // different terms), delete the existing entry and all that follow it";
  // 4: "Append any new entries not already in the log". Entries that
  // already match stay, so a delayed, shorter AppendEntries never
  // truncates what a later one appended.
  bool changed = false;
  for (size_t i = skip; i < args.entries.size(); i++) {
    int index = args.prev_log_index + 1 + static_cast<int>(i);
    if (index <= log_.last_index()) {
      if (log_.term_at(index) == args.entries[i].term) continue;
      if (index <= commit_index_) {
        throw std::logic_error("raft S" + std::to_string(me_) + ": leader S" +
                               std::to_string(args.leader_id) +
                               " conflicts with committed index " +
                               std::to_string(index));
      }
      log_.TruncateFrom(index);
    }
    for (; i < args.entries.size(); i++) log_.Append(args.entries[i]);
    changed = true;
  }
  if (changed) {
    Persist();
    LAB_TRACE("log", me_, "append from S%d: log now (%d, %d]", args.leader_id,
              log_.snapshot_index(), log_.last_index());
  }
  // 5: "If leaderCommit > commitIndex, set commitIndex = min(leaderCommit,
  // index of last new entry)".
  int last_new = args.prev_log_index + static_cast<int>(args.entries.size());
  int commit = std::min(args.leader_commit, last_new);
  if (commit > commit_index_) {
    LAB_TRACE("commit", me_, "commit %d -> %d (leader S%d)", commit_index_,
              commit, args.leader_id);
    commit_index_ = commit;
    apply_cond_.NotifyAll();
  }
  reply->success = true;
  // SOLUTION END
  //@ // Your code here (2A, 2B).
  //@ (void)args;
  //@ (void)reply;
}

// SOLUTION BEGIN
// ---------------------------------------------------------------------------
// Snapshots (Figure 13).

void Raft::SendInstallSnapshot(int peer, int64_t call,
                               InstallSnapshotArgs args) {
  InstallSnapshotReply reply;
  bool ok = peers_[peer]->Call("Raft.InstallSnapshot", args, &reply);
  labrpc::MutexLock l(mu_);
  CallReturnedLocked(peer, call);
  if (Killed()) return;
  if (!ok) {
    // Lost: unless something newer went out since, resend on the next
    // heartbeat.
    if (role_ == Role::kLeader && current_term_ == args.term &&
        next_index_[peer] == args.last_included_index + 1 &&
        match_index_[peer] < args.last_included_index) {
      next_index_[peer] = args.last_included_index;
    }
    return;
  }
  if (reply.term > current_term_) {
    BecomeFollowerLocked(reply.term);
    return;
  }
  if (role_ != Role::kLeader || current_term_ != args.term) return;
  last_contact_[peer] = labrpc::Now();
  if (args.last_included_index > match_index_[peer]) {
    match_index_[peer] = args.last_included_index;
    AdvanceCommitLocked();
  }
  next_index_[peer] = std::max(next_index_[peer], match_index_[peer] + 1);
  SendPendingLocked(peer, args.last_included_index);  // its commit index now
}

// SOLUTION END

void Raft::InstallSnapshot(const InstallSnapshotArgs& args,
                           InstallSnapshotReply* reply) {
  // SOLUTION BEGIN
  labrpc::MutexLock l(mu_);
  reply->term = current_term_;
  // 1: "Reply immediately if term < currentTerm".
  if (args.term < current_term_) return;
  if (args.term > current_term_ || role_ != Role::kFollower) {
    BecomeFollowerLocked(args.term);
  }
  reply->term = current_term_;
  ResetElectionTimerLocked();
  if (Ablated("snapshots")) return;  // a Raft without snapshot code
  // Everything through commit_index_ is already here (and possibly applied):
  // an older snapshot would only move the service backwards.
  if (args.last_included_index <= commit_index_) {
    LAB_TRACE("snapshot", me_,
              "ignore snapshot through %d from S%d: commit index %d",
              args.last_included_index, args.leader_id, commit_index_);
    return;
  }
  // 6: "If existing log entry has same index and term as snapshot's last
  // included entry, retain log entries following it and reply";
  // 7: "Discard the entire log".
  if (log_.HasIndex(args.last_included_index) &&
      log_.term_at(args.last_included_index) == args.last_included_term) {
    log_.Compact(args.last_included_index);
  } else {
    log_.Reset(args.last_included_index, args.last_included_term);
  }
  snapshot_ = args.data;
  commit_index_ = args.last_included_index;
  Persist();
  LAB_TRACE("snapshot", me_, "install snapshot through %d/%d from S%d",
            args.last_included_index, args.last_included_term, args.leader_id);
  // 8: "Reset state machine using snapshot contents": the applier delivers
  // it to the service.
  apply_cond_.NotifyAll();
  // SOLUTION END
  //@ // Your code here (2D).
  //@ (void)args;
  //@ (void)reply;
}

// SOLUTION BEGIN
// ---------------------------------------------------------------------------
// Applying committed entries.

void Raft::Applier() {
  labrpc::MutexLock l(mu_);
  while (true) {
    // All Servers: "If commitIndex > lastApplied: increment lastApplied,
    // apply log[lastApplied] to state machine".
    while (!Killed() && last_applied_ >= commit_index_) apply_cond_.Wait(mu_);
    if (Killed()) return;
    std::vector<ApplyMsg> msgs;
    if (last_applied_ < log_.snapshot_index()) {
      // A snapshot from the leader replaced entries the service has not
      // seen: deliver it first; the entries after it follow.
      ApplyMsg msg;
      msg.snapshot_valid = true;
      msg.snapshot = snapshot_;
      msg.snapshot_term = log_.snapshot_term();
      msg.snapshot_index = log_.snapshot_index();
      msgs.push_back(std::move(msg));
    } else {
      for (int i = last_applied_ + 1; i <= commit_index_; i++) {
        ApplyMsg msg;
        msg.command_valid = true;
        msg.command = log_.at(i).command;
        msg.command_index = i;
        msgs.push_back(std::move(msg));
      }
    }
    // The channel is unbuffered and its reader calls Snapshot(), which
    // takes mu_: never send while holding it.
    l.unlock();
    int delivered = 0;
    for (ApplyMsg& msg : msgs) {
      if (Killed()) return;
      int index = msg.snapshot_valid ? msg.snapshot_index : msg.command_index;
      LAB_TRACE("apply", me_, "apply %s %d",
                msg.snapshot_valid ? "snapshot" : "index", index);
      apply_ch_->Send(std::move(msg));
      delivered = index;
    }
    l.lock();
    last_applied_ = std::max(last_applied_, delivered);
  }
}

// SOLUTION END

}  // namespace raft
