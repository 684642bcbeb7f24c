// The KV service's wire types: the error values and the arguments and
// replies of its two RPCs, "KVServer.Get" and "KVServer.PutAppend" (Go's
// kvraft/common.go). They travel through the labrpc fabric, which encodes them
// with serialize(): a field missing there does not travel.
#ifndef RAFTLAB_KVRAFT_COMMON_H_
#define RAFTLAB_KVRAFT_COMMON_H_

#include <cstdint>
#include <string>

#include "labrpc/codec.h"

namespace kvraft {

// The outcome of an RPC, as the server reports it (Go's Err strings).
enum class Err : uint8_t {
  kOK = 0,
  // Get of a key that has never been written. The clerk returns "".
  kErrNoKey = 1,
  // This server is not the leader, or lost leadership before the operation
  // was known to commit: the operation may or may not have taken effect, so
  // the clerk retries it (elsewhere) under the same sequence number.
  kErrWrongLeader = 2,
  // The operation did not commit within the server's wait limit (e.g. a
  // leader cut off in a minority). Treated like kErrWrongLeader.
  kErrTimeout = 3,
  // A request that can never succeed: a PutAppend whose op is neither "Put"
  // nor "Append". Nothing is executed. The clerk never sends one.
  kErrInvalidArgument = 4,
};

// "OK", "ErrNoKey", ... for logs and failure messages.
const char* ErrName(Err err);

// PutAppend: op is "Put" or "Append". Append to a missing key acts as Put.
struct PutAppendArgs {
  std::string key;
  std::string value;
  std::string op;  // "Put" or "Append"
  // Duplicate detection: the clerk's random id and the sequence number of
  // this call (1, 2, ...). A retry of the same call reuses both, so the
  // server applies it at most once.
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

inline const char* ErrName(Err err) {
  switch (err) {
    case Err::kOK:
      return "OK";
    case Err::kErrNoKey:
      return "ErrNoKey";
    case Err::kErrWrongLeader:
      return "ErrWrongLeader";
    case Err::kErrTimeout:
      return "ErrTimeout";
    case Err::kErrInvalidArgument:
      return "ErrInvalidArgument";
  }
  return "Err(?)";
}

}  // namespace kvraft

#endif  // RAFTLAB_KVRAFT_COMMON_H_
