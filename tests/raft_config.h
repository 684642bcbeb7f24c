// The Raft test harness (the C++ port of the Go labs' src/raft/config.go):
// builds a network of Raft peers, crashes, restarts and partitions them,
// reads what they apply, and checks that they agree. The graded 2A-2D tests
// (tests/raft_2*_test.cc) are written against it.
//
//   RunRaftTest({.servers = 3}, [](const RaftConfigPtr& cfg) {
//     cfg->Begin("Test (2B): basic agreement");
//     cfg->One(IntCmd(100), 3, /*retry=*/false);
//     cfg->End();
//   });
//
// The network, cleanup, the 120 s limit and the peers' ends and persisters
// are the shared plumbing of tests/harness_cluster.h. Every failure goes
// through raftlab_test::Fatal with the Go tester's message and ends the test at
// once, whichever task found it. All randomness comes from the runtime's seeded
// source and all time from labrpc::Now(), so a sim run replays bit for bit from
// its seed.
#ifndef RAFTLAB_TESTS_RAFT_CONFIG_H_
#define RAFTLAB_TESTS_RAFT_CONFIG_H_

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

#include "labrpc/codec.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "raft/apply_msg.h"
#include "raft/persister.h"
#include "raft/raft.h"
#include "tests/harness_cluster.h"
#include "tests/raft_commands.h"
#include "tests/raft_invariants.h"
#include "tests/test_world.h"

namespace raftlab_test {

// The tests' election timeout: "the tester generously allows elections to
// complete in one second".
inline constexpr std::chrono::milliseconds kRaftElectionTimeout{1000};
// applierSnap asks Raft for a snapshot after every this many applied entries.
inline constexpr int kSnapShotInterval = 10;
// 2D: the persisted Raft state may never reach this many bytes.
inline constexpr size_t kMaxLogSize = 2000;
// What RunRaftTest makes (Go's make_config(t, servers, unreliable,
// snapshot)).
struct RaftTestOptions {
  // Number of peers.
  int servers = 3;
  // The network drops and delays RPCs (see labrpc/network.h).
  bool unreliable = false;
  // The applier that asks Raft for a snapshot every kSnapShotInterval
  // applied entries (2D), instead of the plain one.
  bool snapshot = false;
};

class RaftConfig;
using RaftConfigPtr = std::shared_ptr<RaftConfig>;

// One Raft cluster under test. Thread-safe: every method may be called from
// any task of the test's world (tests start client tasks that call One()).
//
// Locking: mu_ guards all mutable state below. It is never held while
// calling into a Raft peer (Start, GetState, Kill, Snapshot, Status) or while
// blocking on the network, so a Raft that blocks on its apply channel while
// holding its own lock cannot deadlock against the harness.
class RaftConfig : public Cluster {
 public:
  // Go's make_config: options.servers peers on a fresh network, reliable
  // unless options.unreliable, long delays always on (so Raft must not send
  // RPCs synchronously), all started and connected. options.snapshot
  // selects the applier that snapshots every kSnapShotInterval entries
  // (2D). Must be called inside a running world.
  static RaftConfigPtr Make(const RaftTestOptions& options);

  ~RaftConfig() override;

  // Number of peers.
  int n() const { return n_; }
  // Peer i's current Raft instance, or nullptr while it is crashed.
  std::shared_ptr<raft::Raft> raft(int i);
  // True if peer i is attached to the network (connect/disconnect).
  bool connected(int i);

  // Go's crash1: detaches peer i, deletes its server, keeps a copy of its
  // persisted state (so that the dead instance can no longer change what
  // the next incarnation sees) and kills it.
  void Crash1(int i);
  // Go's start1: crashes peer i if it runs, then starts a fresh instance on
  // a copy of its persisted state with fresh end names. The new instance is
  // NOT connected: call Connect(i).
  void Start1(int i);
  // Attaches peer i: enables its ends to and from every connected peer.
  void Connect(int i);
  // Detaches peer i: disables all its ends, in and out.
  void Disconnect(int i);

  // Waits (10 x 450-549 ms) for a leader among the connected peers and
  // returns the one of the highest term; fails if a term has two leaders or
  // none shows up.
  int CheckOneLeader(Location where = Location::current());
  // The term all connected peers agree on (-1 if none is connected); fails
  // if they disagree.
  int CheckTerms(Location where = Location::current());
  // Fails if any connected peer believes it is the leader.
  void CheckNoLeader(Location where = Location::current());

  // How many peers have applied index `index`, and the command they
  // applied (empty bytes if none). Fails if they applied different commands
  // or a peer recorded an apply error.
  std::pair<int, labrpc::Bytes> NCommitted(
      int index, Location where = Location::current());
  // Waits for at least n peers to apply `index` and returns that command.
  // nullopt means "someone has moved on": some peer's term passed
  // `start_term` (only checked when start_term > -1). Fails if fewer than n
  // applied it in time.
  std::optional<labrpc::Bytes> Wait(int index, int n, int start_term,
                                    Location where = Location::current());
  // Submits cmd (to the leader, trying peers in turn from peer 1) until
  // `expected_servers` peers have applied it, and returns its index. With
  // retry, a submission that did not commit within 2 s is resubmitted;
  // gives up after 10 s.
  int One(const labrpc::Bytes& cmd, int expected_servers, bool retry,
          Location where = Location::current());
  int One(int64_t cmd, int expected_servers, bool retry,
          Location where = Location::current()) {
    return One(IntCmd(cmd), expected_servers, retry, where);
  }

  // SetUnreliable(bool) and RpcTotal() (RPCs that entered the network)
  // come from Cluster.
  void SetLongReordering(bool long_reordering);
  // RPCs received by peer i's server.
  int RpcCount(int i);
  // Bytes of args and delivered replies on the network.
  int64_t BytesTotal();
  // The largest persisted Raft state among the peers, in bytes.
  size_t LogSize();

  // Prints "<description> ..." and starts the statistics for End().
  void Begin(const std::string& description);
  // Checks the time limit and the invariants, then prints the summary line
  // "  ... Passed --  time peers rpcs bytes agreements".
  void End(Location where = Location::current());
  // Stops One() and the invariant task, kills every peer and shuts the
  // network down; then fails the test if it ran over the time limit. With
  // quiet, never fails and never throws (for the unwinding path of a
  // failed test).
  void Cleanup(bool quiet = false) override;

  // 2D: fails unless every live peer that the applier asked to Snapshot()
  // holds a snapshot and a non-empty Raft state below kMaxLogSize in its
  // persister, so a Raft that ignores Snapshot() or does not persist fails
  // 2D even when its logs agree. End() calls it in snapshot mode.
  void CheckSnapshotsPersisted(Location where = Location::current());

  // Takes one observation of every live peer's Status() and feeds the
  // invariant checker (it fails the test on a violation). A background task
  // does this every 10 ms; End() does it once more.
  void CheckInvariants();

 private:
  explicit RaftConfig(const RaftTestOptions& options);
  void Init();
  RaftConfigPtr Self() {
    return std::static_pointer_cast<RaftConfig>(shared_from_this());
  }

  // The applier tasks: read peer i's apply channel and check what arrives.
  void Applier(int i, std::shared_ptr<raft::ApplyChannel> ch);
  void ApplierSnap(int i, std::shared_ptr<raft::Raft> rf,
                   std::shared_ptr<raft::ApplyChannel> ch);
  // Records an apply error for peer i and fails the test ("apply error: ").
  [[noreturn]] void ApplyFailure(int i, const std::string& err);
  // Go's checkLogs; mu_ held. Returns an error message or "", and whether
  // peer i had applied index-1.
  std::pair<std::string, bool> CheckLogsLocked(int i, int index,
                                               const labrpc::Bytes& cmd);
  // Go's ingestSnap; mu_ held. Returns an error message or "".
  std::string IngestSnapLocked(int i, const labrpc::Bytes& snapshot, int index);
  void SetConnectedLocked(int i, bool connected);
  // The connected peers' Raft instances ([i] null if i is not connected or
  // crashed).
  std::vector<std::shared_ptr<raft::Raft>> ConnectedPeers();
  // Traces (topic "state") peer i's observed status if it changed since
  // the last one traced; mu_ held.
  void TraceStatusLocked(int i, const raft::RaftStatus& status);

  const int n_;
  const bool snapshot_;
  // Set by Cleanup: One() stops retrying, the invariant task stops.
  std::atomic<bool> finished_{false};

  // The peers, their ends and persisters; guarded by mu_ (Cluster's), as
  // is everything below.
  ReplicaGroup peers_;
  std::vector<std::string> apply_err_;  // per peer, "" if none
  std::vector<bool> connected_;
  // Per peer: index -> command applied there. Survives restarts (a
  // restarted peer must re-apply the same commands); replaced by a snapshot.
  std::vector<std::map<int, labrpc::Bytes>> logs_;
  std::vector<int> last_applied_;  // per peer, for applierSnap
  // Per peer: the highest index ApplierSnap passed to Snapshot(), over all
  // incarnations (0: none yet).
  std::vector<int> snapshot_requested_;
  // Bumped by Crash1 (before the persister is copied), so that an
  // observation of a dying instance is never taken for the next one's.
  std::vector<int> incarnation_;
  InvariantChecker checker_;
  // Per peer: the last Status() traced (topic "state"), so that only
  // changes are traced.
  std::vector<raft::RaftStatus> traced_status_;

  // Statistics for Begin/End (Cluster counts the time and RPCs).
  int64_t bytes0_ = 0;
  int max_index_ = 0;
  int max_index0_ = 0;
};

// Runs `body` with a fresh RaftConfig as the root task of a world made from
// the environment, like Go's make_config + defer cfg.cleanup(): the peers
// are killed and the network shut down however the body ends.
void RunRaftTest(const RaftTestOptions& options,
                 const std::function<void(const RaftConfigPtr&)>& body);
// As above, in a world with the given options.
void RunRaftTest(const labrpc::WorldOptions& world,
                 const RaftTestOptions& options,
                 const std::function<void(const RaftConfigPtr&)>& body);

}  // namespace raftlab_test

#endif  // RAFTLAB_TESTS_RAFT_CONFIG_H_
