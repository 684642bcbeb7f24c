// The shard controller's data and wire types (Go's shardctrler/common.go):
// the configuration it stores, the error values and the
// arguments and replies of its four RPCs, "ShardCtrler.Join", ".Leave",
// ".Move" and ".Query". They travel through the labrpc fabric, which encodes
// them with serialize(): a field missing there does not travel.
//
// The shard controller decides which replica group serves which shard. A
// configuration maps each of the kNShards shards to a group id (gid) and
// each gid to its servers' names; configuration #0 has no groups and every
// shard on gid 0, which means "no group".
#ifndef RAFTLAB_SHARDCTRLER_COMMON_H_
#define RAFTLAB_SHARDCTRLER_COMMON_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "labrpc/codec.h"

namespace shardctrler {

// The number of shards (Go's NShards).
inline constexpr int kNShards = 10;

// One configuration. Each Join, Leave and Move makes exactly one new one,
// numbered latest+1; a configuration never changes once made.
struct Config {
  // Its number; #0 is the initial, empty configuration.
  int num = 0;
  // shards[s] is the gid that serves shard s, or 0 for none.
  std::array<int, kNShards> shards{};
  // gid -> the names of that group's servers (for a make_end function).
  // An ordered map, so that iterating it is the same on every replica.
  std::map<int, std::vector<std::string>> groups;

  friend bool operator==(const Config&, const Config&) = default;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& num& shards& groups;
  }
};

// The outcome of an RPC, as the server reports it.
enum class Err : uint8_t {
  kOK = 0,
  // This server is not the leader, or lost leadership before the request
  // was known to commit: the clerk retries it elsewhere with the same
  // sequence number. Replies also carry wrong_leader, as in the original.
  kErrWrongLeader = 1,
  // The request did not commit within the server's wait limit.
  kErrTimeout = 2,
  // A request that can never succeed: Join of gid 0 or of a gid already in
  // the latest configuration (checked when applied), Leave of a gid not in
  // it, Move of a shard outside [0, kNShards) or to a gid not in it. It
  // makes no new configuration; the clerk throws std::invalid_argument.
  kErrInvalidArgument = 3,
};

// "OK", "ErrWrongLeader", ... for logs and failure messages.
inline const char* ErrName(Err err) {
  switch (err) {
    case Err::kOK:
      return "OK";
    case Err::kErrWrongLeader:
      return "ErrWrongLeader";
    case Err::kErrTimeout:
      return "ErrTimeout";
    case Err::kErrInvalidArgument:
      return "ErrInvalidArgument";
  }
  return "Err(?)";
}

// Every request carries the clerk's random id and the number of the call
// (1, 2, ...), so that the controller executes a retried call at most once.
struct JoinArgs {
  // New gid -> its servers' names. The gids are non-zero and not currently
  // in the configuration (a gid may come back after it has left).
  std::map<int, std::vector<std::string>> servers;
  int64_t client_id = 0;
  int64_t seq = 0;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& servers& client_id& seq;
  }
};

struct LeaveArgs {
  // The gids that leave; their shards go to the remaining groups.
  std::vector<int> gids;
  int64_t client_id = 0;
  int64_t seq = 0;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& gids& client_id& seq;
  }
};

struct MoveArgs {
  // Assign shard `shard` to group `gid` (for tests; a later Join or Leave
  // may move it again).
  int shard = 0;
  int gid = 0;
  int64_t client_id = 0;
  int64_t seq = 0;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& shard& gid& client_id& seq;
  }
};

struct QueryArgs {
  // The configuration wanted; -1 or a number past the latest means the
  // latest.
  int num = -1;
  int64_t client_id = 0;
  int64_t seq = 0;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& num& client_id& seq;
  }
};

// The reply of Join, Leave and Move.
struct ChangeReply {
  bool wrong_leader = false;
  Err err = Err::kOK;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& wrong_leader& err;
  }
};
using JoinReply = ChangeReply;
using LeaveReply = ChangeReply;
using MoveReply = ChangeReply;

struct QueryReply {
  bool wrong_leader = false;
  Err err = Err::kOK;
  Config config;  // meaningful when err is kOK

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& wrong_leader& err& config;
  }
};

}  // namespace shardctrler

#endif  // RAFTLAB_SHARDCTRLER_COMMON_H_
