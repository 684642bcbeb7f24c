// The sharded KV service's client library (Go's shardkv/client.go). A Clerk
// finds the group that serves a key's shard in its cached configuration,
// sends the call to that group's servers, and on a wrong group (or when no
// server of the group answers) asks the shard controller for the latest
// configuration and tries again.
//
//   shardkv::Clerk ck(ctrler_ends, make_end);
//   ck.Put("k", "a");
//   ck.Append("k", "b");
//   std::string v = ck.Get("k");     // "ab"
#ifndef RAFTLAB_SHARDKV_CLIENT_H_
#define RAFTLAB_SHARDKV_CLIENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "labrpc/network.h"
#include "shardctrler/client.h"
#include "shardctrler/common.h"
#include "shardkv/common.h"

namespace shardkv {

// One client of the sharded KV service. Each call blocks until the operation
// has taken effect exactly once (retries and shard moves included) and
// returns its result; it retries forever while no group can serve it. Not
// safe for concurrent calls: one call at a time, which is what lets the
// servers detect duplicates with one sequence number per client.
//
// Must be created and used inside a running world.
class Clerk {
 public:
  // ctrlers reach the shard controller's servers (in any order); make_end
  // turns a server name from a configuration into an end.
  Clerk(std::vector<std::shared_ptr<labrpc::ClientEnd>> ctrlers,
        MakeEndFn make_end);
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

  // The controller's clerk; config_ is refreshed through it.
  shardctrler::Clerk sm_;
  // The latest configuration this clerk knows; starts as the empty
  // configuration #0, so the first call always asks the controller.
  shardctrler::Config config_;
  const MakeEndFn make_end_;

  // SOLUTION BEGIN
  // The end to a server, made once per name (every make_end call makes a
  // new end, and the network never forgets one).
  std::shared_ptr<labrpc::ClientEnd> EndFor(const std::string& server_name);
  // Sends `args` as `method` to the group that serves `key`'s shard until
  // one of its servers answers kOK or kErrNoKey, and returns that reply;
  // refreshes config_ whenever the group says it is the wrong one or no
  // server of it answers.
  template <class Args, class Reply>
  Reply Send(const std::string& method, const std::string& key,
             const Args& args);

  // This clerk's id in the servers' duplicate tables.
  int64_t client_id_ = 0;
  // The sequence number of the last call started; each call uses the next.
  int64_t seq_ = 0;
  // gid -> index of the server that last answered as its leader.
  std::map<int, size_t> leader_;
  std::map<std::string, std::shared_ptr<labrpc::ClientEnd>> ends_;
  // SOLUTION END
  //@ // You will have to modify this class (4B).
};

}  // namespace shardkv

#endif  // RAFTLAB_SHARDKV_CLIENT_H_
