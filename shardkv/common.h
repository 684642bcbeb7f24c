// The sharded KV service's wire types (Go's shardkv/common.go): the error
// values, the arguments and replies of "ShardKV.Get" and "ShardKV.PutAppend",
// the key-to-shard mapping, and the make_end function through which clerks and
// servers reach servers by name. They travel through the labrpc fabric, which
// encodes them with serialize(): a field missing there does not travel.
//
// Keys are split into shardctrler::kNShards shards by Key2Shard; the shard
// controller's configuration says which replica group (gid) serves each
// shard, and each group is a Raft-replicated set of ShardKV servers.
#ifndef RAFTLAB_SHARDKV_COMMON_H_
#define RAFTLAB_SHARDKV_COMMON_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "labrpc/codec.h"
#include "labrpc/network.h"
#include "shardctrler/common.h"

namespace shardkv {

using shardctrler::kNShards;

// Makes a client end connected to the server named `server_name` (e.g.
// "server-101-2"). The tester's version makes a fresh, enabled end on every
// call; callers may keep the ends they get.
using MakeEndFn = std::function<std::shared_ptr<labrpc::ClientEnd>(
    const std::string& server_name)>;

// The shard that holds `key`: its first byte (as unsigned char) modulo
// kNShards; the empty key is in shard 0. Do not change it: the tests rely on
// it ("0".."9" map to shards 8, 9, 0, ..., 7).
inline int Key2Shard(const std::string& key) {
  int shard = 0;
  if (!key.empty()) shard = static_cast<unsigned char>(key[0]);
  return shard % kNShards;
}

// The outcome of an RPC, as the server reports it (Go's Err strings).
enum class Err : uint8_t {
  kOK = 0,
  // Get of a key that has never been written. The clerk returns "".
  kErrNoKey = 1,
  // This group does not serve the key's shard (now, or when the operation
  // reached the log): the clerk asks the controller for the latest
  // configuration and tries the group it names.
  kErrWrongGroup = 2,
  // This server is not its group's leader, or lost leadership before the
  // operation was known to commit: the clerk retries elsewhere with the same
  // sequence number.
  kErrWrongLeader = 3,
  // The operation did not commit within the server's wait limit. Treated
  // like kErrWrongLeader.
  kErrTimeout = 4,
  // Between groups only: the server is not (or no longer) in the
  // configuration the request is about, e.g. a request "from the future";
  // ask again later.
  kErrNotReady = 5,
  // A request that can never succeed: a PutAppend whose op is neither "Put"
  // nor "Append". Nothing is executed. The clerk never sends one.
  kErrInvalidArgument = 6,
};

// "OK", "ErrNoKey", ... for logs and failure messages.
inline const char* ErrName(Err err) {
  switch (err) {
    case Err::kOK:
      return "OK";
    case Err::kErrNoKey:
      return "ErrNoKey";
    case Err::kErrWrongGroup:
      return "ErrWrongGroup";
    case Err::kErrWrongLeader:
      return "ErrWrongLeader";
    case Err::kErrTimeout:
      return "ErrTimeout";
    case Err::kErrNotReady:
      return "ErrNotReady";
    case Err::kErrInvalidArgument:
      return "ErrInvalidArgument";
  }
  return "Err(?)";
}

// PutAppend: op is "Put" or "Append". Append to a missing key acts as Put.
struct PutAppendArgs {
  std::string key;
  std::string value;
  std::string op;  // "Put" or "Append"
  // Duplicate detection: the clerk's random id and the sequence number of
  // this call (1, 2, ...). A retry of the same call, to any group, reuses
  // both, so the service applies it at most once.
  int64_t client_id = 0;
  int64_t seq = 0;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& key& value& op& client_id& seq;
  }
};

struct PutAppendReply {
  Err err = Err::kOK;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& err;
  }
};

struct GetArgs {
  std::string key;
  // As in PutAppendArgs.
  int64_t client_id = 0;
  int64_t seq = 0;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& key& client_id& seq;
  }
};

struct GetReply {
  Err err = Err::kOK;
  std::string value;  // meaningful when err is kOK

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& err& value;
  }
};

// SOLUTION BEGIN
// The migration protocol between groups. A group that gains shard s in
// configuration N pulls it from the group that owned s in configuration N-1
// ("ShardKV.PullShard"); once the data is installed through its own log it
// tells the old owner to delete its copy ("ShardKV.DeleteShard", challenge
// 1). Defined only in the reference solution; kit tests that exercise it
// check this macro.
#define RAFTLAB_SHARDKV_MIGRATION_RPCS 1

// What moves with a shard: its keys and the duplicate table of the clients
// that wrote them (client id -> sequence number of its last executed
// Put/Append on this shard), so that at-most-once survives the move.
struct ShardData {
  std::map<std::string, std::string> kv;
  std::map<int64_t, int64_t> last_seq;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& kv& last_seq;
  }
};

// "Give me shard `shard` as you left it when you moved to configuration
// `config_num`": the puller is in configuration config_num, in which it
// gained the shard, and the callee owned it in config_num - 1.
struct PullShardArgs {
  int config_num = 0;
  int shard = 0;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& config_num& shard;
  }
};

// kOK with the shard's data, or kErrNotReady when the server is not in
// configuration config_num holding the shard for the puller (not there yet,
// or long past it).
struct PullShardReply {
  Err err = Err::kOK;
  ShardData data;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& err& data;
  }
};

// "The new owner in configuration `config_num` has installed shard `shard`;
// delete your copy."
struct DeleteShardArgs {
  int config_num = 0;
  int shard = 0;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& config_num& shard;
  }
};

// kOK once the copy is gone (or was never there in that configuration);
// kErrWrongLeader / kErrTimeout: ask another server; kErrNotReady: the
// server has not reached config_num yet, so it deletes nothing.
struct DeleteShardReply {
  Err err = Err::kOK;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& err;
  }
};
// SOLUTION END

}  // namespace shardkv

#endif  // RAFTLAB_SHARDKV_COMMON_H_
