// The shardkv test harness: the C++ port of the Go labs'
// src/shardkv/config.go. Three shard controllers
// ("ctrler0".."ctrler2") and three replica groups (gids 100, 101, 102) of n
// servers each ("server-<gid>-<i>") on one labrpc network; groups and single
// servers can be shut down and restarted from their persisted state; an
// admin controller clerk joins and removes groups.
//
//   RunShardKvTest(3, /*unreliable=*/false, /*maxraftstate=*/-1,
//                  [](const ShardKvConfigPtr& cfg) {
//     cfg->Begin("Test: static shards ...");
//     auto ck = cfg->MakeClient();
//     cfg->Join(0);
//     ck->Put("a", "x");
//     cfg->End();
//   });
//
// Every failure goes through raftlab_test::Fatal with the Go tester's
// message and ends the test at once, whichever task found it. A watchdog
// fails any test still running after the 120 s limit (virtual time under
// sim), so a broken solution fails instead of hanging. All randomness comes
// from the runtime's seeded source and all time from labrpc::Now(), so a sim
// run replays bit for bit from its seed.
//
// The harness records the faults it injects (servers down between shutdown
// and restart, the unreliable network) and the joins and leaves, with their
// times, so that a history that is not linearizable can be drawn together
// with what happened to the system.
#ifndef RAFTLAB_TESTS_SHARDKV_CONFIG_H_
#define RAFTLAB_TESTS_SHARDKV_CONFIG_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "linearizability/kv_model.h"
#include "linearizability/operation.h"
#include "raft/persister.h"
#include "shardkv/client.h"
#include "shardctrler/client.h"
#include "shardctrler/server.h"
#include "shardkv/server.h"
#include "tests/harness_util.h"
#include "tests/test_world.h"

namespace raftlab_test {

// A test that runs longer than this (virtual time under sim) fails.
inline constexpr std::chrono::seconds kShardKvTestTimeLimit{120};
// Under sim, a test client that loops without sleeping (Concurrent3,
// Unreliable2, Unreliable3) pauses for a random 1..kShardKvSimThinkMs ms
// after each call. Reliable RPCs take no virtual time, so without a pause
// such loops would keep the clock from ever reaching the end of the test's
// sleeps; the pause also bounds the number of operations the way CPU speed
// does under real. Under real there is no pause, as in Go.
inline constexpr int kShardKvSimThinkMs = 20;

using ShardKvOperation = KvOperation;
using ShardClerkPtr = std::shared_ptr<shardkv::Clerk>;

class ShardKvConfig;
using ShardKvConfigPtr = std::shared_ptr<ShardKvConfig>;

// The controllers and groups under test. Thread-safe: every method may be
// called from any task of the test's world.
//
// Locking: mu_ guards the mutable state below. It is never held while
// calling into a server (StartServer, Kill) or a controller clerk.
class ShardKvConfig : public std::enable_shared_from_this<ShardKvConfig> {
 public:
  static constexpr int kNCtrlers = 3;
  static constexpr int kNGroups = 3;

  // Go's make_config: the controllers, the admin clerk, and kNGroups groups
  // of n servers each (all started), on a network that is reliable unless
  // `unreliable`. maxraftstate goes to every shardkv server (-1: never
  // snapshot). Must be called inside a world.
  static ShardKvConfigPtr Make(int n, bool unreliable, int maxraftstate);

  ShardKvConfig(const ShardKvConfig&) = delete;
  ShardKvConfig& operator=(const ShardKvConfig&) = delete;
  ~ShardKvConfig();

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
  ShardClerkPtr MakeClient();
  // A fresh enabled end to the named server (what make_end returns).
  std::shared_ptr<labrpc::ClientEnd> MakeEnd(const std::string& server_name);
  // The network, for kit tests that add servers of their own.
  labrpc::Network& net() { return *net_; }

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

  // --- Faults and history, for the picture ---
  // Turns the unreliable network on or off (recorded as a fault).
  void SetUnreliable(bool unreliable);
  // The faults and events so far, times in nanoseconds on labrpc::Now().
  std::vector<linearizability::Fault> Faults();
  // A timestamp for the history: nanoseconds on the world's clock, made
  // strictly increasing (see KvConfig::Stamp).
  int64_t Stamp();

  // --- Test lifecycle ---
  // Prints the title as the original does, e.g. "Test: static shards ...".
  void Begin(const std::string& title);
  std::string title();
  // Checks the time limit, then prints "  ... Passed".
  void End();
  // Shuts every group down, kills the controllers, shuts the network down;
  // then fails the test if it ran over the time limit. With quiet, never
  // fails and never throws (for the unwinding path of a failed test).
  void Cleanup(bool quiet = false);

 private:
  ShardKvConfig(int n, int maxraftstate);

  struct Group {
    int gid = 0;
    std::vector<std::shared_ptr<shardkv::ShardKV>> servers;  // null: down
    std::vector<std::shared_ptr<raft::Persister>> saved;
    std::vector<std::vector<std::string>> endnames;   // [i][j]: i's end to j
    std::vector<std::vector<std::string>> mendnames;  // [i][k]: to ctrler k
    std::vector<int> down_fault;                      // per server, -1: up
  };

  void StartCtrlerServer(int i);
  // Ends (named at random, connected, enabled) to every controller; their
  // names go to *names if not null.
  std::vector<std::shared_ptr<labrpc::ClientEnd>> CtrlerEnds(
      std::vector<std::string>* names);
  // Go's make_end closure: a fresh enabled end to the named server per call.
  // Holds the network weakly, so servers that keep it do not keep the
  // network alive; once the network is gone it returns a dead end.
  shardkv::MakeEndFn MakeEndFunction();
  void CheckTimeout();

  const int n_;
  const int maxraftstate_;
  const labrpc::Duration start_;
  std::shared_ptr<labrpc::Network> net_;
  // Returned by make_end once the network is gone: calls on it fail.
  std::shared_ptr<labrpc::ClientEnd> dead_end_;

  labrpc::Mutex mu_{"shardkv_config"};
  std::vector<std::shared_ptr<shardctrler::ShardCtrler>> ctrlers_;
  std::vector<Group> groups_;
  std::string title_;
  // Faults and events (joins, leaves) for the picture; the handle of the
  // open unreliable-network fault (-1: none).
  FaultLog fault_log_;
  int unreliable_fault_ = -1;
  std::atomic<int64_t> last_stamp_{0};

  // The admin clerk (Go's mck); one call at a time, under mck_mu_.
  labrpc::Mutex mck_mu_{"shardkv_config.mck"};
  std::unique_ptr<shardctrler::Clerk> mck_;
};

// Runs `body` with a fresh ShardKvConfig (3 groups of n servers) as the root
// task of a world made from the environment, like Go's make_config + defer
// cfg.cleanup().
void RunShardKvTest(int n, bool unreliable, int maxraftstate,
                    const std::function<void(const ShardKvConfigPtr&)>& body);

// Under sim only, a random 1..kShardKvSimThinkMs ms pause (see there).
void SimThink();

// The original's check: ck->Get(key) must return `value`, else
// Fatal("Get(key): expected:\n<value>\nreceived:\n<got>").
void Check(const ShardClerkPtr& ck, const std::string& key,
           const std::string& value, Location where = Location::current());

// Go's OpLog for Unreliable3. Safe for concurrent use.
class ShardOpLog {
 public:
  ShardOpLog();
  void Append(const ShardKvOperation& op);
  // A copy of the history so far.
  std::vector<ShardKvOperation> Read();

 private:
  labrpc::Mutex mu_{"shardkv_oplog"};
  std::vector<ShardKvOperation> ops_;
};

// CheckKvHistory (harness_util.h) with the harness's title, faults and
// events: an Illegal history writes the picture and fails the test.
void CheckShardKvLinearizable(const ShardKvConfigPtr& cfg,
                              const std::vector<ShardKvOperation>& history);

}  // namespace raftlab_test

#endif  // RAFTLAB_TESTS_SHARDKV_CONFIG_H_
