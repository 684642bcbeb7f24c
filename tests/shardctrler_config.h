// The shard controller's test harness: the C++ port of the Go labs'
// src/shardctrler/config.go (a cluster of controller servers on one labrpc
// network, with crashes, restarts and clerks whose ends can be cut) and of
// the check helpers of src/shardctrler/test_test.go.
//
//   RunCtrlerTest(3, /*unreliable=*/false, [](const CtrlerConfigPtr& cfg) {
//     auto ck = cfg->MakeClient(cfg->All());
//     CtrlerBegin("Test: Basic leave/join");
//     ck->Join({{1, {"x", "y", "z"}}});
//     CheckGroups({1}, ck);
//     CtrlerPassed();
//   });
//
// Every failure goes through raftlab_test::Fatal with the Go tester's
// message and ends the test at once, whichever task found it.
#ifndef RAFTLAB_TESTS_SHARDCTRLER_CONFIG_H_
#define RAFTLAB_TESTS_SHARDCTRLER_CONFIG_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "raft/persister.h"
#include "shardctrler/client.h"
#include "shardctrler/common.h"
#include "shardctrler/server.h"
#include "tests/harness_util.h"
#include "tests/test_world.h"

namespace raftlab_test {

// A test that runs longer than this (virtual time under sim) fails, checked
// at cleanup as in the original.
inline constexpr std::chrono::seconds kCtrlerTestTimeLimit{120};

using CtrlerClerkPtr = std::shared_ptr<shardctrler::Clerk>;

class CtrlerConfig;
using CtrlerConfigPtr = std::shared_ptr<CtrlerConfig>;

// One controller cluster under test. Thread-safe: every method may be
// called from any task of the test's world.
//
// Locking: mu_ guards the mutable state below. It is never held while
// calling into a server (StartServer, Kill, GetState) or while a Call may
// block.
class CtrlerConfig : public std::enable_shared_from_this<CtrlerConfig> {
 public:
  // Go's make_config: n servers on a fresh network (long delays off), all
  // started and connected, reliable unless `unreliable`. Must be called
  // inside a world.
  static CtrlerConfigPtr Make(int n, bool unreliable);

  CtrlerConfig(const CtrlerConfig&) = delete;
  CtrlerConfig& operator=(const CtrlerConfig&) = delete;
  ~CtrlerConfig();

  int n() const { return n_; }
  // [0, 1, ..., n-1].
  std::vector<int> All() const;

  // --- Servers ---
  // Starts server i on a copy of its persisted state, with fresh end names,
  // and registers its "ShardCtrler" and "Raft" services under name i. Does
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
  // The first running server that believes it is the leader, if any.
  std::optional<int> Leader();

  // --- Clerks ---
  // A clerk with fresh ends to every server, enabled only towards `to`,
  // handed to the clerk in a shuffled order.
  CtrlerClerkPtr MakeClient(const std::vector<int>& to);
  // Forgets the clerk (its ends stay as they are, as in Go).
  void DeleteClient(const CtrlerClerkPtr& ck);
  // Enables / disables the clerk's ends to the given servers.
  void ConnectClient(const CtrlerClerkPtr& ck, const std::vector<int>& to);
  void DisconnectClient(const CtrlerClerkPtr& ck, const std::vector<int>& from);
  // Fresh enabled ends to every server, in server order (ends[i] reaches
  // server i), for tests that send hand-made RPCs.
  std::vector<std::shared_ptr<labrpc::ClientEnd>> MakeEnds();

  // --- Measurements ---
  // The largest persisted Raft state among the servers, bytes.
  size_t LogSize();

  // Kills every server and shuts the network down; then fails the test if
  // it ran over the time limit. With quiet, never fails and never throws
  // (for the unwinding path of a failed test).
  void Cleanup(bool quiet = false);

 private:
  explicit CtrlerConfig(int n);

  // Enables (or disables) the ends i->to[k] and to[k]->i; mu_ held.
  void ConnectLocked(int i, const std::vector<int>& to, bool enable);

  const int n_;
  const labrpc::Duration start_;
  std::unique_ptr<labrpc::Network> net_;

  labrpc::Mutex mu_{"ctrler_config"};
  std::vector<std::shared_ptr<shardctrler::ShardCtrler>>
      servers_;  // null: down
  std::vector<std::shared_ptr<raft::Persister>> saved_;
  std::vector<std::vector<std::string>> endnames_;  // [i][j]: i's end to j
  // Keyed by address: only looked up, never walked, since its order would
  // differ between processes and so between runs of one seed.
  std::map<const shardctrler::Clerk*, std::vector<std::string>> clerks_;
};

// Runs `body` with a fresh CtrlerConfig as the root task of a world made
// from the environment, like Go's make_config + defer cfg.cleanup().
void RunCtrlerTest(int n, bool unreliable,
                   const std::function<void(const CtrlerConfigPtr&)>& body);

// The tests' own progress lines (the controller tester has no begin/end):
// prints "<title> ...", and "  ... Passed" unless the test has failed.
void CtrlerBegin(const std::string& title);
void CtrlerPassed();

// Go's check(t, groups, ck): the latest configuration has exactly `groups`,
// every shard on one of them (when there are any), and is balanced.
void CheckGroups(const std::vector<int>& groups, const CtrlerClerkPtr& ck,
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
