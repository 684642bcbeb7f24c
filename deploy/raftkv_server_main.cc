// raftkv-server: one KV server (kvraft/ over raft/, unchanged) as a process
// of its own, reached over TCP (deploy/tcp_transport.h), its Raft state and
// snapshot on disk (deploy/file_store.h).
//
//   raftkv-server --id 0 --peers 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003
//                 --data cluster/node-0 [--maxraftstate 1048576]
//
// --peers lists every server of the cluster, the same list in the same
// order for each; --id is this server's index in it, and that entry is the
// address it listens on. On its port it serves the KVServer and Raft
// services (as tests/kv_config.cc wires them) and Admin (deploy/admin.h).
//
// Exit status: 0 after SIGTERM or SIGINT (every Save is already on disk, so
// stopping needs no flush); 2 if it cannot start (a bad flag, a port in use,
// a data directory it cannot use: one line on stderr says what to fix, and
// the directory is left as it was); 1 on a fault while serving (a Save that
// fails: the server stops rather than break Raft's promise).
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "deploy/admin_service.h"
#include "deploy/file_store.h"
#include "deploy/tcp_transport.h"
#include "kvraft/server.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "raft/persister.h"

namespace deploy {
namespace {

constexpr const char* kUsage =
    "usage: raftkv-server --id N --peers host:port,host:port,... --data DIR "
    "[--maxraftstate BYTES]";
// Snapshot once the Raft state nears 1 MiB: every Save rewrites the whole
// state file, so an unbounded log would make each Save slower.
constexpr int kDefaultMaxRaftState = 1 << 20;
constexpr auto kLeaderPoll = std::chrono::milliseconds(50);
constexpr auto kSignalPoll = std::chrono::milliseconds(50);

struct Flags {
  int id = -1;
  std::vector<std::string> peers;
  std::string data;
  int maxraftstate = kDefaultMaxRaftState;
};

// A reason not to start, with what to fix; main prints it and exits 2.
class StartupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A whole decimal int in [lo, hi], or nullopt.
std::optional<int> ParseInt(const std::string& text, long lo, long hi) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  size_t start = text[0] == '-' ? 1 : 0;
  if (start == text.size() ||
      text.find_first_not_of("0123456789", start) != std::string::npos) {
    return std::nullopt;
  }
  long v = std::stol(text);
  if (v < lo || v > hi) return std::nullopt;
  return static_cast<int>(v);
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// Parses argv; throws StartupError saying what is wrong.
Flags ParseFlags(int argc, char** argv) {
  Flags f;
  bool have_id = false, have_peers = false, have_data = false;
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf("%s\n", kUsage);
      std::exit(0);
    }
    std::string value;
    if (size_t eq = arg.find('=');
        arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (arg == "--id" || arg == "--peers" || arg == "--data" ||
               arg == "--maxraftstate") {
      if (i + 1 >= argc) throw StartupError(arg + " needs a value");
      value = argv[++i];
    }
    if (arg == "--id") {
      std::optional<int> id = ParseInt(value, 0, 1'000'000);
      if (!id)
        throw StartupError("--id " + value +
                           ": not a server index (0, 1, ...)");
      f.id = *id;
      have_id = true;
    } else if (arg == "--peers") {
      f.peers = SplitCommas(value);
      have_peers = true;
    } else if (arg == "--data") {
      if (value.empty()) throw StartupError("--data needs a directory");
      f.data = value;
      have_data = true;
    } else if (arg == "--maxraftstate") {
      std::optional<int> m = ParseInt(value, -1, 1'000'000'000);
      if (!m) {
        throw StartupError("--maxraftstate " + value +
                           ": not a byte count (-1 for never snapshot)");
      }
      f.maxraftstate = *m;
    } else {
      throw StartupError(
          (arg.rfind("-", 0) == 0 ? "unknown flag " : "unexpected argument ") +
          arg);
    }
  }
  if (!have_id)
    throw StartupError("missing --id N (this server's index in --peers)");
  if (!have_peers)
    throw StartupError("missing --peers host:port,host:port,...");
  if (!have_data)
    throw StartupError(
        "missing --data DIR (where this server keeps its state)");
  std::set<std::string> seen;
  for (const std::string& p : f.peers) {
    try {
      SplitHostPort(p);
    } catch (const TcpError& e) {
      throw StartupError("--peers: " + std::string(e.what()));
    }
    if (!seen.insert(p).second) {
      throw StartupError("--peers lists " + p + " twice (each server once)");
    }
  }
  if (f.id >= static_cast<int>(f.peers.size())) {
    throw StartupError("--id " + std::to_string(f.id) +
                       " is out of range: --peers lists " +
                       std::to_string(f.peers.size()) + " server(s), ids 0.." +
                       std::to_string(f.peers.size() - 1));
  }
  if (SplitHostPort(f.peers[f.id]).second == 0) {
    throw StartupError(
        "--peers: entry " + std::to_string(f.id) + " (" + f.peers[f.id] +
        ") is this server's address and needs a real port, not 0");
  }
  return f;
}

// Logs each change of leadership, so that a learner watching the logs sees
// elections happen. Runs until the world stops.
void WatchLeadership(int id, std::shared_ptr<raft::Raft> rf) {
  bool was_leader = false;
  while (true) {
    labrpc::Sleep(kLeaderPoll);
    auto [term, is_leader] = rf->GetState();
    if (is_leader != was_leader) {
      if (is_leader) {
        std::fprintf(stderr, "raftkv-server %d: leader for term %d\n", id,
                     term);
      } else {
        std::fprintf(stderr, "raftkv-server %d: no longer leader (term %d)\n",
                     id, term);
      }
      was_leader = is_leader;
    }
  }
}

// Returns the signal (SIGTERM or SIGINT) that asked us to stop, polling
// between sleeps so that a world stopping for a fault ends this too.
int AwaitStopSignal(const sigset_t& signals) {
  const timespec zero{0, 0};
  while (true) {
    int sig = sigtimedwait(&signals, nullptr, &zero);
    if (sig > 0) return sig;
    labrpc::Sleep(kSignalPoll);
  }
}

// The root task: starts the server, serves until a signal, stops it.
void Serve(const Flags& f, const sigset_t& signals) {
  const std::string& me = f.peers[f.id];
  std::shared_ptr<raft::Persister> persister;
  try {
    persister =
        std::make_shared<raft::Persister>(std::make_unique<FileStore>(f.data));
  } catch (const StoreError& e) {
    throw StartupError(std::string(e.what()) +
                       "; not starting (fix or move the data directory)");
  }
  auto net = std::make_shared<TcpTransport>();
  auto server = std::make_shared<labrpc::Server>();
  try {
    net->Listen(me, server);
  } catch (const TcpError& e) {
    throw StartupError("cannot listen on " + std::string(e.what()));
  }
  std::vector<std::shared_ptr<labrpc::ClientEnd>> ends;
  for (const std::string& p : f.peers) ends.push_back(net->MakeEnd(p));
  std::shared_ptr<kvraft::KVServer> kv;
  try {
    kv = kvraft::StartKVServer(ends, f.id, persister, f.maxraftstate);
  } catch (const std::runtime_error& e) {  // Raft state that does not decode
    throw StartupError(f.data + ": " + e.what() +
                       "; not starting (fix or move the data directory)");
  }
  server->AddService(kv->service());
  server->AddService(kv->raft()->service());
  server->AddService(NewAdminService({f.id, me}, kv->raft(), persister, net));

  std::vector<std::string> others;
  for (const std::string& p : f.peers) {
    if (p != me) others.push_back(p);
  }
  std::printf("raftkv-server %d: serving %s, peers %s, data %s\n", f.id,
              me.c_str(), others.empty() ? "(none)" : Join(others, ",").c_str(),
              f.data.c_str());
  std::fflush(stdout);
  labrpc::Go("leadership log",
             [id = f.id, rf = kv->raft()] { WatchLeadership(id, rf); });

  const int sig = AwaitStopSignal(signals);
  std::fprintf(stderr, "raftkv-server %d: %s, stopping\n", f.id,
               sig == SIGINT ? "SIGINT" : "SIGTERM");
  kv->Kill();
  net->Close();
}

}  // namespace
}  // namespace deploy

int main(int argc, char** argv) {
  deploy::Flags flags;
  try {
    flags = deploy::ParseFlags(argc, argv);
  } catch (const deploy::StartupError& e) {
    std::fprintf(stderr, "raftkv-server: %s (%s)\n", e.what(), deploy::kUsage);
    return 2;
  }
  // Blocked in every thread (the world's threads inherit the mask), so that
  // the root task takes them with sigtimedwait instead of a handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A peer that closes a connection while we write must not kill us.
  signal(SIGPIPE, SIG_IGN);

  try {
    labrpc::WorldOptions options = labrpc::WorldOptions::FromEnv();
    options.backend = labrpc::Backend::kReal;  // sockets need real time
    labrpc::World world(options);
    world.Run([&] { deploy::Serve(flags, signals); });
  } catch (const deploy::StartupError& e) {
    std::fprintf(stderr, "raftkv-server: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "raftkv-server %d: stopped by a fault: %s\n", flags.id,
                 e.what());
    return 1;
  }
  return 0;
}
