// The raftkv CLI's commands that talk to a running cluster, one call each:
// get/put/append through a kvraft::Clerk, and status/block/unblock through
// each server's Admin service (deploy/admin.h). Run inside a real world.
//
//   deploy::TcpTransport net;
//   deploy::ClusterClient cluster(net, {"127.0.0.1:7001", ...},
//                                 std::chrono::seconds(10));
//   std::string v = cluster.Get("k");       // throws CliError after 10 s:
//   // "no server of 127.0.0.1:7001,... answered within 10 s"
//   std::vector<deploy::ServerStatus> st = cluster.Status();
//   std::cout << deploy::FormatStatusTable(st, /*tsv=*/false);
//   cluster.SetBlocked("127.0.0.1:7001", {"127.0.0.1:7002"});
#ifndef RAFTLAB_DEPLOY_CLUSTER_COMMANDS_H_
#define RAFTLAB_DEPLOY_CLUSTER_COMMANDS_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "deploy/admin.h"
#include "deploy/tcp_transport.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"

namespace kvraft {
class Clerk;
}  // namespace kvraft

namespace deploy {

// One server's answer to Admin.Status, or none.
struct ServerStatus {
  std::string address;                    // as given on the command line
  std::optional<AdminStatusReply> reply;  // nullopt: it did not answer
};

class ClusterClient {
 public:
  // servers: host:port of each server (any order). Every operation gives
  // up after `timeout`.
  ClusterClient(TcpTransport& net, std::vector<std::string> servers,
                labrpc::Duration timeout);

  // Through a fresh kvraft::Clerk. Throw CliError once `timeout` passes,
  // saying whether any server answered at all.
  std::string Get(const std::string& key);
  void Put(const std::string& key, const std::string& value);
  void Append(const std::string& key, const std::string& value);

  // Admin.Status of every server, asked in parallel, in --servers order.
  std::vector<ServerStatus> Status();
  // Admin.SetBlocked on `server` (one of the servers). Throws CliError if it
  // does not answer.
  void SetBlocked(const std::string& server,
                  const std::vector<std::string>& peers);

  const std::vector<std::shared_ptr<labrpc::ClientEnd>>& ends() const {
    return ends_;
  }
  const std::vector<std::string>& servers() const { return servers_; }

 private:
  // Runs `op` on a fresh clerk, bounded by timeout_; `what` ("get k")
  // names it in the error.
  void RunClerkOp(const std::string& what,
                  std::function<void(kvraft::Clerk&)> op);
  // The error for a KV op that did not finish: who, if anyone, answers.
  std::string Unfinished(const std::string& what);

  TcpTransport& net_;
  const std::vector<std::string> servers_;
  const labrpc::Duration timeout_;
  std::vector<std::shared_ptr<labrpc::ClientEnd>> ends_;
};

// The status table: one row per server with id, address, up/down, term,
// leader, Raft state and snapshot bytes, blocked peers. tsv: the same
// columns tab-separated, no header, "-" for empty (for scripts).
std::string FormatStatusTable(const std::vector<ServerStatus>& statuses,
                              bool tsv);

}  // namespace deploy

#endif  // RAFTLAB_DEPLOY_CLUSTER_COMMANDS_H_
