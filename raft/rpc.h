// The arguments and replies of Raft's three RPCs, named as in Figure 2 of
// the Raft paper (and Figure 13 for InstallSnapshot). They travel through the
// labrpc fabric, which encodes them with serialize(): a field missing there
// does not travel, exactly like a lower-case field under labgob.
#ifndef RAFTLAB_RAFT_RPC_H_
#define RAFTLAB_RAFT_RPC_H_

#include <vector>

#include "labrpc/codec.h"
#include "raft/log.h"

namespace raft {

// RequestVote RPC: invoked by candidates to gather votes.
struct RequestVoteArgs {
  int term = 0;            // candidate's term
  int candidate_id = 0;    // candidate requesting vote
  int last_log_index = 0;  // index of candidate's last log entry
  int last_log_term = 0;   // term of candidate's last log entry

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& term& candidate_id& last_log_index& last_log_term;
  }
};

struct RequestVoteReply {
  int term = 0;               // currentTerm, for candidate to update itself
  bool vote_granted = false;  // true means candidate received vote

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& term& vote_granted;
  }
};

// AppendEntries RPC: invoked by the leader to replicate log entries; also
// used as heartbeat (no entries).
struct AppendEntriesArgs {
  int term = 0;                   // leader's term
  int leader_id = 0;              // so follower can redirect clients
  int prev_log_index = 0;         // index of log entry preceding new ones
  int prev_log_term = 0;          // term of prev_log_index entry
  std::vector<LogEntry> entries;  // entries to store (empty for heartbeat)
  int leader_commit = 0;          // leader's commitIndex

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& term& leader_id& prev_log_index& prev_log_term& entries& leader_commit;
  }
};

struct AppendEntriesReply {
  int term = 0;          // currentTerm, for leader to update itself
  bool success = false;  // true if follower contained entry matching
                         // prev_log_index and prev_log_term
  // Fast backup (lab 2C hint), meaningful when !success:
  int xterm = -1;  // term of the conflicting entry at prev_log_index, or -1
                   // if the follower's log is too short to have one
  int xindex = 0;  // first index the follower holds with term xterm
  int xlen = 0;    // follower's log length (last index + 1)

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& term& success& xterm& xindex& xlen;
  }
};

// InstallSnapshot RPC: invoked by the leader to send a snapshot to a
// follower that lags behind the leader's log. The snapshot is sent whole
// (no offset/done chunking, as in the lab).
struct InstallSnapshotArgs {
  int term = 0;                 // leader's term
  int leader_id = 0;            // so follower can redirect clients
  int last_included_index = 0;  // the snapshot replaces all entries up
                                // through and including this index
  int last_included_term = 0;   // term of last_included_index
  labrpc::Bytes data;           // the snapshot

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& term& leader_id& last_included_index& last_included_term& data;
  }
};

struct InstallSnapshotReply {
  int term = 0;  // currentTerm, for leader to update itself

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& term;
  }
};

}  // namespace raft

#endif  // RAFTLAB_RAFT_RPC_H_
