// The Admin service (see admin_service.h).
#include "deploy/admin_service.h"

#include <cstdio>
#include <set>
#include <utility>

#include "deploy/admin.h"

namespace deploy {

std::shared_ptr<labrpc::Service> NewAdminService(
    AdminIdentity who, std::shared_ptr<raft::Raft> rf,
    std::shared_ptr<raft::Persister> persister,
    std::shared_ptr<TcpTransport> net) {
  auto svc = std::make_shared<labrpc::Service>(kAdminService);
  svc->Register("Status", [who, rf, persister, net](const AdminStatusArgs&,
                                                    AdminStatusReply* r) {
    auto [term, is_leader] = rf->GetState();
    r->id = who.id;
    r->address = who.address;
    r->term = term;
    r->is_leader = is_leader;
    r->raft_state_bytes = persister->RaftStateSize();
    r->snapshot_bytes = persister->SnapshotSize();
    std::set<std::string> blocked = net->Blocked();
    r->blocked.assign(blocked.begin(), blocked.end());  // sorted
  });
  svc->Register("SetBlocked", [id = who.id, net](const AdminSetBlockedArgs& a,
                                                 AdminSetBlockedReply*) {
    std::set<std::string> peers(a.peers.begin(), a.peers.end());
    std::string list;
    for (const std::string& p : peers) list += (list.empty() ? "" : ",") + p;
    net->SetBlocked(std::move(peers));
    // So that a learner reading the logs sees the partition come and go.
    std::fprintf(
        stderr, "raftkv-server %d: %s\n", id,
        list.empty() ? "unblocked every peer" : ("blocked " + list).c_str());
  });
  return svc;
}

}  // namespace deploy
