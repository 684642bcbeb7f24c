// The shard controller's client library (Go's shardctrler/client.go). A
// Clerk turns Join/Leave/Move/Query calls into RPCs to the controller's
// servers and retries them until the current Raft leader has executed them.
//
//   shardctrler::Clerk ck(ends);                 // ends: shuffled, any order
//   ck.Join({{1, {"x", "y", "z"}}});             // config #1: all on gid 1
//   shardctrler::Config c = ck.Query(-1);        // the latest
//   ck.Move(3, 1);
//   ck.Leave({1});
#ifndef RAFTLAB_SHARDCTRLER_CLIENT_H_
#define RAFTLAB_SHARDCTRLER_CLIENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "labrpc/network.h"
#include "shardctrler/common.h"

namespace shardctrler {

// A random non-negative 62-bit number (Go's nrand), for client ids. Drawn
// from the runtime's seeded source, so a sim run is reproducible.
int64_t RandomClientId();

// One client of the shard controller. Each call blocks until the controller
// has executed it exactly once (retries included); it retries forever while
// no server can serve it. Not safe for concurrent calls: one call at a time,
// which is what lets the servers detect duplicates with one sequence number
// per client (a shardkv server shares one clerk only within its poller).
//
// Must be created and used inside a running world.
class Clerk {
 public:
  // servers[i] is an end to some controller server; the order is arbitrary
  // (the tester shuffles it).
  explicit Clerk(std::vector<std::shared_ptr<labrpc::ClientEnd>> servers);
  Clerk(const Clerk&) = delete;
  Clerk& operator=(const Clerk&) = delete;

  // Configuration number `num`; -1 (or any negative number) or a number past
  // the latest means the latest. The latest reflects every change that
  // finished before the call started.
  Config Query(int num);
  // Adds the groups gid -> server names and rebalances. Throws
  // std::invalid_argument (and changes nothing) if a gid is 0 or already in
  // the configuration when the controller executes the call.
  void Join(const std::map<int, std::vector<std::string>>& servers);
  // Removes the groups and gives their shards to the others. Throws
  // std::invalid_argument (and changes nothing) if a gid is not in the
  // configuration when the controller executes the call.
  void Leave(const std::vector<int>& gids);
  // Puts shard `shard` on group `gid` (no rebalancing). Throws
  // std::invalid_argument (and changes nothing) if the shard is outside
  // [0, kNShards) or the gid is not in the configuration when executed.
  void Move(int shard, int gid);

 private:
  const std::vector<std::shared_ptr<labrpc::ClientEnd>> servers_;

  // SOLUTION BEGIN
  // Sends `args` as `method` ("ShardCtrler.Join", ...) until a leader
  // executes it; returns that reply. Fills in the client id and the next
  // sequence number.
  template <class Args, class Reply>
  Reply Call(const std::string& method, Args args);
  // Moves on to the next server after a failed attempt, and pauses after a
  // whole round of failures so that retries never spin (under sim, time
  // only advances when every task blocks).
  void NextServer();

  // This clerk's id in the servers' duplicate tables.
  int64_t client_id_ = 0;
  // The sequence number of the last call started; each call uses the next.
  int64_t seq_ = 0;
  // Index into servers_ of the server that last answered as leader: the
  // first one tried by the next call.
  int leader_ = 0;
  // Consecutive failed attempts since the last success.
  int failures_ = 0;
  // SOLUTION END
  //@ // You will have to modify this class (4A).
};

}  // namespace shardctrler

#endif  // RAFTLAB_SHARDCTRLER_CLIENT_H_
