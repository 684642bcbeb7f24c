// The Admin service of a raftkv-server (wire types in deploy/admin.h):
// Status reads Raft's GetState, the Persister's sizes and the transport's
// filter; SetBlocked replaces the filter (and logs it on stderr).
//
//   server->AddService(deploy::NewAdminService(
//       {id, "127.0.0.1:7001"}, kv->raft(), persister, transport));
#ifndef RAFTLAB_DEPLOY_ADMIN_SERVICE_H_
#define RAFTLAB_DEPLOY_ADMIN_SERVICE_H_

#include <memory>
#include <string>

#include "deploy/tcp_transport.h"
#include "labrpc/network.h"
#include "raft/persister.h"
#include "raft/raft.h"

namespace deploy {

// Who the server is, as Status reports it.
struct AdminIdentity {
  int id = -1;          // --id
  std::string address;  // its listen address, as in --peers
};

// A fresh service named kAdminService. It holds the three objects for as
// long as a labrpc::Server holds it.
std::shared_ptr<labrpc::Service> NewAdminService(
    AdminIdentity who, std::shared_ptr<raft::Raft> rf,
    std::shared_ptr<raft::Persister> persister,
    std::shared_ptr<TcpTransport> net);

}  // namespace deploy

#endif  // RAFTLAB_DEPLOY_ADMIN_SERVICE_H_
