// The Admin service of a raftkv-server: what a person (the raftkv CLI,
// scripts/cluster.py) asks a running server, on the same port as its Raft
// and KVServer services. Its wire types, with serialize() like
// kvraft/common.h:
//
//   deploy::AdminStatusReply st;
//   if (end->Call(deploy::kAdminStatus, deploy::AdminStatusArgs{}, &st)) {
//     // st.id, st.term, st.is_leader, st.raft_state_bytes, ...
//   }
//   deploy::AdminSetBlockedArgs b{{"127.0.0.1:7002", "127.0.0.1:7003"}};
//   deploy::AdminSetBlockedReply r;
//   end->Call(deploy::kAdminSetBlocked, b, &r);  // {} heals
#ifndef RAFTLAB_DEPLOY_ADMIN_H_
#define RAFTLAB_DEPLOY_ADMIN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "labrpc/codec.h"

namespace deploy {

inline constexpr const char* kAdminService = "Admin";
inline constexpr const char* kAdminStatus = "Admin.Status";
inline constexpr const char* kAdminSetBlocked = "Admin.SetBlocked";

struct AdminStatusArgs {
  template <class Archive>
  void serialize(Archive& /*ar*/, const unsigned /*version*/) {}
};

struct AdminStatusReply {
  int32_t id = -1;                // the server's --id
  std::string address;            // its listen address, as in --peers
  int32_t term = 0;               // Raft's GetState()
  bool is_leader = false;         // Raft's GetState()
  uint64_t raft_state_bytes = 0;  // Persister::RaftStateSize()
  uint64_t snapshot_bytes = 0;    // Persister::SnapshotSize()
  // The transport's filter (TcpTransport::Blocked()), sorted.
  std::vector<std::string> blocked;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& id& address& term& is_leader& raft_state_bytes& snapshot_bytes& blocked;
  }
};

// Replaces the server's partition filter with `peers` (host:port strings
// as in --peers); empty unblocks everything.
struct AdminSetBlockedArgs {
  std::vector<std::string> peers;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& peers;
  }
};

struct AdminSetBlockedReply {
  template <class Archive>
  void serialize(Archive& /*ar*/, const unsigned /*version*/) {}
};

}  // namespace deploy

#endif  // RAFTLAB_DEPLOY_ADMIN_H_
