// The KV server (Go's kvraft/server.go): a key/value state machine
// replicated with Raft. Every client operation, Get included, is put into
// the Raft log and executed by every replica when it is applied, in log
// order and exactly once, so that the service is linearizable.
//
//   auto kv = kvraft::StartKVServer(ends, me, persister, maxraftstate);
//   server->AddService(kv->service());          // "KVServer"
//   server->AddService(kv->raft()->service());  // "Raft"
//   ...
//   kv->Kill();
#ifndef RAFTLAB_KVRAFT_SERVER_H_
#define RAFTLAB_KVRAFT_SERVER_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kvraft/common.h"
#include "labrpc/codec.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "raft/apply_msg.h"
#include "raft/persister.h"
#include "raft/raft.h"

namespace kvraft {

// SOLUTION BEGIN
// One client operation as it travels through the Raft log. Raft sees only
// its encoding (labrpc::Encode).
struct Op {
  enum Kind : uint8_t { kGet = 0, kPut = 1, kAppend = 2 };
  uint8_t kind = kGet;
  std::string key;
  std::string value;  // empty for kGet
  // Which call this is, for duplicate detection (see PutAppendArgs).
  int64_t client_id = 0;
  int64_t seq = 0;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& kind& key& value& client_id& seq;
  }
};
// SOLUTION END
//@ // Define here (3A) what an operation in the Raft log holds, with a
//@ // serialize() member so that labrpc::Encode can turn it into bytes:
//@ // struct Op {
//@ //   template <class Archive>
//@ //   void serialize(Archive& ar, const unsigned /*version*/) { ar & ...; }
//@ // };

class KVServer : public std::enable_shared_from_this<KVServer> {
 public:
  KVServer(const KVServer&) = delete;
  KVServer& operator=(const KVServer&) = delete;

  // RPC handlers, called through service(). They block until the
  // operation has been applied (or this server finds it cannot tell), so
  // the fabric runs each in its own task.
  void Get(const GetArgs& args, GetReply* reply);
  void PutAppend(const PutAppendArgs& args, PutAppendReply* reply);

  // A fresh labrpc service named "KVServer" with the methods Get and
  // PutAppend. It keeps this server alive while a labrpc::Server holds it.
  std::shared_ptr<labrpc::Service> service();

  // This server's Raft peer; the tester registers its service and asks it
  // who leads (Go's tester reads kv.rf).
  std::shared_ptr<raft::Raft> raft() const { return rf_; }

  // Stops the server and its Raft peer. Handlers still waiting return soon
  // after with an error; the server's tasks stop touching shared state.
  void Kill();
  bool Killed() const { return dead_.load(); }

  // Test-only, for the negative control of the linearizability check
  // (the kit's, not in the handout): when on, a server that believes it is the
  // leader answers Get from its local state, without going through the Raft
  // log. That is the classic stale-read bug (a deposed leader in a minority
  // keeps answering), which the checker must catch. Never set in graded
  // tests.
  void SetStaleReadsForTesting(bool on) { stale_reads_for_testing_ = on; }

 private:
  friend std::shared_ptr<KVServer> StartKVServer(
      std::vector<std::shared_ptr<labrpc::ClientEnd>> servers, int me,
      std::shared_ptr<raft::Persister> persister, int maxraftstate);
  KVServer(int me, std::shared_ptr<raft::Persister> persister,
           int maxraftstate);

  // The negative control's Get (see SetStaleReadsForTesting).
  void StaleGet(const GetArgs& args, GetReply* reply);

  // Locking: mu_ guards data_ and every solution member below that is not
  // marked otherwise. Lock order: mu_, then Raft's own lock (a handler may
  // call rf_->Start while holding mu_; Raft never calls into this server
  // with its lock held), then the Persister's.
  labrpc::Mutex mu_{"kvserver"};
  const int me_;
  // Set by Kill(); read without the lock.
  std::atomic<bool> dead_{false};
  // Snapshot when the persisted Raft state nears this many bytes; -1 means
  // never snapshot.
  const int maxraftstate_;
  // Shared with rf_; this server reads its size and its snapshot.
  const std::shared_ptr<raft::Persister> persister_;
  // Set once by StartKVServer, before any task or RPC can see the server.
  std::shared_ptr<raft::ApplyChannel> apply_ch_;
  std::shared_ptr<raft::Raft> rf_;
  // The state machine: key -> value. Declared by the skeleton because the
  // test-only stale-read hook reads it.
  std::map<std::string, std::string> data_;
  std::atomic<bool> stale_reads_for_testing_{false};

  // SOLUTION BEGIN
  // A client's last executed call and its reply, so that a retry of it is
  // answered without executing it again.
  struct LastCall {
    int64_t seq = 0;
    Err err = Err::kOK;
    std::string value;  // a Get's result

    template <class Archive>
    void serialize(Archive& ar, const unsigned /*version*/) {
      ar& seq& err& value;
    }
  };
  // What the applier did at one log index, kept only for indexes a handler
  // waits on.
  struct Outcome {
    int64_t client_id = 0;
    int64_t seq = 0;
    Err err = Err::kOK;
    std::string value;
  };

  // Proposes `op` to Raft and waits until its entry is applied. Returns the
  // operation's result, or kErrWrongLeader / kErrTimeout when this server is
  // not the leader, lost leadership (another entry was applied at op's index,
  // or the term changed) or could not commit it in time; the clerk then
  // retries.
  Err Submit(const Op& op, std::string* value);
  // The applier task: reads apply_ch_ and applies commands and snapshots in
  // log order, then snapshots when the Raft state grows too large.
  void Applier();
  // Applies one message from Raft (a command or a snapshot) unless it is
  // already reflected in the state; mu_ held.
  void ApplyMsgLocked(const raft::ApplyMsg& m);
  // Executes the command at `index` unless it is a duplicate; mu_ held.
  void ApplyCommandLocked(int index, const Op& op);
  // The snapshot: last applied index, data_ and the duplicate table.
  labrpc::Bytes EncodeSnapshotLocked() const;
  // Replaces the state with a snapshot's; mu_ held.
  void InstallSnapshotLocked(const labrpc::Bytes& snapshot);

  // Highest log index reflected in data_ (a command, or a snapshot's last
  // included index). Never decreases.
  int last_applied_ = 0;
  // The duplicate table: client id -> its last executed call. Part of the
  // snapshot, so duplicates are caught across snapshots and restarts.
  std::map<int64_t, LastCall> last_call_;
  // Log index -> number of handlers waiting for it, and the outcomes the
  // applier recorded for those indexes (erased when the last waiter leaves).
  std::map<int, int> waiters_;
  std::map<int, Outcome> outcomes_;
  // Signalled when last_applied_ advances or the server is killed.
  labrpc::CondVar applied_cv_{"kvserver.applied"};
  // SOLUTION END
  //@ // Your definitions here (3A, 3B).
};

// Starts KV server `me` of the cluster whose Raft peers are reached through
// `servers` (servers[me] is itself), on `persister`, which may hold state
// from a previous incarnation. maxraftstate is the persisted Raft state size
// (bytes) at which the server snapshots, or -1 for never. Returns quickly.
// Must be called inside a running world.
std::shared_ptr<KVServer> StartKVServer(
    std::vector<std::shared_ptr<labrpc::ClientEnd>> servers, int me,
    std::shared_ptr<raft::Persister> persister, int maxraftstate);

}  // namespace kvraft

#endif  // RAFTLAB_KVRAFT_SERVER_H_
