// The sharded KV server (Go's shardkv/server.go); see server.h.
//
// SOLUTION BEGIN
// How a configuration change happens (every step through the group's log):
//   1. The leader's poller sees the current configuration N settled (no
//      shard migrating), fetches N+1 from the controller and proposes it.
//   2. Applying it, every member marks the shards it gained kPulling (or
//      kServing if nobody had them) and those it lost kBePulled.
//   3. The leader's migrator pulls each kPulling shard from the group that
//      owned it in N (which answers once it has applied N+1 too) and
//      proposes the data; applying it makes the shard kGC: served.
//   4. The migrator then asks the old owner to delete its copy; the old
//      owner does so through its own log (kBePulled -> kAbsent) and
//      confirms; the new owner proposes the end of kGC (-> kServing).
//   5. Once no shard is kPulling, kBePulled or kGC, step 1 again.
// Shards not involved in the change are served throughout (challenge 2),
// and each shard is served as soon as its data is installed.
// SOLUTION END
#include "shardkv/server.h"

#include <chrono>
#include <utility>
// SOLUTION BEGIN
#include <algorithm>
#include <exception>
#include <stdexcept>
#include <string>
// SOLUTION END

#include "labrpc/trace.h"
// SOLUTION BEGIN
#include "raft/ablation.h"
// SOLUTION END

namespace shardkv {

// SOLUTION BEGIN
namespace {

// How long a handler waits for its entry to be applied before giving up.
constexpr labrpc::Duration kMaxWait = std::chrono::milliseconds(500);
// How often a waiting handler checks that this server still leads in the
// term in which it proposed the entry.
constexpr labrpc::Duration kLeaderCheck = std::chrono::milliseconds(25);
// How often the leader asks the controller for the next configuration (the
// lab asks for about 100 ms).
constexpr labrpc::Duration kPollInterval = std::chrono::milliseconds(100);
// How often the leader looks for shards to pull or to garbage-collect.
constexpr labrpc::Duration kMigrateInterval = std::chrono::milliseconds(50);

// The kinds of entries in a group's Raft log. Each entry is the kind,
// then (except for kNoop) the matching struct below, encoded with one
// labrpc::Encoder.
enum class EntryKind : uint8_t {
  kClientOp = 0,      // ClientOp
  kConfig = 1,        // shardctrler::Config: move to this configuration
  kInstallShard = 2,  // ShardOp with data: a pulled shard arrived
  kDeleteShard = 3,   // ShardOp: the new owner has it; drop our copy
  kGCDone = 4,        // ShardOp: the old owner dropped its copy
  kNoop = 5,          // a new leader's first entry
};

// A client's Get, Put or Append.
struct ClientOp {
  enum Kind : uint8_t { kGet = 0, kPut = 1, kAppend = 2 };
  uint8_t kind = kGet;
  std::string key;
  std::string value;  // empty for kGet
  int64_t client_id = 0;
  int64_t seq = 0;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& kind& key& value& client_id& seq;
  }
};

// A step of one shard's migration in configuration config_num.
struct ShardOp {
  int config_num = 0;
  int shard = 0;
  ShardData data;  // kInstallShard only

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& config_num& shard& data;
  }
};

template <class T>
labrpc::Bytes EncodeEntry(EntryKind kind, const T& body) {
  return labrpc::Encoder().Put(kind).Put(body).Finish();
}

labrpc::Bytes EncodeNoop() {
  return labrpc::Encoder().Put(EntryKind::kNoop).Finish();
}

}  // namespace
// SOLUTION END

ShardKV::ShardKV(int me, std::shared_ptr<raft::Persister> persister,
                 int maxraftstate, int gid,
                 std::vector<std::shared_ptr<labrpc::ClientEnd>> ctrlers,
                 MakeEndFn make_end)
    : me_(me),
      maxraftstate_(maxraftstate),
      gid_(gid),
      persister_(std::move(persister)),
      ctrlers_(std::move(ctrlers)),
      make_end_(std::move(make_end)) {}

std::shared_ptr<ShardKV> StartServer(
    std::vector<std::shared_ptr<labrpc::ClientEnd>> servers, int me,
    std::shared_ptr<raft::Persister> persister, int maxraftstate, int gid,
    std::vector<std::shared_ptr<labrpc::ClientEnd>> ctrlers,
    MakeEndFn make_end) {
  std::shared_ptr<ShardKV> kv(new ShardKV(me, persister, maxraftstate, gid,
                                          std::move(ctrlers),
                                          std::move(make_end)));
  kv->apply_ch_ = std::make_shared<raft::ApplyChannel>(0, "shardkv-apply-ch");
  // SOLUTION BEGIN
  {
    // Restore before Raft starts delivering the entries after the snapshot.
    labrpc::MutexLock l(kv->mu_);
    labrpc::Bytes snapshot = persister->ReadSnapshot();
    if (!snapshot.empty()) kv->InstallSnapshotLocked(snapshot);
  }
  // SOLUTION END
  kv->rf_ = raft::Raft::Make(std::move(servers), me, persister, kv->apply_ch_);
  // SOLUTION BEGIN
  const std::string name =
      "shardkv-G" + std::to_string(gid) + "-S" + std::to_string(me);
  labrpc::Go(name + "-applier", [kv] { kv->Applier(); });
  labrpc::Go(name + "-poller", [kv] { kv->ConfigPoller(); });
  labrpc::Go(name + "-migrator", [kv] { kv->Migrator(); });
  // SOLUTION END
  //@ // You may need initialization code here (4B): read the persisted
  //@ // snapshot, start your tasks (an applier, a configuration poller
  //@ // with its own shardctrler::Clerk on ctrlers_, ...).
  return kv;
}

std::shared_ptr<labrpc::Service> ShardKV::service() {
  auto svc = std::make_shared<labrpc::Service>("ShardKV");
  // The handlers own the server, so a handler still running after the
  // tester dropped its pointer (a crash) does not outlive the object.
  std::shared_ptr<ShardKV> self = shared_from_this();
  svc->Register<GetArgs, GetReply>(
      "Get",
      [self](const GetArgs& args, GetReply* reply) { self->Get(args, reply); });
  svc->Register<PutAppendArgs, PutAppendReply>(
      "PutAppend", [self](const PutAppendArgs& args, PutAppendReply* reply) {
        self->PutAppend(args, reply);
      });
  // SOLUTION BEGIN
  svc->Register<PullShardArgs, PullShardReply>(
      "PullShard", [self](const PullShardArgs& args, PullShardReply* reply) {
        self->PullShard(args, reply);
      });
  svc->Register<DeleteShardArgs, DeleteShardReply>(
      "DeleteShard",
      [self](const DeleteShardArgs& args, DeleteShardReply* reply) {
        self->DeleteShard(args, reply);
      });
  // SOLUTION END
  //@ // Register here the RPCs your groups use to talk to each other
  //@ // (4B).
  return svc;
}

void ShardKV::Kill() {
  dead_.store(true);
  rf_->Kill();
  // SOLUTION BEGIN
  labrpc::MutexLock l(mu_);
  applied_cv_.NotifyAll();
  // SOLUTION END
  //@ // Your code here, if desired.
}

void ShardKV::Get(const GetArgs& args, GetReply* reply) {
  // SOLUTION BEGIN
  if (!rf_->GetState().second) {
    reply->err = Err::kErrWrongLeader;
    return;
  }
  {
    labrpc::MutexLock l(mu_);
    if (!ServesLocked(Key2Shard(args.key))) {
      reply->err = Err::kErrWrongGroup;
      return;
    }
  }
  ClientOp op;
  op.kind = ClientOp::kGet;
  op.key = args.key;
  op.client_id = args.client_id;
  op.seq = args.seq;
  reply->err = Submit(EncodeEntry(EntryKind::kClientOp, op), &reply->value);
  // SOLUTION END
  //@ // Your code here (4B).
  //@ (void)args;
  //@ (void)reply;
}

void ShardKV::PutAppend(const PutAppendArgs& args, PutAppendReply* reply) {
  // SOLUTION BEGIN
  if (args.op != "Put" && args.op != "Append") {
    reply->err = Err::kErrInvalidArgument;
    return;
  }
  if (!rf_->GetState().second) {
    reply->err = Err::kErrWrongLeader;
    return;
  }
  {
    labrpc::MutexLock l(mu_);
    const int shard = Key2Shard(args.key);
    if (!ServesLocked(shard)) {
      reply->err = Err::kErrWrongGroup;
      return;
    }
    // A retry of a call already executed here (or before the shard moved
    // here): done. Linearizable, because it executed while this very call
    // was outstanding.
    const std::map<int64_t, int64_t>& last = shards_[shard].data.last_seq;
    auto it = last.find(args.client_id);
    if (!raft::Ablated("duplicate_detection") && it != last.end() &&
        it->second >= args.seq) {
      reply->err = Err::kOK;
      return;
    }
  }
  ClientOp op;
  op.kind = args.op == "Put" ? ClientOp::kPut : ClientOp::kAppend;
  op.key = args.key;
  op.value = args.value;
  op.client_id = args.client_id;
  op.seq = args.seq;
  std::string unused;
  reply->err = Submit(EncodeEntry(EntryKind::kClientOp, op), &unused);
  // SOLUTION END
  //@ // Your code here (4B).
  //@ (void)args;
  //@ (void)reply;
}

// SOLUTION BEGIN
void ShardKV::PullShard(const PullShardArgs& args, PullShardReply* reply) {
  labrpc::MutexLock l(mu_);
  // Our copy is final only once we are in args.config_num, where we lost
  // the shard: from then on no client operation can change it. Past
  // config_num, or once deleted, the puller has already installed it (we
  // delete, and move on, only after that), so a late request gets nothing
  // rather than data that may be newer. A request from the future gets
  // nothing either: our copy may still change.
  if (args.shard < 0 || args.shard >= kNShards ||
      cur_config_.num != args.config_num ||
      shards_[args.shard].state != ShardState::kBePulled) {
    LAB_TRACE("shardkv", me_,
              "G%d pull of shard %d for config %d refused: at config %d", gid_,
              args.shard, args.config_num, cur_config_.num);
    reply->err = Err::kErrNotReady;
    return;
  }
  reply->err = Err::kOK;
  reply->data = shards_[args.shard].data;
}

void ShardKV::DeleteShard(const DeleteShardArgs& args,
                          DeleteShardReply* reply) {
  {
    labrpc::MutexLock l(mu_);
    if (args.shard < 0 || args.shard >= kNShards ||
        cur_config_.num < args.config_num) {
      reply->err = Err::kErrNotReady;
      return;
    }
    if (cur_config_.num > args.config_num ||
        shards_[args.shard].state != ShardState::kBePulled) {
      // Already deleted: we moved on, which requires the deletion.
      reply->err = Err::kOK;
      return;
    }
  }
  ShardOp op;
  op.config_num = args.config_num;
  op.shard = args.shard;
  std::string unused;
  reply->err = Submit(EncodeEntry(EntryKind::kDeleteShard, op), &unused);
}

Err ShardKV::Submit(const labrpc::Bytes& command, std::string* value) {
  if (Killed()) return Err::kErrWrongLeader;
  labrpc::MutexLock l(mu_);
  // Start under mu_, so the waiter is registered before the applier can
  // apply the entry.
  raft::Raft::StartResult start = rf_->Start(command);
  if (!start.is_leader) return Err::kErrWrongLeader;
  const int index = start.index;

  waiters_[index]++;
  const labrpc::Duration deadline = labrpc::Now() + kMaxWait;
  Err err;
  for (;;) {
    if (last_applied_ >= index) {
      // Our entry, or another one that replaced it after a leader change
      // (or a snapshot jumped over the index: then we cannot tell).
      auto it = outcomes_.find(index);
      if (it != outcomes_.end() && it->second.command == command) {
        err = it->second.err;
        *value = it->second.value;
      } else {
        err = Err::kErrWrongLeader;
      }
      break;
    }
    if (Killed()) {
      err = Err::kErrWrongLeader;
      break;
    }
    const labrpc::Duration left = deadline - labrpc::Now();
    if (left <= labrpc::Duration::zero()) {
      err = Err::kErrTimeout;
      break;
    }
    applied_cv_.WaitFor(mu_, std::min(left, kLeaderCheck));
    if (last_applied_ >= index) continue;
    // A new term means the entry may have been dropped; the caller retries,
    // and the duplicate table makes that safe whichever way it went.
    auto [term, is_leader] = rf_->GetState();
    if (term != start.term || !is_leader) {
      err = Err::kErrWrongLeader;
      break;
    }
  }
  if (--waiters_[index] == 0) {
    waiters_.erase(index);
    outcomes_.erase(index);
  }
  return err;
}

void ShardKV::Applier() {
  while (std::optional<raft::ApplyMsg> m = apply_ch_->Receive()) {
    labrpc::MutexLock l(mu_);
    if (m->snapshot_valid) {
      // A snapshot from the leader replaces everything through its index.
      if (m->snapshot_index > last_applied_) {
        InstallSnapshotLocked(m->snapshot);
        last_applied_ = m->snapshot_index;
        LAB_TRACE("shardkv", me_, "G%d installed snapshot through %d", gid_,
                  last_applied_);
      }
      applied_cv_.NotifyAll();
      continue;
    }
    if (!m->command_valid || m->command_index <= last_applied_) continue;
    Outcome out;
    out.err = ApplyCommandLocked(m->command, &out.value);
    last_applied_ = m->command_index;
    if (waiters_.count(m->command_index) > 0) {
      out.command = std::move(m->command);
      outcomes_[m->command_index] = std::move(out);
    }
    applied_cv_.NotifyAll();

    if (maxraftstate_ >= 0 && persister_->RaftStateSize() >=
                                  static_cast<size_t>(maxraftstate_) * 9 / 10) {
      const int index = last_applied_;
      labrpc::Bytes snapshot = EncodeSnapshotLocked();
      l.unlock();
      rf_->Snapshot(index, snapshot);
    }
  }
}

Err ShardKV::ApplyCommandLocked(const labrpc::Bytes& command,
                                std::string* value) {
  LAB_ASSERT_HELD(mu_);
  labrpc::Decoder d(command);
  EntryKind kind;
  d.Get(&kind);
  switch (kind) {
    case EntryKind::kClientOp: {
      ClientOp op;
      d.Get(&op);
      const int shard = Key2Shard(op.key);
      // Checked again here: the configuration may have changed between
      // the handler's check and this entry's turn in the log.
      if (!ServesLocked(shard)) return Err::kErrWrongGroup;
      ShardData& data = shards_[shard].data;
      if (op.kind == ClientOp::kGet) {
        // Gets need no duplicate detection: executing one again, later in
        // the log, still falls within the call.
        auto it = data.kv.find(op.key);
        if (it == data.kv.end()) return Err::kErrNoKey;
        *value = it->second;
        return Err::kOK;
      }
      auto last = data.last_seq.find(op.client_id);
      if (!raft::Ablated("duplicate_detection") &&
          last != data.last_seq.end() && op.seq <= last->second) {
        return Err::kOK;  // a duplicate: already executed
      }
      if (op.kind == ClientOp::kPut) {
        data.kv[op.key] = op.value;
      } else {
        data.kv[op.key] += op.value;
      }
      data.last_seq[op.client_id] = op.seq;
      return Err::kOK;
    }
    case EntryKind::kConfig: {
      shardctrler::Config next;
      d.Get(&next);
      ApplyConfigLocked(next);
      return Err::kOK;
    }
    case EntryKind::kInstallShard: {
      ShardOp op;
      d.Get(&op);
      Shard& sh = shards_.at(op.shard);
      if (op.config_num != cur_config_.num ||
          sh.state != ShardState::kPulling) {
        return Err::kOK;  // a duplicate, or too late
      }
      sh.data.kv = std::move(op.data.kv);
      // Keep the higher sequence number per client, so that a retry of a
      // call executed by either group is recognised.
      for (const auto& [client, seq] : op.data.last_seq) {
        int64_t& mine = sh.data.last_seq[client];
        mine = std::max(mine, seq);
      }
      sh.state = ShardState::kGC;
      LAB_TRACE("shardkv", me_, "G%d config %d: installed shard %d (%zu keys)",
                gid_, cur_config_.num, op.shard, sh.data.kv.size());
      return Err::kOK;
    }
    case EntryKind::kDeleteShard: {
      ShardOp op;
      d.Get(&op);
      Shard& sh = shards_.at(op.shard);
      if (op.config_num == cur_config_.num &&
          sh.state == ShardState::kBePulled) {
        if (raft::Ablated("shard_deletion")) {
          sh.state = ShardState::kAbsent;  // but the data stays
        } else {
          sh = Shard{};  // kAbsent, no data
        }
        LAB_TRACE("shardkv", me_, "G%d config %d: deleted shard %d", gid_,
                  cur_config_.num, op.shard);
      }
      return Err::kOK;
    }
    case EntryKind::kGCDone: {
      ShardOp op;
      d.Get(&op);
      Shard& sh = shards_.at(op.shard);
      if (op.config_num == cur_config_.num && sh.state == ShardState::kGC) {
        sh.state = ShardState::kServing;
      }
      return Err::kOK;
    }
    case EntryKind::kNoop:
      return Err::kOK;
  }
  throw std::runtime_error("shardkv: log entry of unknown kind " +
                           std::to_string(static_cast<int>(kind)));
}

void ShardKV::ApplyConfigLocked(const shardctrler::Config& next) {
  LAB_ASSERT_HELD(mu_);
  // One at a time, in order, and only once the current one is settled;
  // anything else is a duplicate proposal.
  if (next.num != cur_config_.num + 1 || !SettledLocked()) return;
  for (int s = 0; s < kNShards; s++) {
    const bool had = cur_config_.shards[s] == gid_;
    const bool has = next.shards[s] == gid_;
    if (has && !had) {
      // Nobody had it (the first configuration): it starts empty.
      shards_[s].state =
          cur_config_.shards[s] == 0 || raft::Ablated("shard_migration")
              ? ShardState::kServing
              : ShardState::kPulling;
    } else if (had && !has) {
      // With no group left to take it, nobody will ever pull it.
      if (next.shards[s] == 0 || raft::Ablated("shard_migration")) {
        shards_[s] = Shard{};
      } else {
        shards_[s].state = ShardState::kBePulled;
      }
    }
  }
  prev_config_ = cur_config_;
  cur_config_ = next;
  LAB_TRACE("shardkv", me_, "G%d now in config %d", gid_, cur_config_.num);
}

bool ShardKV::ServesLocked(int shard) const {
  LAB_ASSERT_HELD(mu_);
  return cur_config_.shards[shard] == gid_ &&
         (shards_[shard].state == ShardState::kServing ||
          shards_[shard].state == ShardState::kGC);
}

bool ShardKV::SettledLocked() const {
  LAB_ASSERT_HELD(mu_);
  for (const Shard& sh : shards_) {
    if (sh.state != ShardState::kServing && sh.state != ShardState::kAbsent) {
      return false;
    }
  }
  return true;
}

labrpc::Bytes ShardKV::EncodeSnapshotLocked() const {
  LAB_ASSERT_HELD(mu_);
  return labrpc::Encoder()
      .Put(last_applied_)
      .Put(cur_config_)
      .Put(prev_config_)
      .Put(shards_)
      .Finish();
}

void ShardKV::InstallSnapshotLocked(const labrpc::Bytes& snapshot) {
  LAB_ASSERT_HELD(mu_);
  int index = 0;
  shardctrler::Config cur, prev;
  std::array<Shard, kNShards> shards;
  try {
    labrpc::Decoder d(snapshot);
    d.Get(&index);
    d.Get(&cur);
    d.Get(&prev);
    d.Get(&shards);
    if (!d.AtEnd()) {
      throw labrpc::DecodeError(std::to_string(d.Remaining()) +
                                " trailing bytes");
    }
    if (index < 0) {
      throw std::runtime_error("negative index " + std::to_string(index));
    }
    if (cur.num < 0 || prev.num < 0 || prev.num > cur.num) {
      throw std::runtime_error("previous configuration " +
                               std::to_string(prev.num) + " after current " +
                               std::to_string(cur.num));
    }
    for (int s = 0; s < kNShards; s++) {
      if (shards[s].state > ShardState::kGC) {
        throw std::runtime_error(
            "shard " + std::to_string(s) + " in unknown state " +
            std::to_string(static_cast<int>(shards[s].state)));
      }
    }
  } catch (const std::exception& e) {
    // Starting from an empty state instead would silently forget writes.
    throw std::runtime_error("shardkv G" + std::to_string(gid_) + " S" +
                             std::to_string(me_) + ": corrupt snapshot (" +
                             std::to_string(snapshot.size()) +
                             " bytes): " + e.what());
  }
  last_applied_ = std::max(last_applied_, index);
  cur_config_ = std::move(cur);
  prev_config_ = std::move(prev);
  shards_ = std::move(shards);
}

void ShardKV::ConfigPoller() {
  shardctrler::Clerk ck(ctrlers_);
  while (!Killed()) {
    auto [term, is_leader] = rf_->GetState();
    if (is_leader) {
      int next_num = -1;
      {
        labrpc::MutexLock l(mu_);
        if (noop_term_ != term) {
          noop_term_ = term;
          rf_->Start(EncodeNoop());
        }
        if (SettledLocked()) next_num = cur_config_.num + 1;
      }
      if (next_num > 0) {
        // Never under mu_: the controller may take a while.
        shardctrler::Config next = ck.Query(next_num);
        labrpc::MutexLock l(mu_);
        if (next.num == cur_config_.num + 1 && SettledLocked()) {
          rf_->Start(EncodeEntry(EntryKind::kConfig, next));
        }
      }
    }
    labrpc::Sleep(kPollInterval);
  }
}

void ShardKV::Migrator() {
  std::shared_ptr<ShardKV> self = shared_from_this();
  while (!Killed()) {
    if (rf_->GetState().second) {
      labrpc::MutexLock l(mu_);
      for (int s = 0; s < kNShards; s++) {
        const ShardState state = shards_[s].state;
        if (state != ShardState::kPulling && state != ShardState::kGC) continue;
        const bool pull = state == ShardState::kPulling;
        std::set<int>& running = pull ? pulling_ : deleting_;
        if (running.count(s) > 0) continue;
        running.insert(s);
        // The previous owner: the group that had the shard in the previous
        // configuration.
        auto group = prev_config_.groups.find(prev_config_.shards[s]);
        std::vector<std::string> servers;
        if (group != prev_config_.groups.end()) servers = group->second;
        const int num = cur_config_.num;
        const std::string name =
            "shardkv-G" + std::to_string(gid_) + "-S" + std::to_string(me_) +
            (pull ? "-pull-" : "-delete-") + std::to_string(s);
        labrpc::Go(name, [self, pull, num, s, servers] {
          if (pull) {
            self->PullTask(num, s, servers);
          } else {
            self->DeleteTask(num, s, servers);
          }
        });
      }
    }
    labrpc::Sleep(kMigrateInterval);
  }
}

void ShardKV::PullTask(int config_num, int shard,
                       std::vector<std::string> servers) {
  PullShardArgs args;
  args.config_num = config_num;
  args.shard = shard;
  int index = -1;
  for (const std::string& name : servers) {
    if (Killed()) break;
    PullShardReply reply;
    if (!EndFor(name)->Call("ShardKV.PullShard", args, &reply)) continue;
    if (reply.err != Err::kOK) continue;
    ShardOp op;
    op.config_num = config_num;
    op.shard = shard;
    op.data = std::move(reply.data);
    raft::Raft::StartResult start =
        rf_->Start(EncodeEntry(EntryKind::kInstallShard, op));
    if (start.is_leader) index = start.index;
    break;
  }
  labrpc::MutexLock l(mu_);
  AwaitAppliedLocked(index);
  pulling_.erase(shard);
}

void ShardKV::DeleteTask(int config_num, int shard,
                         std::vector<std::string> servers) {
  DeleteShardArgs args;
  args.config_num = config_num;
  args.shard = shard;
  int index = -1;
  for (const std::string& name : servers) {
    if (Killed()) break;
    DeleteShardReply reply;
    if (!EndFor(name)->Call("ShardKV.DeleteShard", args, &reply)) continue;
    if (reply.err != Err::kOK) continue;
    ShardOp op;
    op.config_num = config_num;
    op.shard = shard;
    raft::Raft::StartResult start =
        rf_->Start(EncodeEntry(EntryKind::kGCDone, op));
    if (start.is_leader) index = start.index;
    break;
  }
  labrpc::MutexLock l(mu_);
  AwaitAppliedLocked(index);
  deleting_.erase(shard);
}

void ShardKV::AwaitAppliedLocked(int index) {
  LAB_ASSERT_HELD(mu_);
  const labrpc::Duration deadline = labrpc::Now() + kMaxWait;
  while (index > 0 && last_applied_ < index && !Killed() &&
         labrpc::Now() < deadline) {
    applied_cv_.WaitFor(mu_, kLeaderCheck);
  }
}

std::shared_ptr<labrpc::ClientEnd> ShardKV::EndFor(
    const std::string& server_name) {
  labrpc::MutexLock l(ends_mu_);
  auto it = ends_.find(server_name);
  if (it != ends_.end()) return it->second;
  std::shared_ptr<labrpc::ClientEnd> end = make_end_(server_name);
  ends_[server_name] = end;
  return end;
}
// SOLUTION END

}  // namespace shardkv
