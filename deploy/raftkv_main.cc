// raftkv: the command-line client of a raftkv-server cluster (and, for the
// benchmark, of etcd). See kUsage below, and the README's "A real cluster" for
// a walk through a cluster. Exit status: 0 on success, 2 on a bad command line
// or a failure (with one line on stderr saying what to fix).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "deploy/cli_flags.h"
#include "deploy/cluster_commands.h"
#include "deploy/etcd_client.h"
#include "deploy/history_log.h"
#include "deploy/kv_bench.h"
#include "deploy/kv_workload.h"
#include "deploy/tcp_transport.h"
#include "kvraft/client.h"
#include "labrpc/runtime.h"

namespace {

using deploy::CliError;
using deploy::Flags;
using deploy::UsageError;

constexpr const char* kUsage =
    "usage: raftkv --servers HOST:PORT,... COMMAND [ARGS] [FLAGS]\n"
    "Commands:\n"
    "  get KEY                print KEY's value (empty if missing)\n"
    "  put KEY VALUE          replace KEY's value\n"
    "  append KEY VALUE       append VALUE to KEY's value\n"
    "  status [--tsv]         every server's id, term, leadership, state\n"
    "                         and snapshot sizes, blocked peers\n"
    "  block HOST:PORT,...    (with --server HOST:PORT) make that server's\n"
    "                         calls to these peers fail: one side of a\n"
    "                         partition\n"
    "  unblock [HOST:PORT,...]  (with --server) unblock these peers, or all\n"
    "  workload --clients C --keys K --duration S --record FILE\n"
    "           [--op-timeout S] [--tag T]\n"
    "                         C clerks doing random get/put/append on K keys\n"
    "                         for S seconds, every operation written to FILE\n"
    "                         in lincheck's text format; SIGTERM ends it\n"
    "                         early, the history complete\n"
    "  bench --clients C --ops N --kind put|get [--value-bytes B]\n"
    "        [--op-timeout S] [--target raftkv|etcd] [--endpoints URL,...]\n"
    "                         throughput and latency of N operations; with\n"
    "                         --target etcd, against etcd's JSON gateway\n"
    "                         (--endpoints http://127.0.0.1:2379,...)\n"
    "Flags:\n"
    "  --servers H:P,...      the cluster's servers (any order)\n"
    "  --server H:P           one server (block, unblock)\n"
    "  --timeout S            give up on get/put/append/status after S\n"
    "                         seconds (default 10)\n"
    "  --op-timeout S         workload/bench: an operation with no reply\n"
    "                         after S seconds is unknown (default 5)\n"
    "Exit status: 0 success, 2 bad usage or failure.\n";

const std::set<std::string> kValueFlags = {
    "servers",  "server",      "timeout",    "clients",  "keys",
    "duration", "record",      "op-timeout", "tag",      "ops",
    "kind",     "value-bytes", "target",     "endpoints"};
const std::set<std::string> kBoolFlags = {"tsv", "help"};

void NeedArgs(const std::vector<std::string>& pos, size_t n,
              const std::string& form) {
  if (pos.size() != n) throw UsageError("usage: raftkv ... " + form);
}

// The servers of --servers, or of --server for commands on one server.
std::vector<std::string> Servers(const Flags& f, const std::string& command) {
  if (f.Has("servers") && f.Has("server")) {
    throw UsageError("give --servers or --server, not both");
  }
  if (f.Has("server")) {
    return deploy::SplitHostPorts(f.Require("server", command), "--server");
  }
  if (!f.Has("servers")) {
    throw UsageError(command +
                     " needs --servers HOST:PORT,... (the cluster's servers)");
  }
  return deploy::SplitHostPorts(f.Require("servers", command), "--servers");
}

// Set by SIGTERM and SIGINT during a workload: end it as at its deadline
// (kv_workload.h says why a plain kill would spoil the history).
std::atomic<bool> workload_stop{false};
void StopWorkload(int) { workload_stop.store(true); }
static_assert(std::atomic<bool>::is_always_lock_free,
              "a signal handler may only store to a lock-free atomic");

int RunWorkloadCommand(const Flags& f, deploy::TcpTransport& net) {
  f.AllowOnly(
      {"servers", "clients", "keys", "duration", "record", "op-timeout", "tag"},
      "workload");
  deploy::WorkloadOptions o;
  o.clients = static_cast<int>(f.GetInt("clients", 3, 1, 256));
  o.keys = static_cast<int>(f.GetInt("keys", 3, 1, 1000000));
  o.duration = f.GetSeconds("duration", 10);
  o.op_timeout = f.GetSeconds("op-timeout", 5);
  o.record = f.Require("record", "workload");
  o.tag = f.GetOr("tag", "p" + std::to_string(getpid()));
  if (o.tag.empty() || o.tag.find_first_of(" ;.\"\\#\t\n") != o.tag.npos) {
    throw UsageError(
        "--tag must be a non-empty word without blanks, quotes, "
        "'#', '.' or ';' (it is part of every value written)");
  }
  o.stop = &workload_stop;
  std::signal(SIGTERM, StopWorkload);
  std::signal(SIGINT, StopWorkload);
  deploy::ClusterClient cluster(net, Servers(f, "workload"),
                                std::chrono::seconds(10));
  deploy::WorkloadStats s = deploy::RunWorkload(cluster.ends(), o);
  std::cout << deploy::FormatWorkloadStats(o, s) << std::flush;
  if (s.gets + s.puts + s.appends == 0) {
    throw CliError("workload: no operation completed (no server of " +
                   deploy::JoinList(cluster.servers()) +
                   " served one; is the cluster up?)");
  }
  return 0;
}

// A KvTarget over a Clerk: the raftkv side of the benchmark.
class ClerkTarget : public deploy::KvTarget {
 public:
  explicit ClerkTarget(std::vector<std::shared_ptr<labrpc::ClientEnd>> ends)
      : clerk_(std::move(ends)) {}
  void Put(const std::string& key, const std::string& value) override {
    clerk_.Put(key, value);
  }
  std::string Get(const std::string& key) override { return clerk_.Get(key); }

 private:
  kvraft::Clerk clerk_;
};

int RunBenchCommand(const Flags& f, deploy::TcpTransport& net) {
  f.AllowOnly({"servers", "clients", "ops", "kind", "value-bytes", "op-timeout",
               "target", "endpoints"},
              "bench");
  deploy::BenchOptions o;
  o.clients = static_cast<int>(f.GetInt("clients", 1, 1, 1024));
  o.ops = f.GetInt("ops", 1000, 1, 100'000'000);
  if (o.ops < o.clients) throw UsageError("--ops must be at least --clients");
  const std::string kind = f.Require("kind", "bench");
  if (kind != "put" && kind != "get") {
    throw UsageError("--kind must be put or get, not '" + kind + "'");
  }
  o.kind = kind == "put" ? deploy::BenchKind::kPut : deploy::BenchKind::kGet;
  o.value_bytes = static_cast<int>(f.GetInt("value-bytes", 64, 1, 1 << 20));
  o.op_timeout = f.GetSeconds("op-timeout", 5);
  const std::string target = f.GetOr("target", "raftkv");
  deploy::KvTargetFactory factory;
  std::unique_ptr<deploy::ClusterClient> cluster;
  if (target == "raftkv") {
    if (f.Has("endpoints")) {
      throw UsageError(
          "--endpoints is for --target etcd; raftkv uses "
          "--servers");
    }
    cluster = std::make_unique<deploy::ClusterClient>(net, Servers(f, "bench"),
                                                      o.op_timeout);
    factory = [ends = cluster->ends()](int) {
      return std::make_unique<ClerkTarget>(ends);
    };
  } else if (target == "etcd") {
    if (f.Has("servers")) {
      throw UsageError("--servers is for raftkv; etcd uses --endpoints");
    }
    std::vector<std::string> endpoints = deploy::SplitList(
        f.Require("endpoints", "bench --target etcd"), "--endpoints");
    for (const std::string& e : endpoints) deploy::ParseHttpEndpoint(e);
    factory = [endpoints, timeout = o.op_timeout](int client) {
      // Clients spread over the members, as etcd's own benchmark does;
      // a write to a follower is forwarded to the leader.
      return std::make_unique<deploy::EtcdClient>(
          endpoints[client % endpoints.size()], timeout);
    };
  } else {
    throw UsageError("--target must be raftkv or etcd, not '" + target + "'");
  }
  deploy::BenchResult r = deploy::RunBench(factory, o);
  std::cout << deploy::BenchHeader() << deploy::BenchRow(target, o, r)
            << std::flush;
  return 0;
}

int RunCommand(const Flags& f) {
  const std::vector<std::string>& pos = f.positional();
  const std::string command = pos[0];
  deploy::TcpTransport net;
  const labrpc::Duration timeout = f.GetSeconds("timeout", 10);
  if (command == "get" || command == "put" || command == "append") {
    f.AllowOnly({"servers", "server", "timeout"}, command);
    NeedArgs(pos, command == "get" ? 2 : 3,
             command + (command == "get" ? " KEY" : " KEY VALUE"));
    deploy::ClusterClient cluster(net, Servers(f, command), timeout);
    if (command == "get") {
      std::cout << cluster.Get(pos[1]) << "\n" << std::flush;
    } else if (command == "put") {
      cluster.Put(pos[1], pos[2]);
    } else {
      cluster.Append(pos[1], pos[2]);
    }
    return 0;
  }
  if (command == "status") {
    f.AllowOnly({"servers", "server", "timeout", "tsv"}, command);
    NeedArgs(pos, 1, "status");
    deploy::ClusterClient cluster(net, Servers(f, command), timeout);
    std::vector<deploy::ServerStatus> st = cluster.Status();
    std::cout << deploy::FormatStatusTable(st, f.Has("tsv")) << std::flush;
    for (const deploy::ServerStatus& s : st) {
      if (s.reply) return 0;
    }
    throw CliError("no server of " + deploy::JoinList(cluster.servers()) +
                   " answered");
  }
  if (command == "block" || command == "unblock") {
    f.AllowOnly({"server", "servers", "timeout"}, command);
    if (command == "block") NeedArgs(pos, 2, "block HOST:PORT,...");
    if (pos.size() > 2) NeedArgs(pos, 2, "unblock [HOST:PORT,...]");
    std::vector<std::string> servers = Servers(f, command);
    if (servers.size() != 1) {
      throw UsageError(command + " acts on one server: give --server H:P");
    }
    deploy::ClusterClient cluster(net, servers, timeout);
    std::vector<std::string> peers;
    if (pos.size() == 2) peers = deploy::SplitHostPorts(pos[1], command);
    if (command == "unblock" && !peers.empty()) {
      // Unblock only these: keep the rest of the server's filter.
      std::vector<deploy::ServerStatus> st = cluster.Status();
      if (!st[0].reply) {
        throw CliError(servers[0] + " did not answer Admin.Status");
      }
      std::vector<std::string> keep;
      for (const std::string& b : st[0].reply->blocked) {
        if (std::find(peers.begin(), peers.end(), b) == peers.end()) {
          keep.push_back(b);
        }
      }
      peers = keep;
    }
    cluster.SetBlocked(servers[0], peers);
    std::cout << servers[0] << ": blocks "
              << (peers.empty() ? "nothing" : deploy::JoinList(peers)) << "\n"
              << std::flush;
    return 0;
  }
  if (command == "workload") {
    NeedArgs(pos, 1, "workload --clients C --keys K --duration S --record F");
    return RunWorkloadCommand(f, net);
  }
  if (command == "bench") {
    NeedArgs(pos, 1, "bench --clients C --ops N --kind put|get");
    return RunBenchCommand(f, net);
  }
  throw UsageError("unknown command '" + command + "'");
}

}  // namespace

int main(int argc, char** argv) {
  std::unique_ptr<Flags> flags;
  try {
    flags = std::make_unique<Flags>(argc, argv, kValueFlags, kBoolFlags);
    if (flags->Has("help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (flags->positional().empty()) throw UsageError("no command given");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "raftkv: %s\n%s", e.what(), kUsage);
    return 2;
  }
  labrpc::WorldOptions options;
  options.backend = labrpc::Backend::kReal;
  // A fresh seed per process: clerks draw their ids from the world's
  // random source, and two processes with the same ids would defeat the
  // servers' duplicate detection.
  std::random_device rd;
  options.seed = (static_cast<uint64_t>(rd()) << 32 | rd()) ^
                 static_cast<uint64_t>(getpid());
  int status = 0;
  labrpc::World world(options);
  world.Run([&] {
    try {
      status = RunCommand(*flags);
    } catch (const UsageError& e) {
      std::fprintf(stderr, "raftkv: %s\n%s", e.what(), kUsage);
      status = 2;
    } catch (const CliError& e) {
      std::fprintf(stderr, "raftkv: %s\n", e.what());
      status = 2;
    } catch (const deploy::TcpError& e) {
      std::fprintf(stderr, "raftkv: %s\n", e.what());
      status = 2;
    }
  });
  return status;
}
