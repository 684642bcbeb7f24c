// The kvraft test harness: the C++ port of the Go labs' src/kvraft/config.go
// (a cluster of KV servers on one labrpc network, with partitions, crashes,
// restarts and clerks whose ends can be cut) and of the helpers in
// src/kvraft/test_test.go (logged Get/Put/Append, the append checks, the
// partitioner, GenericTest and GenericTestSpeed).
//
//   RunKvTest(5, /*unreliable=*/false, /*maxraftstate=*/-1,
//             [](const KvConfigPtr& cfg) {
//     auto ck = cfg->MakeClient(cfg->All());
//     cfg->Begin("Test: one client (3A)");
//     Put(cfg, ck, "a", "x", nullptr, -1);
//     Check(cfg, ck, "a", "x");
//     cfg->End();
//   });
//
// Every failure goes through raftlab_test::Fatal with the Go tester's
// message and ends the test at once, whichever task found it. All
// randomness comes from the runtime's seeded source and all time from
// labrpc::Now(), so a sim run replays bit for bit from its seed.
//
// Besides the statistics, the harness records the faults it injects
// (partitions, crashes and restarts, the unreliable network) with their
// times, so that a history that is not linearizable can be drawn together
// with what happened to the cluster.
#ifndef RAFTLAB_TESTS_KV_CONFIG_H_
#define RAFTLAB_TESTS_KV_CONFIG_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kvraft/client.h"
#include "kvraft/server.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "linearizability/kv_model.h"
#include "linearizability/operation.h"
#include "raft/persister.h"
#include "tests/harness_util.h"
#include "tests/test_world.h"

namespace raftlab_test {

// The tests' election timeout (Go's electionTimeout).
inline constexpr std::chrono::milliseconds kKvElectionTimeout{1000};
// A test that runs longer than this (virtual time under sim) fails.
inline constexpr std::chrono::seconds kKvTestTimeLimit{120};
// Under sim, a test client pauses for a random 1..kSimClientMaxThinkMs ms
// after each logged-wrapper call (outside the operation's recorded
// interval). Virtual time advances only when every task blocks, and the
// fabric delivers reliable RPCs in zero virtual time, so without a pause the
// clients of GenericTest, which loop as fast as they can, would keep time
// from ever reaching the end of the test's 5 s phases; and since CPU work
// costs no virtual time, the pause is also what bounds the number of
// operations (and the cost of a run) the way CPU speed does under real. The
// mean pause (~10 ms) gives operation counts close to the real backend's and
// to the Go labs'. Under real there is no pause, as in Go.
inline constexpr int kSimClientMaxThinkMs = 20;

using ClerkPtr = std::shared_ptr<kvraft::Clerk>;

// Go's OpLog: the history of logged client operations, for the
// linearizability check. Safe for concurrent use.
class OpLog {
 public:
  OpLog();
  void Append(const KvOperation& op);
  // A copy of the history so far.
  std::vector<KvOperation> Read();

 private:
  labrpc::Mutex mu_{"oplog"};
  std::vector<KvOperation> ops_;
};
using OpLogPtr = std::shared_ptr<OpLog>;

class KvConfig;
using KvConfigPtr = std::shared_ptr<KvConfig>;

// One KV cluster under test. Thread-safe: every method may be called from
// any task of the test's world.
//
// Locking: mu_ guards the mutable state below. It is never held while
// calling into a server (StartKVServer, Kill, GetState) or while a Call may
// block.
class KvConfig : public std::enable_shared_from_this<KvConfig> {
 public:
  // Go's make_config: n servers on a fresh network (long delays off, so a
  // call to an unreachable server fails within 100 ms), all started and
  // connected, reliable unless `unreliable`. maxraftstate is passed to
  // every server (-1: never snapshot). Must be called inside a world.
  static KvConfigPtr Make(int n, bool unreliable, int maxraftstate);

  KvConfig(const KvConfig&) = delete;
  KvConfig& operator=(const KvConfig&) = delete;
  ~KvConfig();

  int n() const { return n_; }
  int maxraftstate() const { return maxraftstate_; }
  // [0, 1, ..., n-1].
  std::vector<int> All() const;

  // --- Servers ---
  // Starts server i on a copy of its persisted state, with fresh end names,
  // and registers its "KVServer" and "Raft" services under name i. Does
  // not connect it (use ConnectAll).
  void StartServer(int i);
  // Disconnects server i, deletes it from the network, keeps a copy of
  // what it persisted (so the dead instance can no longer change what the
  // next one reads) and kills it.
  void ShutdownServer(int i);
  // Enables the ends between every pair of servers.
  void ConnectAll();
  // Servers in p1 can reach each other but none in p2, and vice versa.
  void Partition(const std::vector<int>& p1, const std::vector<int>& p2);
  // Go's make_partition: p1 of n/2+1 servers and p2 of n/2, with the
  // current leader (or server 0) as the last member of p2, i.e. in the
  // minority.
  std::pair<std::vector<int>, std::vector<int>> MakePartition();
  // The first server that believes it is the leader, if any.
  std::optional<int> Leader();
  // The same among `among` only (e.g. the majority's new leader while the
  // old one, cut off in a minority, still believes it leads).
  std::optional<int> Leader(const std::vector<int>& among);
  // Enables or disables only server `from`'s end to server `to`: from's
  // calls to `to`, and their replies, get through or not, whatever the
  // other direction does (so `to` hears from `from` without being able to
  // call it). Partition and ConnectAll set both directions again.
  void EnableLink(int from, int to, bool enable);

  // --- Clerks ---
  // A clerk with fresh ends to every server, enabled only towards `to`,
  // handed to the clerk in a shuffled order.
  ClerkPtr MakeClient(const std::vector<int>& to);
  // Forgets the clerk (its ends stay as they are, as in Go).
  void DeleteClient(const ClerkPtr& ck);
  // Enables / disables the clerk's ends to the given servers.
  void ConnectClient(const ClerkPtr& ck, const std::vector<int>& to);
  void DisconnectClient(const ClerkPtr& ck, const std::vector<int>& from);
  // A fresh end to server i, enabled, for hand-made RPCs in kit tests.
  std::shared_ptr<labrpc::ClientEnd> MakeEnd(int i);

  // --- Measurements ---
  // The largest persisted Raft state / snapshot among the servers, bytes.
  size_t LogSize();
  size_t SnapshotSize();
  // With snapshots on (maxraftstate > 0): fails unless every server whose
  // persisted Raft state has grown past maxraftstate also holds a snapshot,
  // allowing it 2 s to take one. Stricter than the originals' 8x size
  // check, which a compact log encoding can pass without any snapshot.
  void CheckSnapshotted(Location where = Location::current());
  // RPCs that entered the network (server-to-server and client).
  int RpcTotal();
  // Counts one clerk operation for the summary line (Go's cfg.op()).
  void Op() { ops_++; }
  // A timestamp for the history: nanoseconds on the world's clock, made
  // strictly increasing, so that two operations in a row of one client never
  // share a time (under sim, time stands still while tasks compute, and
  // equal times count as overlapping, which would hide a stale read).
  int64_t Stamp();

  // --- Faults, for the picture ---
  // Turns the unreliable network on or off (recorded as a fault).
  void SetUnreliable(bool unreliable);
  // The faults injected so far, with times on labrpc::Now()'s clock in
  // nanoseconds. Faults still in force have no end.
  std::vector<linearizability::Fault> Faults();

  // Test-only (the negative control): every server started from now on
  // serves Get from local state without the Raft log (see
  // kvraft::KVServer::SetStaleReadsForTesting); servers already running
  // are switched too.
  void SetStaleReadsForTesting(bool on);

  // --- Test lifecycle ---
  // Prints "<description> ..." and starts the statistics for End().
  void Begin(const std::string& description);
  // The description of the last Begin (the picture's title).
  std::string title();
  // Checks the time limit, then prints the summary line
  // "  ... Passed --  time peers rpcs ops".
  void End(Location where = Location::current());
  // Kills every server and shuts the network down; then fails the test if
  // it ran over the time limit. With quiet, never fails and never throws
  // (for the unwinding path of a failed test).
  void Cleanup(bool quiet = false);

 private:
  KvConfig(int n, bool unreliable, int maxraftstate);

  // Enables (or disables) the ends i->to[k] and to[k]->i; mu_ held.
  void ConnectLocked(int i, const std::vector<int>& to, bool enable);
  // Fails the test if it has run longer than kKvTestTimeLimit.
  void CheckTimeout(Location where = Location::current());

  const int n_;
  const int maxraftstate_;
  const labrpc::Duration start_;
  std::unique_ptr<labrpc::Network> net_;

  labrpc::Mutex mu_{"kv_config"};
  std::vector<std::shared_ptr<kvraft::KVServer>> kvservers_;  // null: down
  std::vector<std::shared_ptr<raft::Persister>> saved_;
  std::vector<std::vector<std::string>> endnames_;  // [i][j]: i's end to j
  // Keyed by address: only looked up, never walked, since its order would
  // differ between processes and so between runs of one seed.
  std::map<const kvraft::Clerk*, std::vector<std::string>> clerks_;
  bool stale_reads_ = false;
  std::string title_;

  // Faults: the log, and the handles of those still open (-1: none).
  FaultLog fault_log_;
  int partition_fault_ = -1;
  int unreliable_fault_ = -1;
  std::vector<int> down_fault_;  // per server

  // Statistics for Begin/End.
  labrpc::Duration t0_{};
  int rpcs0_ = 0;
  std::atomic<int> ops_{0};
  std::atomic<int64_t> last_stamp_{0};
};

// Runs `body` with a fresh KvConfig as the root task of a world made from
// the environment, like Go's make_config + defer cfg.cleanup().
void RunKvTest(int n, bool unreliable, int maxraftstate,
               const std::function<void(const KvConfigPtr&)>& body);
void RunKvTest(const labrpc::WorldOptions& options, int n, bool unreliable,
               int maxraftstate,
               const std::function<void(const KvConfigPtr&)>& body);

// ---------------------------------------------------------------------------
// The helpers of Go's test_test.go.

// Logged clerk calls: time the call, count it (cfg->Op()), and if `log` is
// not null record it in the history with client id `cli`.
std::string Get(const KvConfigPtr& cfg, const ClerkPtr& ck,
                const std::string& key, const OpLogPtr& log, int cli);
void Put(const KvConfigPtr& cfg, const ClerkPtr& ck, const std::string& key,
         const std::string& value, const OpLogPtr& log, int cli);
void Append(const KvConfigPtr& cfg, const ClerkPtr& ck, const std::string& key,
            const std::string& value, const OpLogPtr& log, int cli);

// An unlogged Get that must return `value`.
void Check(const KvConfigPtr& cfg, const ClerkPtr& ck, const std::string& key,
           const std::string& value, Location where = Location::current());

// Client `clnt`'s appends "x clnt j y", j in [0, count), each occur in v
// exactly once and in order of j.
void CheckClntAppends(int clnt, const std::string& v, int count,
                      Location where = Location::current());
// The same for every client i with counts[i].
void CheckConcurrentAppends(const std::string& v,
                            const std::vector<int>& counts,
                            Location where = Location::current());

// Go's spawn_clients_and_wait: runs fn(cli, clerk) for cli in [0, ncli),
// each in its own task with its own clerk connected to every server, and
// waits for all of them.
void SpawnClientsAndWait(
    const KvConfigPtr& cfg, int ncli,
    const std::function<void(int cli, const ClerkPtr& ck)>& fn);

// CheckKvHistory (harness_util.h) with the harness's title and faults:
// Illegal writes the picture and, if fail_if_illegal, fails the test;
// Unknown falls back to call-time prefixes. Returns the verdict.
linearizability::CheckResult CheckLinearizable(
    const KvConfigPtr& cfg, const std::vector<KvOperation>& history,
    bool fail_if_illegal = true);

// The parameters of Go's GenericTest, plus the negative control's knobs.
struct GenericParams {
  std::string part;  // "3A" or "3B"
  int nclients = 1;
  int nservers = 5;
  bool unreliable = false;
  bool crash = false;
  bool partitions = false;
  int maxraftstate = -1;
  bool randomkeys = false;
  // Negative control only: servers serve stale reads, and the test passes
  // only if the checker finds the history not linearizable.
  bool stale_reads = false;
  int iterations = 3;
};

// Go's GenericTest (kvraft test_test.go); `title` is derived from the
// parameters.
void GenericTest(const GenericParams& p);
// As GenericTest, in a world with the given options.
void GenericTest(const labrpc::WorldOptions& options, const GenericParams& p);
// Go's GenericTestSpeed (kvraft test_test.go).
void GenericTestSpeed(const std::string& part, int maxraftstate);

}  // namespace raftlab_test

#endif  // RAFTLAB_TESTS_KV_CONFIG_H_
