// The shardkv test harness: the C++ port of the Go labs'
// src/shardkv/config.go. Three shard controllers
// ("ctrler0".."ctrler2") and three replica groups (gids 100, 101, 102) of n
// servers each ("server-<gid>-<i>") on one labrpc network; groups and single
// servers can be shut down and restarted from their persisted state; an
// admin controller clerk joins and removes groups.
//
//   RunShardKvTest({.servers_per_group = 3}, [](const ShardKvConfigPtr& cfg) {
//     cfg->Begin("Test: static shards ...");
//     ShardKvClerkPtr ck = cfg->MakeClient();
//     cfg->Join(0);
//     ck->Put("a", "x");
//     cfg->End();
//   });
//
// The network, the groups' ends and persisters, cleanup and the 120 s limit
// are the shared plumbing of tests/harness_cluster.h. Every failure goes
// through raftlab_test::Fatal with the Go tester's message and ends the
// test at once, whichever task found it. A watchdog fails any test still
// running after the 120 s limit (virtual time under sim), so a broken
// solution fails instead of hanging. All randomness comes from the
// runtime's seeded source and all time from labrpc::Now(), so a sim run
// replays bit for bit from its seed.
//
// The harness records the faults it injects (servers down between shutdown
// and restart, the unreliable network) and the joins and leaves, with their
// times, so that a history that is not linearizable can be drawn together
// with what happened to the system.
#ifndef RAFTLAB_TESTS_SHARDKV_CONFIG_H_
#define RAFTLAB_TESTS_SHARDKV_CONFIG_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "shardctrler/client.h"
#include "shardctrler/server.h"
#include "shardkv/client.h"
#include "shardkv/server.h"
#include "tests/harness_cluster.h"
#include "tests/harness_history.h"
#include "tests/test_world.h"

namespace raftlab_test {

using ShardKvClerkPtr = std::shared_ptr<shardkv::Clerk>;

// What RunShardKvTest makes (Go's make_config(t, n, unreliable,
// maxraftstate)).
struct ShardKvTestOptions {
  // Servers in each of the kNGroups groups (Go's n).
  int servers_per_group = 3;
  // The network drops and delays RPCs (see labrpc/network.h).
  bool unreliable = false;
  // Passed to every shardkv server: snapshot when the Raft state nears
  // this many bytes; -1: never snapshot.
  int maxraftstate = -1;
};

class ShardKvConfig;
using ShardKvConfigPtr = std::shared_ptr<ShardKvConfig>;

// The controllers and groups under test. Thread-safe: every method may be
// called from any task of the test's world. Besides its own methods below,
// it has Cluster's: net(), SetUnreliable, Faults, Stamp, title, Cleanup.
//
// Locking: mu_ (Cluster's) guards the groups and the fault log. It is
// never held while calling into a server (StartServer, Kill) or a
// controller clerk.
class ShardKvConfig : public Cluster {
 public:
  static constexpr int kNCtrlers = 3;
  static constexpr int kNGroups = 3;

  // Go's make_config: the controllers, the admin clerk, and kNGroups groups
  // of options.servers_per_group servers each (all started). Must be called
  // inside a world.
  static ShardKvConfigPtr Make(const ShardKvTestOptions& options);

  // Servers per group.
  int n() const { return n_; }
  int maxraftstate() const { return maxraftstate_; }
  // The gid of group gi (100 + gi).
  static int Gid(int gi) { return 100 + gi; }
  // "server-<gid>-<i>".
  static std::string ServerName(int gid, int i);

  // --- Servers and groups ---
  // Starts server i of group gi on a copy of its persisted state, with fresh
  // ends to its peers and to the controllers, and registers its "ShardKV"
  // and "Raft" services under its name.
  void StartServer(int gi, int i);
  // Disables its ends, deletes it from the network, keeps a copy of what it
  // persisted and kills it.
  void ShutdownServer(int gi, int i);
  void StartGroup(int gi);
  void ShutdownGroup(int gi);
  // Server i of group gi, or null while it is down (for kit tests).
  std::shared_ptr<shardkv::ShardKV> Server(int gi, int i);

  // --- Configuration changes, through the admin clerk ---
  void Join(int gi);
  // One Join call holding every listed group.
  void Joinm(const std::vector<int>& gis);
  void Leave(int gi);
  // One Leave call holding every listed group.
  void Leavem(const std::vector<int>& gis);
  // The controller's latest configuration.
  shardctrler::Config QueryLatest();

  // --- Clerks and ends ---
  // A clerk with fresh ends to the controllers and a make_end that makes a
  // fresh enabled end on every call.
  ShardKvClerkPtr MakeClient();
  // A fresh enabled end to the named server (what make_end returns).
  std::shared_ptr<labrpc::ClientEnd> MakeEnd(const std::string& server_name);

  // --- Measurements and checks ---
  // Go's checklogs: every server's persisted Raft state is at most
  // 8 x maxraftstate, or, with maxraftstate -1, its snapshot is empty.
  void CheckLogs();
  // The sum over every shardkv server of its persisted Raft state and
  // snapshot sizes (the deletion test's measure).
  size_t TotalStorage();
  // Server i of group gi's persisted Raft state and snapshot sizes, bytes
  // (0 before it has persisted any).
  size_t RaftStateSize(int gi, int i);
  size_t SnapshotSize(int gi, int i);

  // --- Test lifecycle ---
  // Prints the title as the original does, e.g. "Test: static shards ...".
  void Begin(const std::string& title);
  // Checks the time limit, then prints "  ... Passed".
  void End();

 private:
  explicit ShardKvConfig(const ShardKvTestOptions& options);

  struct Group {
    int gid = 0;
    std::unique_ptr<ReplicaGroup> servers;
    std::vector<std::vector<std::string>> mendnames;  // [i][k]: to ctrler k
    std::vector<int> down_fault;                      // per server, -1: up
  };

  void StartCtrlerServer(int i);
  // Go's make_end closure: a fresh enabled end to the named server per call.
  // Holds the network weakly, so servers that keep it do not keep the
  // network alive; once the network is gone it returns a dead end.
  shardkv::MakeEndFn MakeEndFunction();

  const int n_;
  const int maxraftstate_;
  // Returned by make_end once the network is gone: calls on it fail.
  std::shared_ptr<labrpc::ClientEnd> dead_end_;

  ReplicaGroup ctrlers_;
  std::vector<Group> groups_;

  // The admin clerk (Go's mck); one call at a time, under mck_mu_.
  labrpc::Mutex mck_mu_{"shardkv_config.mck"};
  std::unique_ptr<shardctrler::Clerk> mck_;
};

// Runs `body` with a fresh ShardKvConfig as the root task of a world made
// from the environment, like Go's make_config + defer cfg.cleanup().
void RunShardKvTest(const ShardKvTestOptions& options,
                    const std::function<void(const ShardKvConfigPtr&)>& body);

// The original's check: ck->Get(key) must return `value`, else
// Fatal("Get(key): expected:\n<value>\nreceived:\n<got>").
void Check(const ShardKvClerkPtr& ck, const std::string& key,
           const std::string& value, Location where = Location::current());

// CheckKvHistory (harness_history.h) with the harness's title, faults and
// events: an Illegal history writes the picture and fails the test.
void CheckShardKvLinearizable(const ShardKvConfigPtr& cfg,
                              const std::vector<KvOperation>& history);

}  // namespace raftlab_test

#endif  // RAFTLAB_TESTS_SHARDKV_CONFIG_H_
