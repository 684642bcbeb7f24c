// The sharded KV server (Go's shardkv/server.go): one member of a replica
// group. The group is a Raft-replicated state machine that serves the shards
// the shard controller's current configuration assigns to it, and moves
// shards to and from other groups when the configuration changes.
//
//   auto kv = shardkv::StartServer(ends, me, persister, maxraftstate, gid,
//                                  ctrler_ends, make_end);
//   server->AddService(kv->service());          // "ShardKV"
//   server->AddService(kv->raft()->service());  // "Raft"
//   ...
//   kv->Kill();
//
// Every client operation, every configuration change and every shard
// arrival or departure goes through the group's Raft log, so all members
// switch configurations at the same point in their history.
#ifndef RAFTLAB_SHARDKV_SERVER_H_
#define RAFTLAB_SHARDKV_SERVER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "labrpc/codec.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "raft/apply_msg.h"
#include "raft/persister.h"
#include "raft/raft.h"
#include "shardctrler/client.h"
#include "shardctrler/common.h"
#include "shardkv/common.h"

namespace shardkv {

class ShardKV : public std::enable_shared_from_this<ShardKV> {
 public:
  ShardKV(const ShardKV&) = delete;
  ShardKV& operator=(const ShardKV&) = delete;

  // RPC handlers, called through service(). They block until the
  // operation has been applied (or this server finds it cannot tell), so
  // the fabric runs each in its own task.
  void Get(const GetArgs& args, GetReply* reply);
  void PutAppend(const PutAppendArgs& args, PutAppendReply* reply);
  // SOLUTION BEGIN
  // The migration RPCs (see PullShardArgs and DeleteShardArgs in common.h).
  // PullShard answers from this server's applied state and never waits;
  // DeleteShard goes through the log.
  void PullShard(const PullShardArgs& args, PullShardReply* reply);
  void DeleteShard(const DeleteShardArgs& args, DeleteShardReply* reply);
  // SOLUTION END

  // A fresh labrpc service named "ShardKV" with the methods Get and
  // PutAppend (and whatever the groups' servers use to talk to each
  // other). It keeps this server alive while a labrpc::Server holds it.
  std::shared_ptr<labrpc::Service> service();

  // This server's Raft peer; the tester registers its service (Go's tester
  // reads kv.rf).
  std::shared_ptr<raft::Raft> raft() const { return rf_; }

  // Stops the server and its Raft peer. Handlers still waiting return soon
  // after with an error; the server's tasks stop soon after.
  void Kill();
  bool Killed() const { return dead_.load(); }

 private:
  friend std::shared_ptr<ShardKV> StartServer(
      std::vector<std::shared_ptr<labrpc::ClientEnd>> servers, int me,
      std::shared_ptr<raft::Persister> persister, int maxraftstate, int gid,
      std::vector<std::shared_ptr<labrpc::ClientEnd>> ctrlers,
      MakeEndFn make_end);
  ShardKV(int me, std::shared_ptr<raft::Persister> persister, int maxraftstate,
          int gid, std::vector<std::shared_ptr<labrpc::ClientEnd>> ctrlers,
          MakeEndFn make_end);

  // Locking: mu_ guards every solution member below that is not marked
  // otherwise. It is never held across an RPC or a Sleep. Lock order: mu_,
  // then Raft's own lock (a handler may call rf_->Start while holding mu_),
  // then the Persister's.
  labrpc::Mutex mu_{"shardkv"};
  const int me_;
  // Set by Kill(); read without the lock.
  std::atomic<bool> dead_{false};
  // Snapshot when the persisted Raft state nears this many bytes; -1 means
  // never snapshot.
  const int maxraftstate_;
  // This server's group id.
  const int gid_;
  // Shared with rf_; this server reads its size and its snapshot.
  const std::shared_ptr<raft::Persister> persister_;
  // Ends to the shard controller's servers.
  const std::vector<std::shared_ptr<labrpc::ClientEnd>> ctrlers_;
  // Reaches other groups' servers by name.
  const MakeEndFn make_end_;
  // Set once by StartServer, before any task or RPC can see the server.
  std::shared_ptr<raft::ApplyChannel> apply_ch_;
  std::shared_ptr<raft::Raft> rf_;

  // SOLUTION BEGIN
  // Where one shard stands in the current configuration (cur_config_),
  // relative to the previous one (prev_config_). The group moves on to the
  // next configuration only when every shard is kServing or kAbsent again.
  enum class ShardState : uint8_t {
    // Not ours, and nothing to do: no data.
    kAbsent = 0,
    // Ours, data present: served.
    kServing = 1,
    // Gained in this configuration; waiting for the previous owner's data.
    // Not served.
    kPulling = 2,
    // Lost in this configuration; the data is kept, frozen, until the new
    // owner has installed it and says so (DeleteShard). Not served.
    kBePulled = 3,
    // Gained and installed (served), but the previous owner has not yet
    // confirmed that it deleted its copy (challenge 1).
    kGC = 4,
  };
  struct Shard {
    ShardState state = ShardState::kAbsent;
    ShardData data;

    template <class Archive>
    void serialize(Archive& ar, const unsigned /*version*/) {
      ar& state& data;
    }
  };

  // What the applier did at one log index, kept only for indexes a handler
  // waits on. `command` identifies the entry (a handler checks that its own
  // entry, not another leader's, landed at its index).
  struct Outcome {
    labrpc::Bytes command;
    Err err = Err::kOK;
    std::string value;
  };

  // Proposes `command` (an encoded log entry) and waits until its index is
  // applied. Returns the entry's result, or kErrWrongLeader / kErrTimeout
  // when this server is not the leader, lost leadership or could not commit
  // it in time.
  Err Submit(const labrpc::Bytes& command, std::string* value);

  // The applier task: applies commands and snapshots in log order, then
  // snapshots when the Raft state grows too large.
  void Applier();
  // Executes one log entry; mu_ held. Returns its result (and a Get's
  // value). An entry that cannot be decoded is a bug: it throws.
  Err ApplyCommandLocked(const labrpc::Bytes& command, std::string* value);
  // Moves to `next` if it is the configuration after the current one and
  // the current one is settled; otherwise does nothing (a duplicate).
  void ApplyConfigLocked(const shardctrler::Config& next);
  // The snapshot: last applied index, both configurations, every shard.
  labrpc::Bytes EncodeSnapshotLocked() const;
  void InstallSnapshotLocked(const labrpc::Bytes& snapshot);

  // True if this group serves `shard` now: it owns it in cur_config_ and
  // has its data. mu_ held.
  bool ServesLocked(int shard) const;
  // True if every shard's migration for cur_config_ is done. mu_ held.
  bool SettledLocked() const;

  // The poller task (one per server; acts only while leader): every
  // 100 ms, when the current configuration is settled, asks the controller
  // for the next one and proposes it. Also proposes a no-op once per term,
  // so that entries of earlier terms commit without waiting for a client.
  void ConfigPoller();
  // The migrator task (acts only while leader): starts one task per shard
  // to pull (kPulling) and one per shard to garbage-collect (kGC), never
  // two for the same shard at once.
  void Migrator();
  // Pulls `shard` for configuration `config_num` from `servers` (the
  // previous owner's), and proposes the install.
  void PullTask(int config_num, int shard, std::vector<std::string> servers);
  // Tells `servers` (the previous owner's) to delete `shard`, then proposes
  // the end of the kGC state.
  void DeleteTask(int config_num, int shard, std::vector<std::string> servers);
  // Waits (a little) until log index `index` is applied, so that the
  // migrator does not start the same work again meanwhile; mu_ held.
  void AwaitAppliedLocked(int index);
  // The end to a server, made once per name. Own lock (ends_mu_), so it
  // can be called without mu_.
  std::shared_ptr<labrpc::ClientEnd> EndFor(const std::string& server_name);

  // Highest log index reflected in the state (a command, or a snapshot's
  // last included index). Never decreases.
  int last_applied_ = 0;
  // The configuration the group is in, and the one before it (#0 when
  // there is none). Both in the snapshot: pulls need the previous owners.
  shardctrler::Config cur_config_;
  shardctrler::Config prev_config_;
  std::array<Shard, kNShards> shards_;
  // Log index -> number of handlers waiting for it, and the outcomes the
  // applier recorded for those indexes (erased when the last waiter leaves).
  std::map<int, int> waiters_;
  std::map<int, Outcome> outcomes_;
  // Signalled when last_applied_ advances or the server is killed.
  labrpc::CondVar applied_cv_{"shardkv.applied"};
  // The term in which this server last proposed its no-op as leader.
  int noop_term_ = -1;
  // Shards with a pull / delete task running (leader only, not persisted).
  std::set<int> pulling_;
  std::set<int> deleting_;

  labrpc::Mutex ends_mu_{"shardkv.ends"};
  // Guarded by ends_mu_.
  std::map<std::string, std::shared_ptr<labrpc::ClientEnd>> ends_;
  // SOLUTION END
  //@ // Your definitions here (4B).
};

// Starts server `me` of group `gid`, whose Raft peers are reached through
// `servers` (servers[me] is itself), on `persister`, which may hold state
// from a previous incarnation. maxraftstate is the persisted Raft state size
// (bytes) at which the server snapshots, or -1 for never. ctrlers reach the
// shard controller; make_end turns the server names in a configuration into
// ends. Returns quickly. Must be called inside a running world.
std::shared_ptr<ShardKV> StartServer(
    std::vector<std::shared_ptr<labrpc::ClientEnd>> servers, int me,
    std::shared_ptr<raft::Persister> persister, int maxraftstate, int gid,
    std::vector<std::shared_ptr<labrpc::ClientEnd>> ctrlers,
    MakeEndFn make_end);

}  // namespace shardkv

#endif  // RAFTLAB_SHARDKV_SERVER_H_
