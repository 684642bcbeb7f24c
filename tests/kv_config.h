// The kvraft test harness: the C++ port of the Go labs' src/kvraft/config.go
// (a cluster of KV servers on one labrpc network, with partitions, crashes,
// restarts and clerks whose ends can be cut). The helpers of Go's
// test_test.go (logged Get/Put/Append, the append checks, GenericTest) are
// in tests/kv_test_helpers.h.
//
//   RunKvTest({.servers = 5}, [](const KvConfigPtr& cfg) {
//     KvClerkPtr ck = cfg->MakeClient(cfg->All());
//     cfg->Begin("Test: one client (3A)");
//     Put(cfg, ck, "a", "x", nullptr, -1);
//     Check(cfg, ck, "a", "x");
//     cfg->End();
//   });
//
// Servers, connectivity, clerks, cleanup and the 120 s limit are the shared
// plumbing of tests/service_cluster.h and tests/harness_cluster.h. Every
// failure goes through raftlab_test::Fatal with the Go tester's message and
// ends the test at once, whichever task found it. All randomness comes from
// the runtime's seeded source and all time from labrpc::Now(), so a sim run
// replays bit for bit from its seed.
//
// Besides the statistics, the harness records the faults it injects
// (partitions, crashes and restarts, the unreliable network) with their
// times, so that a history that is not linearizable can be drawn together
// with what happened to the cluster.
#ifndef RAFTLAB_TESTS_KV_CONFIG_H_
#define RAFTLAB_TESTS_KV_CONFIG_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "kvraft/client.h"
#include "kvraft/server.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "tests/service_cluster.h"
#include "tests/test_world.h"

namespace raftlab_test {

// The tests' election timeout (Go's electionTimeout).
inline constexpr std::chrono::milliseconds kKvElectionTimeout{1000};

using KvClerkPtr = std::shared_ptr<kvraft::Clerk>;

// What RunKvTest makes (Go's make_config(t, servers, unreliable,
// maxraftstate)).
struct KvTestOptions {
  int servers = 5;
  // The network drops and delays RPCs (see labrpc/network.h).
  bool unreliable = false;
  // Passed to every server: snapshot when the Raft state nears this many
  // bytes; -1: never snapshot.
  int maxraftstate = -1;
};

class KvConfig;
using KvConfigPtr = std::shared_ptr<KvConfig>;

// One KV cluster under test. Thread-safe: every method may be called from
// any task of the test's world. Besides its own methods below, it has
// ServiceCluster's: n(), All(), StartServer(i), ShutdownServer(i),
// ConnectAll(), Partition(p1, p2), Leader(), Leader(among), DeleteClient,
// ConnectClient, DisconnectClient, LogSize(); and Cluster's:
// SetUnreliable, Faults, RpcTotal, Stamp, title, Cleanup.
class KvConfig : public ServiceCluster {
 public:
  // Go's make_config: the servers on a fresh network (long delays off, so a
  // call to an unreachable server fails within 100 ms), all started and
  // connected. Must be called inside a world.
  static KvConfigPtr Make(const KvTestOptions& options);

  int maxraftstate() const { return maxraftstate_; }

  // Go's make_partition: p1 of n/2+1 servers and p2 of n/2, with the
  // current leader (or server 0) as the last member of p2, i.e. in the
  // minority.
  std::pair<std::vector<int>, std::vector<int>> MakePartition();
  // Enables or disables only server `from`'s end to server `to`: from's
  // calls to `to`, and their replies, get through or not, whatever the
  // other direction does (so `to` hears from `from` without being able to
  // call it). Partition and ConnectAll set both directions again.
  void EnableLink(int from, int to, bool enable);

  // A clerk with fresh ends to every server, enabled only towards `to`,
  // handed to the clerk in a shuffled order.
  KvClerkPtr MakeClient(const std::vector<int>& to) {
    return MakeClerk<kvraft::Clerk>(to);
  }
  // A fresh end to server i, enabled, for hand-made RPCs in kit tests.
  std::shared_ptr<labrpc::ClientEnd> MakeEnd(int i);

  // The largest persisted snapshot among the servers, bytes.
  size_t SnapshotSize() { return servers_.MaxSnapshotSize(); }
  // With snapshots on (maxraftstate > 0): fails unless every server whose
  // persisted Raft state has grown past maxraftstate also holds a snapshot,
  // allowing it 2 s to take one. Stricter than the originals' 8x size
  // check, which a compact log encoding can pass without any snapshot.
  void CheckSnapshotted(Location where = Location::current());
  // Counts one clerk operation for the summary line (Go's cfg.op()).
  void Op() { ops_++; }

  // Test-only (the negative control): every server started from now on
  // serves Get from local state without the Raft log (see
  // kvraft::KVServer::SetStaleReadsForTesting); servers already running
  // are switched too.
  void SetStaleReadsForTesting(bool on);

  // Prints "<description> ..." and starts the statistics for End().
  void Begin(const std::string& description);
  // Checks the time limit, then prints the summary line
  // "  ... Passed --  time peers rpcs ops".
  void End(Location where = Location::current());

 protected:
  StartedReplica StartReplica(const std::vector<EndPtr>& ends, int i,
                              const PersisterPtr& persister) override;

 private:
  explicit KvConfig(const KvTestOptions& options);

  const int maxraftstate_;
  std::atomic<bool> stale_reads_{false};
  std::atomic<int> ops_{0};
};

// Runs `body` with a fresh KvConfig as the root task of a world made from
// the environment, like Go's make_config + defer cfg.cleanup().
void RunKvTest(const KvTestOptions& options,
               const std::function<void(const KvConfigPtr&)>& body);
void RunKvTest(const labrpc::WorldOptions& world, const KvTestOptions& options,
               const std::function<void(const KvConfigPtr&)>& body);

}  // namespace raftlab_test

#endif  // RAFTLAB_TESTS_KV_CONFIG_H_
