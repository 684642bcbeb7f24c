// The plumbing every test harness shares (tests/raft_config, kv_config,
// shardctrler_config, shardkv_config), which the Go labs' config.go files
// repeat once per lab:
//
//   Cluster       one test's network, the mutex that guards its harness, the
//                 120 s limit, cleanup, the unreliable network and the fault
//                 log, Begin's line, and the history's timestamps;
//   ReplicaGroup  n servers of one replicated service on that network, each
//                 started with fresh ends and a persister copied from what
//                 the last instance saved (Go's Persister.Copy on start and
//                 shutdown), with connect, disconnect and partitions, the
//                 leader and the persisted sizes.
//
// A lab's harness derives from Cluster and keeps what is its own:
//
//   class MyConfig : public Cluster {
//    public:
//     MyConfig() : Cluster("my_config"),
//                  servers_(*net_, mu_, 3, [](int i) { return "s" +
//                           std::to_string(i); }, /*enable_new_ends=*/false) {
//       AddGroup(&servers_);  // killed by Cleanup()
//     }
//     void StartServer(int i) {
//       servers_.Start(i, /*locked=*/{}, [](const auto& ends, int i,
//                                           const auto& persister) {
//         return Replicate(kvraft::StartKVServer(ends, i, persister, -1));
//       });
//     }
//    private:
//     ReplicaGroup servers_;
//   };
//
// ServiceCluster (tests/service_cluster.h) is the single-group form that
// kvraft and the shard controller use. Every failure goes through
// raftlab_test::Fatal; all randomness comes from the runtime's seeded source.
#ifndef RAFTLAB_TESTS_HARNESS_CLUSTER_H_
#define RAFTLAB_TESTS_HARNESS_CLUSTER_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "linearizability/info.h"
#include "raft/persister.h"
#include "raft/raft.h"
#include "tests/test_world.h"

namespace raftlab_test {

// A test that runs longer than this (virtual time under sim) fails with
// "test took longer than 120 seconds" (Go's checkTimeout).
inline constexpr std::chrono::seconds kTestTimeLimit{120};

// Under sim, a test client that loops as fast as it can (GenericTest's,
// shardkv's Concurrent3 and Unreliable2/3) pauses for a random
// 1..kSimThinkMaxMs ms after each call (outside the call's recorded
// interval). Virtual time advances only when every task blocks, and the
// fabric delivers reliable RPCs in zero virtual time, so without a pause
// those loops would keep time from ever reaching the end of the tests'
// sleeps; and since CPU work costs no virtual time, the pause is also what
// bounds the number of operations (and the cost of a run) the way CPU speed
// does under real. The mean pause (~10 ms) gives operation counts close to
// the real backend's and the Go labs'. Under real there is no pause, as in
// Go.
inline constexpr int kSimThinkMaxMs = 20;

// The pause above: a random 1..kSimThinkMaxMs ms Sleep under sim, nothing
// under real.
void SimThink();

// Go's randstring(n): n random characters of the base64-URL alphabet, from
// the runtime's seeded source.
std::string RandString(int n);

// Go's random_handles: a shuffled copy of `ends`, so that a clerk's end i
// need not reach server i.
std::vector<std::shared_ptr<labrpc::ClientEnd>> RandomHandles(
    std::vector<std::shared_ptr<labrpc::ClientEnd>> ends);

// True if the current GoogleTest test has already failed (Go's t.Failed()).
bool TestFailed();

// The faults a harness injects, with their times on the world's clock, for
// the history picture. Not synchronized: the harness guards it with its own
// mutex.
class FaultLog {
 public:
  // Starts a fault labelled `label` now; returns its handle.
  int Open(const std::string& label);
  // Ends the fault *handle now, if it is open (>= 0), and sets it to -1.
  void Close(int* handle);
  // An instantaneous event (e.g. a join or leave).
  void Event(const std::string& label);
  const std::vector<linearizability::Fault>& faults() const { return faults_; }

 private:
  std::vector<linearizability::Fault> faults_;
};

using EndPtr = std::shared_ptr<labrpc::ClientEnd>;
using PersisterPtr = std::shared_ptr<raft::Persister>;

// What a ReplicaGroup keeps of a running server: the server object (a
// KVServer, ShardCtrler, ShardKV or a bare Raft), its Raft, and how to kill
// it.
struct Replica {
  std::shared_ptr<void> server;
  std::shared_ptr<raft::Raft> raft;
  std::function<void()> kill;
};

// A server just made, and the services to serve it under (e.g. "KVServer"
// and "Raft").
struct StartedReplica {
  Replica replica;
  std::vector<std::shared_ptr<labrpc::Service>> services;
};

// A service's server (anything with service(), raft() and Kill()) as a
// StartedReplica that serves its own service and its Raft's.
template <class Server>
StartedReplica Replicate(std::shared_ptr<Server> server) {
  std::shared_ptr<raft::Raft> rf = server->raft();
  std::vector<std::shared_ptr<labrpc::Service>> services = {server->service(),
                                                            rf->service()};
  return {{server, rf, [server] { server->Kill(); }}, std::move(services)};
}

// n servers of one replicated service on a network, server i reachable
// under Name(i). Guarded by the harness's mutex `mu`: a method named
// ...Locked must be called with it held, the others take it. It is never
// held while calling into a server or while a Call may block.
class ReplicaGroup {
 public:
  // With enable_new_ends, the ends a server gets at start are enabled at
  // once (Go's shardkv); otherwise they wait for a connect (Go's kvraft,
  // shardctrler and raft).
  ReplicaGroup(labrpc::Network& net, labrpc::Mutex& mu, int n,
               std::function<std::string(int)> name, bool enable_new_ends);
  ReplicaGroup(const ReplicaGroup&) = delete;
  ReplicaGroup& operator=(const ReplicaGroup&) = delete;

  int n() const { return n_; }
  // [0, 1, ..., n-1].
  std::vector<int> All() const;
  std::string Name(int i) const { return name_(i); }

  // --- Ends that belong to no server (clerks', hand-made RPCs') ---
  // A fresh end, randomly named, connected to server j, enabled or not;
  // its name goes to *name if not null.
  EndPtr EndTo(int j, bool enable, std::string* name = nullptr);
  // EndTo every server in order; the names go to *names if not null.
  std::vector<EndPtr> EndsToAll(bool enable,
                                std::vector<std::string>* names = nullptr);

  // --- Start and shutdown ---
  using MakeFn = std::function<StartedReplica(
      const std::vector<EndPtr>& ends, int i, const PersisterPtr& persister)>;
  // Starts server i: under mu, fresh ends to every server of the group
  // (NewEndsLocked) and a persister holding what the last instance saved
  // (RestorePersisterLocked), then `locked` (if any) still under mu; then
  // make(ends, i, persister) without it; then the server is installed and
  // served under Name(i).
  void Start(int i, const std::function<void()>& locked, const MakeFn& make);
  // Shuts server i down: under mu, `locked` (the harness's disconnection),
  // then the server is deleted from the network before the persister is
  // copied (so that no RPC in flight to the old instance can change what
  // the next one reads) and taken out; then it is killed, without mu.
  void Shutdown(int i, const std::function<void()>& locked);

  // --- The steps of Start and Shutdown, for a harness that orders them
  // itself (Go's raft config.go) ---
  // Fresh, randomly named ends from server i to every server (j's end
  // connected to Name(j)), enabled if enable_new_ends; their names replace
  // i's old ones, so that the old crashed instance's ends can no longer
  // send.
  std::vector<EndPtr> NewEndsLocked(int i);
  // Server i's ends' names, [j] to server j (empty before its first start).
  const std::vector<std::string>& EndNamesLocked(int i) const {
    LAB_ASSERT_HELD(mu_);
    return endnames_[i];
  }
  // Traces (topic "test", peer i) the names of server i's ends, so that a
  // trace's RPCs (named by end) can be drawn from peer to peer.
  void TraceEndsLocked(int i) const;
  // A fresh persister holding the last persisted state (a copy, so that the
  // old instance cannot overwrite what the new one reads), or an empty one
  // before the first start; it becomes server i's saved persister.
  PersisterPtr RestorePersisterLocked(int i);
  // Replaces server i's saved persister by a copy, if it has one.
  void CopyPersisterLocked(int i);
  // Server i's saved persister (null before its first start).
  PersisterPtr& PersisterLocked(int i) {
    LAB_ASSERT_HELD(mu_);
    return saved_[i];
  }
  void InstallLocked(int i, Replica replica);
  // Server i's replica, emptied in the group (its fields are null while
  // it is down).
  Replica TakeLocked(int i);
  // Serves `services` under Name(i) (replacing what was there).
  void Serve(int i,
             const std::vector<std::shared_ptr<labrpc::Service>>& services);

  // --- The running servers ---
  const Replica& ReplicaLocked(int i) const {
    LAB_ASSERT_HELD(mu_);
    return replicas_[i];
  }
  std::shared_ptr<raft::Raft> RaftLocked(int i) const {
    LAB_ASSERT_HELD(mu_);
    return replicas_[i].raft;
  }
  // Server i as its own type (the one its StartedReplica was made from),
  // or null while it is down.
  template <class Server>
  std::shared_ptr<Server> GetLocked(int i) const {
    LAB_ASSERT_HELD(mu_);
    return std::static_pointer_cast<Server>(replicas_[i].server);
  }
  template <class Server>
  std::shared_ptr<Server> Get(int i) {
    labrpc::MutexLock l(mu_);
    return GetLocked<Server>(i);
  }
  // The first server of `among` that runs and believes it is the leader.
  std::optional<int> Leader(const std::vector<int>& among);
  // Appends the kill of every running server, in order.
  void CollectKillsLocked(std::vector<std::function<void()>>* kills) const;

  // --- Connectivity ---
  // Enables (or disables) the ends i->to[k] and to[k]->i.
  void ConnectLocked(int i, const std::vector<int>& to, bool enable);
  // Enables the ends between every pair of servers.
  void ConnectAllLocked();
  // Servers in p1 can reach each other but none in p2, and vice versa.
  void PartitionLocked(const std::vector<int>& p1, const std::vector<int>& p2);
  // Disables server i's own ends (it can no longer send).
  void DisableEndsOfLocked(int i);

  // --- Persisted sizes, over the saved persisters ---
  size_t MaxRaftStateSize();
  size_t MaxSnapshotSize();
  // Raft state plus snapshot, summed over the servers.
  size_t TotalStorage();
  // The saved persisters that exist, in server order.
  std::vector<PersisterPtr> Persisters();

 private:
  labrpc::Network& net_;
  labrpc::Mutex& mu_;
  const int n_;
  const std::function<std::string(int)> name_;
  const bool enable_new_ends_;
  std::vector<Replica> replicas_;                   // empty fields: down
  std::vector<PersisterPtr> saved_;                 // null: never started
  std::vector<std::vector<std::string>> endnames_;  // [i][j]: i's end to j
};

// One test's network and the harness state every lab shares. Made by a
// lab's harness (a shared_ptr: Make functions use `new`), inside a running
// world. Thread-safe: every public method may be called from any task.
class Cluster : public std::enable_shared_from_this<Cluster> {
 public:
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  virtual ~Cluster();

  // The network, for kit tests that add servers of their own.
  labrpc::Network& net() { return *net_; }
  // Turns the unreliable network on or off (traced, and recorded as a
  // fault for the history picture).
  void SetUnreliable(bool unreliable);
  // The faults and events so far, with times in nanoseconds on
  // labrpc::Now()'s clock; faults still in force have no end.
  std::vector<linearizability::Fault> Faults();
  // RPCs that entered the network.
  int RpcTotal();
  // A timestamp for a history: nanoseconds on the world's clock, made
  // strictly increasing, so that two operations in a row of one client
  // never share a time (under sim, time stands still while tasks compute,
  // and equal times count as overlapping, which would hide a stale read).
  int64_t Stamp();

  // Prints "<title> ...", traces "begin <title>", and starts the counts of
  // SecondsSinceBegin and RpcsSinceBegin.
  void Begin(const std::string& title);
  // The title of the last Begin (the history picture's title).
  std::string title();
  // Fails the test if it has run longer than kTestTimeLimit, unless it has
  // already failed (a test that failed is not also blamed for its length).
  void CheckTimeout(Location where = Location::current());
  // Kills every server of every group (in the order they were added),
  // shuts the network down, then checks the time limit. With quiet, never
  // fails and never throws (for the unwinding path of a failed test).
  virtual void Cleanup(bool quiet = false);

 protected:
  explicit Cluster(const std::string& mutex_name);

  // Adds a group whose servers Cleanup kills; groups added earlier are
  // killed first.
  void AddGroup(ReplicaGroup* group);
  // As Begin, printing `line` instead of "<title> ...".
  void BeginWithLine(const std::string& title, const std::string& line);
  // Wall time (virtual under sim) and RPCs since the last Begin.
  double SecondsSinceBegin();
  int RpcsSinceBegin();
  // Starts task `task_name`, which fails the test once it has run for
  // kTestTimeLimit if the harness still exists then: the limit enforced
  // while the test runs (Go checks it only at the end), so that a solution
  // that hangs fails instead of hanging the binary.
  void StartTimeLimitWatchdog(const std::string& task_name);

  // Guards the harness's state (its groups', the fault log's and what the
  // lab's harness adds).
  labrpc::Mutex mu_;
  const std::shared_ptr<labrpc::Network> net_;
  FaultLog fault_log_;

 private:
  const labrpc::Duration start_;
  std::vector<ReplicaGroup*> groups_;
  std::string title_;
  int unreliable_fault_ = -1;  // the open fault's handle, -1: none
  labrpc::Duration begin_time_{};
  int begin_rpcs_ = 0;
  std::atomic<int64_t> last_stamp_{0};
};

}  // namespace raftlab_test

#endif  // RAFTLAB_TESTS_HARNESS_CLUSTER_H_
