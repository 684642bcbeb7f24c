// The shard controller's server (Go's shardctrler/server.go): the list of
// configurations, replicated with Raft. Every request, Query included, goes
// through the Raft log and is executed by every replica when it is applied,
// in log order and exactly once, so all replicas hold the same
// configurations and a Query sees every change finished before it started.
//
//   auto sc = shardctrler::StartServer(ends, me, persister);
//   server->AddService(sc->service());          // "ShardCtrler"
//   server->AddService(sc->raft()->service());  // "Raft"
//   ...
//   sc->Kill();
//
// There is no snapshotting in 4A: a restarted server rebuilds its
// configurations by re-applying its whole Raft log.
#ifndef RAFTLAB_SHARDCTRLER_SERVER_H_
#define RAFTLAB_SHARDCTRLER_SERVER_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "labrpc/codec.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "raft/apply_msg.h"
#include "raft/persister.h"
#include "raft/raft.h"
#include "shardctrler/common.h"

namespace shardctrler {

// SOLUTION BEGIN
// One request as it travels through the Raft log. Raft sees only its
// encoding (labrpc::Encode).
struct Op {
  enum Kind : uint8_t { kJoin = 0, kLeave = 1, kMove = 2, kQuery = 3 };
  uint8_t kind = kQuery;
  std::map<int, std::vector<std::string>> servers;  // kJoin
  std::vector<int> gids;                            // kLeave
  int shard = 0;                                    // kMove
  int gid = 0;                                      // kMove
  int num = -1;                                     // kQuery
  // Which call this is, for duplicate detection (see JoinArgs).
  int64_t client_id = 0;
  int64_t seq = 0;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& kind& servers& gids& shard& gid& num& client_id& seq;
  }
};
// SOLUTION END
//@ // Define here what a request in the Raft log holds, with a serialize()
//@ // member so that labrpc::Encode can turn it into bytes:
//@ // struct Op {
//@ //   template <class Archive>
//@ //   void serialize(Archive& ar, const unsigned /*version*/) { ar & ...; }
//@ // };

class ShardCtrler : public std::enable_shared_from_this<ShardCtrler> {
 public:
  ShardCtrler(const ShardCtrler&) = delete;
  ShardCtrler& operator=(const ShardCtrler&) = delete;

  // RPC handlers, called through service(). They block until the request
  // has been applied (or this server finds it cannot tell), so the fabric
  // runs each in its own task.
  void Join(const JoinArgs& args, JoinReply* reply);
  void Leave(const LeaveArgs& args, LeaveReply* reply);
  void Move(const MoveArgs& args, MoveReply* reply);
  void Query(const QueryArgs& args, QueryReply* reply);

  // A fresh labrpc service named "ShardCtrler" with the methods Join, Leave,
  // Move and Query. It keeps this server alive while a labrpc::Server holds
  // it.
  std::shared_ptr<labrpc::Service> service();

  // This server's Raft peer; the testers register its service and ask it
  // who leads.
  std::shared_ptr<raft::Raft> raft() const { return rf_; }

  // Stops the server and its Raft peer. Handlers still waiting return soon
  // after with an error; the server's tasks stop touching shared state.
  void Kill();
  bool Killed() const { return dead_.load(); }

 private:
  friend std::shared_ptr<ShardCtrler> StartServer(
      std::vector<std::shared_ptr<labrpc::ClientEnd>> servers, int me,
      std::shared_ptr<raft::Persister> persister);
  explicit ShardCtrler(int me);

  // Locking: mu_ guards configs_ and every solution member below that is
  // not marked otherwise. Lock order: mu_, then Raft's own lock (a handler
  // may call rf_->Start while holding mu_; Raft never calls into this
  // server with its lock held).
  labrpc::Mutex mu_{"shardctrler"};
  const int me_;
  // Set by Kill(); read without the lock.
  std::atomic<bool> dead_{false};
  // Set once by StartServer, before any task or RPC can see the server.
  std::shared_ptr<raft::ApplyChannel> apply_ch_;
  std::shared_ptr<raft::Raft> rf_;
  // Indexed by config number; configs_[0] is the empty configuration.
  // Never empty, and a configuration never changes once appended.
  std::vector<Config> configs_;

  // SOLUTION BEGIN
  // A client's last executed change (Join, Leave or Move) and its outcome,
  // so that a retry of it is answered without executing it again.
  struct LastCall {
    int64_t seq = 0;
    Err err = Err::kOK;
  };
  // What the applier did at one log index, kept only for indexes a handler
  // waits on.
  struct Outcome {
    int64_t client_id = 0;
    int64_t seq = 0;
    Err err = Err::kOK;
    Config config;  // a Query's result
  };

  // Proposes `op` to Raft and waits until its entry is applied. Returns the
  // request's result (and a Query's configuration in *config), or
  // kErrWrongLeader / kErrTimeout when this server is not the leader, lost
  // leadership (another entry was applied at op's index, or the term
  // changed) or could not commit it in time; the clerk then retries.
  Err Submit(const Op& op, Config* config);
  // The applier task: reads apply_ch_ and applies commands in log order.
  void Applier();
  // Executes the command at `index` unless it is a duplicate; mu_ held.
  void ApplyCommandLocked(int index, const Op& op);
  // Executes a change on the latest configuration: appends exactly one new
  // configuration, or none and returns kErrInvalidArgument; mu_ held.
  Err ApplyChangeLocked(const Op& op);
  // The configuration a Query(num) returns; mu_ held.
  const Config& QueryLocked(int num) const;

  // Highest log index applied. Never decreases.
  int last_applied_ = 0;
  // The duplicate table: client id -> its last executed change. Rebuilt
  // from the log on restart, like configs_.
  std::map<int64_t, LastCall> last_call_;
  // Log index -> number of handlers waiting for it, and the outcomes the
  // applier recorded for those indexes (erased when the last waiter leaves).
  std::map<int, int> waiters_;
  std::map<int, Outcome> outcomes_;
  // Signalled when last_applied_ advances or the server is killed.
  labrpc::CondVar applied_cv_{"shardctrler.applied"};
  // SOLUTION END
  //@ // Your definitions here (4A).
};

// Starts controller server `me` of the cluster whose Raft peers are reached
// through `servers` (servers[me] is itself), on `persister`, which may hold
// state from a previous incarnation. Returns quickly. Must be called inside
// a running world.
std::shared_ptr<ShardCtrler> StartServer(
    std::vector<std::shared_ptr<labrpc::ClientEnd>> servers, int me,
    std::shared_ptr<raft::Persister> persister);

}  // namespace shardctrler

#endif  // RAFTLAB_SHARDCTRLER_SERVER_H_
