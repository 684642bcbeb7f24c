// The shard controller's test harness: the C++ port of the Go labs'
// src/shardctrler/config.go (a cluster of controller servers on one labrpc
// network, with crashes, restarts and clerks whose ends can be cut) and of
// the check helpers of src/shardctrler/test_test.go.
//
//   RunShardCtrlerTest({.servers = 3}, [](const ShardCtrlerConfigPtr& cfg) {
//     ShardCtrlerClerkPtr ck = cfg->MakeClient(cfg->All());
//     cfg->Begin("Test: Basic leave/join");
//     ck->Join({{1, {"x", "y", "z"}}});
//     CheckGroups({1}, ck);
//     cfg->End();
//   });
//
// Servers, connectivity, clerks, cleanup and the 120 s limit are the shared
// plumbing of tests/service_cluster.h and tests/harness_cluster.h. Every
// failure goes through raftlab_test::Fatal with the Go tester's message and
// ends the test at once, whichever task found it.
#ifndef RAFTLAB_TESTS_SHARDCTRLER_CONFIG_H_
#define RAFTLAB_TESTS_SHARDCTRLER_CONFIG_H_

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "shardctrler/client.h"
#include "shardctrler/common.h"
#include "shardctrler/server.h"
#include "tests/service_cluster.h"
#include "tests/test_world.h"

namespace raftlab_test {

using ShardCtrlerClerkPtr = std::shared_ptr<shardctrler::Clerk>;

// What RunShardCtrlerTest makes (Go's make_config(t, servers, unreliable)).
struct ShardCtrlerTestOptions {
  int servers = 3;
  // The network drops and delays RPCs (see labrpc/network.h).
  bool unreliable = false;
};

class ShardCtrlerConfig;
using ShardCtrlerConfigPtr = std::shared_ptr<ShardCtrlerConfig>;

// One controller cluster under test. Thread-safe: every method may be
// called from any task of the test's world. Besides its own methods below,
// it has ServiceCluster's: n(), All(), StartServer(i), ShutdownServer(i),
// ConnectAll(), Partition(p1, p2), Leader(), DeleteClient, ConnectClient,
// DisconnectClient, LogSize(); and Cluster's: Begin, Cleanup (which checks
// the 120 s limit, as in the original).
class ShardCtrlerConfig : public ServiceCluster {
 public:
  // Go's make_config: the servers on a fresh network (long delays off),
  // all started and connected. Must be called inside a world.
  static ShardCtrlerConfigPtr Make(const ShardCtrlerTestOptions& options);

  // A clerk with fresh ends to every server, enabled only towards `to`,
  // handed to the clerk in a shuffled order.
  ShardCtrlerClerkPtr MakeClient(const std::vector<int>& to) {
    return MakeClerk<shardctrler::Clerk>(to);
  }
  // Fresh enabled ends to every server, in server order (ends[i] reaches
  // server i), for tests that send hand-made RPCs.
  std::vector<std::shared_ptr<labrpc::ClientEnd>> MakeEnds();

  // Prints "  ... Passed" unless the test has failed (the controller tests
  // print their own lines in Go; Begin prints "<title> ..."). As in the
  // original, the time limit is checked at cleanup only.
  void End();

 protected:
  StartedReplica StartReplica(const std::vector<EndPtr>& ends, int i,
                              const PersisterPtr& persister) override;

 private:
  explicit ShardCtrlerConfig(const ShardCtrlerTestOptions& options);
};

// Runs `body` with a fresh ShardCtrlerConfig as the root task of a world
// made from the environment, like Go's make_config + defer cfg.cleanup().
void RunShardCtrlerTest(
    const ShardCtrlerTestOptions& options,
    const std::function<void(const ShardCtrlerConfigPtr&)>& body);

// Go's check(t, groups, ck): the latest configuration has exactly `groups`,
// every shard on one of them (when there are any), and is balanced.
void CheckGroups(const std::vector<int>& groups, const ShardCtrlerClerkPtr& ck,
                 Location where = Location::current());
// Go's check_same_config: c1 and c2 are equal, with the original's
// messages.
void CheckSameConfig(const shardctrler::Config& c1,
                     const shardctrler::Config& c2,
                     Location where = Location::current());

// "{1: [x, y, z], 2: [a]}" and "[1, 2, 0, ...]", for failure messages.
std::string FormatGroups(const std::map<int, std::vector<std::string>>& g);
std::string FormatShards(const std::array<int, shardctrler::kNShards>& s);
std::string FormatNames(const std::vector<std::string>& names);

}  // namespace raftlab_test

#endif  // RAFTLAB_TESTS_SHARDCTRLER_CONFIG_H_
