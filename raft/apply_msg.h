// ApplyMsg: what Raft hands to its service (the tester, or the KV server)
// on the apply channel, one committed command or one installed snapshot at a
// time, in log order.
#ifndef RAFTLAB_RAFT_APPLY_MSG_H_
#define RAFTLAB_RAFT_APPLY_MSG_H_

#include "labrpc/channel.h"
#include "labrpc/codec.h"

namespace raft {

// Exactly one of command_valid and snapshot_valid is true in a message Raft
// sends. Command messages arrive in strictly increasing command_index order
// with no gaps, except that a snapshot message may jump ahead: after it the
// next command is snapshot_index + 1.
struct ApplyMsg {
  // A committed log entry.
  bool command_valid = false;
  labrpc::Bytes command;  // the bytes passed to Start()
  int command_index = 0;  // its log index

  // 2D: a snapshot received from the leader, which the service must install
  // in place of its state. It covers every entry through snapshot_index.
  bool snapshot_valid = false;
  labrpc::Bytes snapshot;
  int snapshot_term = 0;
  int snapshot_index = 0;
};

// The tester makes it unbuffered, so Raft must never send on it while
// holding its lock: the reader may call back into Raft (Snapshot) before it
// reads the next message.
using ApplyChannel = labrpc::Channel<ApplyMsg>;

}  // namespace raft

#endif  // RAFTLAB_RAFT_APPLY_MSG_H_
