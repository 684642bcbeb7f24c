// Raft: one peer of a replicated log, as described by Figure 2 of the
// Raft paper (Ongaro and Ousterhout, "In Search of an Understandable
// Consensus Algorithm", extended version), plus log compaction (Figure 13).
//
// A service (the tester, or the KV server of lab 3) makes one Raft per
// server with Make(), proposes commands with Start(), and reads committed
// commands, in log order, from its apply channel. Peers talk to each other
// over the labrpc fabric through the service returned by service().
//
//   auto rf = raft::Raft::Make(ends, me, persister, apply_ch);
//   server->AddService(rf->service());
//   auto [index, term, is_leader] = rf->Start(labrpc::Encode(cmd));
//   while (auto msg = apply_ch->Receive()) { ... }   // in its own task
//
// Concurrency: every public method may be called from any task. The peer's
// own work runs in tasks of its own: a ticker (elections, heartbeats), an
// applier (delivers to the apply channel), and one short-lived task per
// outgoing RPC, since a Call may take seconds to fail.
#ifndef RAFTLAB_RAFT_RAFT_H_
#define RAFTLAB_RAFT_RAFT_H_

#include <atomic>
#include <memory>
#include <utility>
#include <vector>

#include "labrpc/codec.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "raft/apply_msg.h"
#include "raft/log.h"
#include "raft/persister.h"
#include "raft/rpc.h"

namespace raft {

// A consistent snapshot of one peer's state, taken under its lock, for the
// tester's invariant checker.
struct RaftStatus {
  int me = 0;
  int current_term = 0;
  bool is_leader = false;
  int commit_index = 0;
  int last_applied = 0;
  int last_log_index = 0;
  int snapshot_index = 0;
  bool killed = false;
};

class Raft : public std::enable_shared_from_this<Raft> {
 public:
  // Creates peer `me` of the cluster whose ends are `peers` (peers[i] reaches
  // peer i; peers[me] is this peer itself and is never called), restores the
  // state last saved in `persister`, and starts the background tasks.
  // Returns quickly. Committed commands go to `apply_ch` in index order.
  // Throws std::runtime_error if the persisted state cannot be decoded.
  // Must be called inside a running world.
  static std::shared_ptr<Raft> Make(
      std::vector<std::shared_ptr<labrpc::ClientEnd>> peers, int me,
      std::shared_ptr<Persister> persister,
      std::shared_ptr<ApplyChannel> apply_ch);

  Raft(const Raft&) = delete;
  Raft& operator=(const Raft&) = delete;

  struct StartResult {
    int index;       // where the command will appear if it is committed
    int term;        // the current term
    bool is_leader;  // false: not the leader; the command was dropped
  };
  // Proposes `command` for the log. Returns at once: there is no guarantee
  // the command will ever be committed (the leader may fail or lose an
  // election). Replication starts without waiting for the next heartbeat.
  StartResult Start(const labrpc::Bytes& command);

  // {current term, whether this peer believes it is the leader}.
  std::pair<int, bool> GetState();

  // The service has a snapshot of its state covering every entry through
  // `index` (which it received from the apply channel); Raft may discard
  // those entries. Called on every peer, leader or not, and synchronously
  // from the task that reads the apply channel, so it never waits for the
  // applier. Ignored if `index` is not committed or already compacted.
  void Snapshot(int index, const labrpc::Bytes& snapshot);

  // Stops this peer: background tasks exit soon after (an applier blocked
  // on the apply channel exits when its send completes or the world ends),
  // and no further state is persisted by them. Start then returns
  // SOLUTION BEGIN
  // is_leader=false. The reference solution then closes the apply channel,
  // so a service's reader loop ends; services must not depend on it (the
  // original does not close applyCh, and a student's Raft need not).
  // SOLUTION END
  //@ // is_leader=false. The tester does not stop your tasks: each loop
  //@ // must check Killed(). Kill need not close the apply channel.
  void Kill();
  bool Killed() const;

  // A consistent view of the peer's state, for invariant checking.
  RaftStatus Status();

  // A fresh labrpc service named "Raft" with the methods RequestVote,
  // AppendEntries and InstallSnapshot, dispatching to this peer. It holds
  // the peer weakly (the peer's ends keep the network and its servers
  // alive, so a strong pointer would be a cycle): the caller keeps the
  // shared_ptr from Make for as long as the peer serves.
  std::shared_ptr<labrpc::Service> service();

  // RPC handlers (the receiver implementations of Figures 2 and 13). The
  // fabric calls them through service(); they never block.
  void RequestVote(const RequestVoteArgs& args, RequestVoteReply* reply);
  void AppendEntries(const AppendEntriesArgs& args, AppendEntriesReply* reply);
  void InstallSnapshot(const InstallSnapshotArgs& args,
                       InstallSnapshotReply* reply);

 private:
  Raft(std::vector<std::shared_ptr<labrpc::ClientEnd>> peers, int me,
       std::shared_ptr<Persister> persister,
       std::shared_ptr<ApplyChannel> apply_ch);

  // The ticker task: starts elections when the election timeout passes and,
  // as leader, sends heartbeats. Exits soon after Kill().
  void Ticker();
  // Saves current_term_, voted_for_ and log_ (with the current snapshot) to
  // persister_. Requires mu_.
  void Persist();
  // Restores what Persist saved; empty `data` means a fresh start. Throws
  // std::runtime_error on corrupt data. Called by Make before any task runs.
  void ReadPersist(const labrpc::Bytes& data);

  // Locking discipline: mu_ guards every member below it except where
  // noted. Methods whose names end in "Locked" (and Persist) require it.
  // It is never held across a Call, a send on the apply channel or a
  // Sleep. Lock order: mu_, then the Persister's own lock.
  labrpc::Mutex mu_{"raft"};

  // Immutable after construction (no lock needed).
  const std::vector<std::shared_ptr<labrpc::ClientEnd>> peers_;
  const std::shared_ptr<Persister> persister_;
  const int me_;  // this peer's index into peers_
  const std::shared_ptr<ApplyChannel> apply_ch_;

  // Set by Kill(); read without the lock.
  std::atomic<bool> dead_{false};

  // SOLUTION BEGIN
  enum class Role { kFollower, kCandidate, kLeader };

  // --- Elections ---
  // Starts an election (Rules for Servers, Candidates): new term, vote for
  // self, RequestVote to every other peer.
  void StartElectionLocked();
  // Sends one RequestVote and counts the reply (runs in its own task).
  void SendRequestVote(int peer, RequestVoteArgs args);
  // Adopts `term` if it is newer (clearing voted_for_, persisting) and
  // becomes a follower.
  void BecomeFollowerLocked(int term);
  // Takes office after winning: initialises next_index_/match_index_ and
  // sends the initial heartbeats.
  void BecomeLeaderLocked();
  // Sets election_deadline_ to now plus a fresh random timeout.
  void ResetElectionTimerLocked();
  // As leader: whether a majority (itself included) has answered within
  // kLeaderQuorumTimeout before `now`.
  bool HasQuorumLocked(labrpc::Duration now) const;

  // --- Replication (leader only) ---
  // Sends AppendEntries (or InstallSnapshot) to every other peer: to all of
  // them for a heartbeat, else only to those whose latest call has returned
  // (the others get what is new when it does).
  void BroadcastLocked(bool heartbeat);
  // Arranges for one BroadcastLocked(false) soon, coalescing the Start()
  // calls and commits that happen before it runs into one round of RPCs.
  void ScheduleReplicationLocked();
  // Sends `peer` whatever it needs next, from next_index_[peer]: entries,
  // an empty heartbeat, or the snapshot if those entries are compacted.
  void SendToPeerLocked(int peer);
  // Call number `call` to `peer` has returned: records it.
  void CallReturnedLocked(int peer, int64_t call);
  // After a successful reply from `peer` to a call that carried
  // `leader_commit`: if nothing newer is outstanding to it and it lacks
  // entries or the latest commit index, sends them now.
  void SendPendingLocked(int peer, int leader_commit);
  void SendAppendEntries(int peer, int64_t call, AppendEntriesArgs args);
  void SendInstallSnapshot(int peer, int64_t call, InstallSnapshotArgs args);
  // Advances commit_index_ to the highest current-term index stored on a
  // majority (Rules for Servers, Leaders, last bullet).
  void AdvanceCommitLocked();

  // --- Persistence and apply ---
  labrpc::Bytes EncodeStateLocked() const;
  // The applier task: delivers committed entries (or an installed
  // snapshot) to apply_ch_, in order, without holding mu_ while sending.
  void Applier();

  // Persistent state on all servers (saved by Persist before the peer
  // answers an RPC or sends one that depends on it).
  //
  // current_term_: latest term this peer has seen; starts at 0 and never
  // decreases.
  int current_term_ = 0;
  // voted_for_: the candidate that received this peer's vote in
  // current_term_, or -1 for none. Reset to -1 whenever current_term_
  // advances; at most one vote per term.
  int voted_for_ = -1;
  // log_: the log entries after the snapshot, with a dummy entry at the
  // snapshot's last included index holding its term (see log.h).
  RaftLog log_;
  // snapshot_: the service's latest snapshot, covering every entry through
  // log_.snapshot_index(); empty if there is none. Persisted as the
  // Persister's second blob and always re-saved with the state, because an
  // empty snapshot would erase it (2023 Save semantics).
  labrpc::Bytes snapshot_;

  // Volatile state on all servers.
  //
  // commit_index_: highest log entry known to be committed. Invariants:
  // log_.snapshot_index() <= commit_index_ <= log_.last_index(); never
  // decreases within one incarnation (starts at the snapshot index).
  int commit_index_ = 0;
  // last_applied_: highest index delivered to the service (a command, or a
  // snapshot's last included index). Invariant: last_applied_ <=
  // commit_index_. Below log_.snapshot_index() only while an installed
  // snapshot waits to be delivered.
  int last_applied_ = 0;
  // role_: follower, candidate or leader in current_term_.
  Role role_ = Role::kFollower;
  // votes_: votes received in the current election, self included.
  // Meaningful only while role_ == kCandidate.
  int votes_ = 0;
  // election_deadline_: when a follower or candidate starts an election
  // unless it hears from a leader or grants a vote first.
  labrpc::Duration election_deadline_{};
  // heartbeat_due_: when a leader next sends heartbeats to all peers.
  labrpc::Duration heartbeat_due_{};
  // replication_scheduled_: a task started by ScheduleReplicationLocked has
  // not run yet.
  bool replication_scheduled_ = false;

  // Volatile state on leaders (reinitialised after election).
  //
  // next_index_[i]: index of the next log entry to send to peer i. Advanced
  // optimistically when entries are sent (so that each entry normally
  // travels once) and moved back on a rejection or a lost call. Invariant
  // while leader: match_index_[i] < next_index_[i].
  std::vector<int> next_index_;
  // match_index_[i]: highest log entry known to be replicated on peer i;
  // match_index_[me_] is log_.last_index(). Never decreases within a term.
  std::vector<int> match_index_;
  // calls_sent_[i]: AppendEntries and InstallSnapshot calls sent to peer i
  // so far (in any term); the latest has that number. latest_returned_[i]:
  // calls_sent_[i] once that latest call has returned, else lower. While it
  // is lower, Start and commits send peer i nothing (heartbeats still go,
  // and the reply sends whatever accumulated), so an unreachable peer costs
  // a call per heartbeat rather than one per command, and the commands of
  // one round trip travel together. Only the latest call counts: calls
  // from before a partition healed may take seconds more to fail.
  std::vector<int64_t> calls_sent_;
  std::vector<int64_t> latest_returned_;
  // last_contact_[i]: when peer i last answered an AppendEntries or
  // InstallSnapshot of current_term_ (its election, if it has not yet).
  std::vector<labrpc::Duration> last_contact_;

  // Signalled when commit_index_ advances, a snapshot is installed, or the
  // peer is killed; the applier waits on it.
  labrpc::CondVar apply_cond_{"raft.apply"};
  // Signalled when the peer becomes leader or is killed; the ticker waits on
  // it until its next deadline.
  labrpc::CondVar tick_cond_{"raft.tick"};
  // SOLUTION END
  //@ // Your state here (2A, 2B, 2C, 2D).
  //@ // Look at the paper's Figure 2 for a description of what
  //@ // state a Raft server must maintain.
};

}  // namespace raft

#endif  // RAFTLAB_RAFT_RAFT_H_
