// The KV service's client library (Go's kvraft/client.go). A Clerk turns
// Get/Put/Append calls into RPCs to the KV servers and retries them until
// some server, the current Raft leader, has executed them.
//
//   kvraft::Clerk ck(ends);          // ends[i] reaches some server (shuffled)
//   ck.Put("k", "a");
//   ck.Append("k", "b");
//   std::string v = ck.Get("k");     // "ab"
#ifndef RAFTLAB_KVRAFT_CLIENT_H_
#define RAFTLAB_KVRAFT_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kvraft/common.h"
#include "labrpc/network.h"

namespace kvraft {

// A random non-negative 62-bit number (Go's nrand), for client ids. Drawn
// from the runtime's seeded source, so a sim run is reproducible.
int64_t RandomClientId();

// One client of the KV service. Each call blocks until the operation has
// taken effect exactly once (retries included) and returns its result; it
// retries forever while no server can serve it. Not safe for concurrent
// calls: a client makes one call at a time, which is what lets the servers
// detect duplicates with one sequence number per client.
//
// Must be created and used inside a running world.
class Clerk {
 public:
  // servers[i] is an end to some KV server; the order is arbitrary (the
  // tester shuffles it), so servers[i] need not be server i.
  explicit Clerk(std::vector<std::shared_ptr<labrpc::ClientEnd>> servers);
  Clerk(const Clerk&) = delete;
  Clerk& operator=(const Clerk&) = delete;

  // The current value of `key`, or "" if the key does not exist.
  std::string Get(const std::string& key);
  // Replaces the value of `key` with `value`.
  void Put(const std::string& key, const std::string& value);
  // Appends `value` to the value of `key` (to "" if the key is missing).
  void Append(const std::string& key, const std::string& value);

 private:
  // Shared by Put and Append; op is "Put" or "Append".
  void PutAppend(const std::string& key, const std::string& value,
                 const std::string& op);

  const std::vector<std::shared_ptr<labrpc::ClientEnd>> servers_;

  // SOLUTION BEGIN
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
  //@ // You will have to modify this class (3A).
};

}  // namespace kvraft

#endif  // RAFTLAB_KVRAFT_CLIENT_H_
