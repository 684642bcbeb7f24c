// The raftkv CLI's one-call cluster commands; see cluster_commands.h.
#include "deploy/cluster_commands.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "deploy/bounded_task.h"
#include "deploy/cli_flags.h"
#include "kvraft/client.h"

namespace deploy {

ClusterClient::ClusterClient(TcpTransport& net,
                             std::vector<std::string> servers,
                             labrpc::Duration timeout)
    : net_(net), servers_(std::move(servers)), timeout_(timeout) {
  for (const std::string& s : servers_) ends_.push_back(net_.MakeEnd(s));
}

void ClusterClient::RunClerkOp(const std::string& what,
                               std::function<void(kvraft::Clerk&)> op) {
  auto clerk = std::make_shared<kvraft::Clerk>(ends_);
  // The clerk retries forever; after a timeout its task is left to the
  // world, which cancels it when the command returns.
  if (!RunWithTimeout("raftkv-" + what, timeout_,
                      [clerk, op = std::move(op)] { op(*clerk); })) {
    throw CliError(Unfinished(what));
  }
}

std::string ClusterClient::Unfinished(const std::string& what) {
  std::vector<std::string> answered;
  for (const ServerStatus& s : Status()) {
    if (s.reply) answered.push_back(s.address);
  }
  if (answered.empty()) {
    return "no server of " + JoinList(servers_) + " answered within " +
           FormatSeconds(timeout_);
  }
  return what + " did not complete within " + FormatSeconds(timeout_) + ": " +
         JoinList(answered) +
         " answered, but none as a leader of a majority (is more than half "
         "of the cluster down or cut off?)";
}

std::string ClusterClient::Get(const std::string& key) {
  auto value = std::make_shared<std::string>();
  RunClerkOp("get " + key,
             [value, key](kvraft::Clerk& ck) { *value = ck.Get(key); });
  return *value;
}

void ClusterClient::Put(const std::string& key, const std::string& value) {
  RunClerkOp("put " + key,
             [key, value](kvraft::Clerk& ck) { ck.Put(key, value); });
}

void ClusterClient::Append(const std::string& key, const std::string& value) {
  RunClerkOp("append " + key,
             [key, value](kvraft::Clerk& ck) { ck.Append(key, value); });
}

std::vector<ServerStatus> ClusterClient::Status() {
  struct Pending {
    labrpc::Mutex mu{"status"};
    std::vector<ServerStatus> out;
  };
  auto pending = std::make_shared<Pending>();
  pending->out.resize(servers_.size());
  labrpc::WaitGroup wg;
  for (size_t i = 0; i < servers_.size(); i++) {
    pending->out[i].address = servers_[i];
    wg.Add(1);
    labrpc::Go("status-" + servers_[i], [this, pending, i, &wg] {
      // The transport bounds the call (connect_timeout, call_timeout).
      AdminStatusReply reply;
      const bool ok = ends_[i]->Call(kAdminStatus, AdminStatusArgs{}, &reply);
      {
        labrpc::MutexLock l(pending->mu);
        if (ok) pending->out[i].reply = reply;
      }
      wg.Done();
    });
  }
  wg.Wait();
  labrpc::MutexLock l(pending->mu);
  return pending->out;
}

void ClusterClient::SetBlocked(const std::string& server,
                               const std::vector<std::string>& peers) {
  auto it = std::find(servers_.begin(), servers_.end(), server);
  if (it == servers_.end()) throw CliError(server + " is not a server here");
  AdminSetBlockedArgs args;
  args.peers = peers;
  AdminSetBlockedReply reply;
  if (!ends_[it - servers_.begin()]->Call(kAdminSetBlocked, args, &reply)) {
    throw CliError(server + " did not answer Admin.SetBlocked (is it down " +
                   "or paused?)");
  }
}

std::string FormatStatusTable(const std::vector<ServerStatus>& statuses,
                              bool tsv) {
  std::string out;
  char line[1024];
  if (!tsv) {
    std::snprintf(line, sizeof line, "%-3s %-21s %-5s %5s %-6s %11s %11s  %s\n",
                  "id", "address", "state", "term", "leader", "raft_bytes",
                  "snap_bytes", "blocked");
    out += line;
  }
  for (const ServerStatus& s : statuses) {
    if (!s.reply) {
      std::snprintf(line, sizeof line,
                    tsv ? "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n"
                        : "%-3s %-21s %-5s %5s %-6s %11s %11s  %s\n",
                    "-", s.address.c_str(), "down", "-", "-", "-", "-", "-");
      out += line;
      continue;
    }
    const AdminStatusReply& r = *s.reply;
    std::string blocked = JoinList(r.blocked);
    if (blocked.empty()) blocked = "-";
    std::snprintf(
        line, sizeof line,
        tsv ? "%d\t%s\t%s\t%d\t%s\t%llu\t%llu\t%s\n"
            : "%-3d %-21s %-5s %5d %-6s %11llu %11llu  %s\n",
        r.id, s.address.c_str(), "up", r.term, r.is_leader ? "yes" : "no",
        static_cast<unsigned long long>(r.raft_state_bytes),
        static_cast<unsigned long long>(r.snapshot_bytes), blocked.c_str());
    out += line;
  }
  return out;
}

}  // namespace deploy
