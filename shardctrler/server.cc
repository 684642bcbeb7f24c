// The shard controller's server (Go's shardctrler/server.go); see server.h.
#include "shardctrler/server.h"

#include <chrono>
#include <utility>
// SOLUTION BEGIN
#include <algorithm>
// SOLUTION END

#include "labrpc/trace.h"
#include "shardctrler/rebalance.h"

namespace shardctrler {

// SOLUTION BEGIN
namespace {

// How long a handler waits for its entry to be applied before giving up
// (the clerk then retries, possibly elsewhere). A leader cut off in a
// minority keeps its term, so only this limit frees its handlers.
constexpr labrpc::Duration kMaxWait = std::chrono::milliseconds(500);
// How often a waiting handler checks that this server still leads in the
// term in which it proposed the entry.
constexpr labrpc::Duration kLeaderCheck = std::chrono::milliseconds(25);

const char* KindName(uint8_t kind) {
  switch (kind) {
    case Op::kJoin:
      return "Join";
    case Op::kLeave:
      return "Leave";
    case Op::kMove:
      return "Move";
    default:
      return "Query";
  }
}

}  // namespace
// SOLUTION END

ShardCtrler::ShardCtrler(int me) : me_(me), configs_(1) {}

std::shared_ptr<ShardCtrler> StartServer(
    std::vector<std::shared_ptr<labrpc::ClientEnd>> servers, int me,
    std::shared_ptr<raft::Persister> persister) {
  std::shared_ptr<ShardCtrler> sc(new ShardCtrler(me));
  sc->apply_ch_ = std::make_shared<raft::ApplyChannel>(0, "sc-apply-ch");
  sc->rf_ = raft::Raft::Make(std::move(servers), me, std::move(persister),
                             sc->apply_ch_);
  // SOLUTION BEGIN
  labrpc::Go("sc-S" + std::to_string(me) + "-applier", [sc] { sc->Applier(); });
  // SOLUTION END
  //@ // Your code here (4A).
  return sc;
}

std::shared_ptr<labrpc::Service> ShardCtrler::service() {
  auto svc = std::make_shared<labrpc::Service>("ShardCtrler");
  // The handlers own the server, so a handler still running after the
  // tester dropped its pointer (a crash) does not outlive the object.
  std::shared_ptr<ShardCtrler> self = shared_from_this();
  svc->Register<JoinArgs, JoinReply>(
      "Join", [self](const JoinArgs& args, JoinReply* reply) {
        self->Join(args, reply);
      });
  svc->Register<LeaveArgs, LeaveReply>(
      "Leave", [self](const LeaveArgs& args, LeaveReply* reply) {
        self->Leave(args, reply);
      });
  svc->Register<MoveArgs, MoveReply>(
      "Move", [self](const MoveArgs& args, MoveReply* reply) {
        self->Move(args, reply);
      });
  svc->Register<QueryArgs, QueryReply>(
      "Query", [self](const QueryArgs& args, QueryReply* reply) {
        self->Query(args, reply);
      });
  return svc;
}

void ShardCtrler::Kill() {
  dead_.store(true);
  rf_->Kill();
  // SOLUTION BEGIN
  labrpc::MutexLock l(mu_);
  applied_cv_.NotifyAll();
  // SOLUTION END
  //@ // Your code here, if desired.
}

void ShardCtrler::Join(const JoinArgs& args, JoinReply* reply) {
  // SOLUTION BEGIN
  Op op;
  op.kind = Op::kJoin;
  op.servers = args.servers;
  op.client_id = args.client_id;
  op.seq = args.seq;
  reply->err = Submit(op, nullptr);
  reply->wrong_leader = reply->err == Err::kErrWrongLeader;
  // SOLUTION END
  //@ // Your code here (4A).
  //@ (void)args;
  //@ (void)reply;
}

void ShardCtrler::Leave(const LeaveArgs& args, LeaveReply* reply) {
  // SOLUTION BEGIN
  Op op;
  op.kind = Op::kLeave;
  op.gids = args.gids;
  op.client_id = args.client_id;
  op.seq = args.seq;
  reply->err = Submit(op, nullptr);
  reply->wrong_leader = reply->err == Err::kErrWrongLeader;
  // SOLUTION END
  //@ // Your code here (4A).
  //@ (void)args;
  //@ (void)reply;
}

void ShardCtrler::Move(const MoveArgs& args, MoveReply* reply) {
  // SOLUTION BEGIN
  Op op;
  op.kind = Op::kMove;
  op.shard = args.shard;
  op.gid = args.gid;
  op.client_id = args.client_id;
  op.seq = args.seq;
  reply->err = Submit(op, nullptr);
  reply->wrong_leader = reply->err == Err::kErrWrongLeader;
  // SOLUTION END
  //@ // Your code here (4A).
  //@ (void)args;
  //@ (void)reply;
}

void ShardCtrler::Query(const QueryArgs& args, QueryReply* reply) {
  // SOLUTION BEGIN
  Op op;
  op.kind = Op::kQuery;
  op.num = args.num;
  op.client_id = args.client_id;
  op.seq = args.seq;
  reply->err = Submit(op, &reply->config);
  reply->wrong_leader = reply->err == Err::kErrWrongLeader;
  // SOLUTION END
  //@ // Your code here (4A).
  //@ (void)args;
  //@ (void)reply;
}

// SOLUTION BEGIN
Err ShardCtrler::Submit(const Op& op, Config* config) {
  if (Killed()) return Err::kErrWrongLeader;
  labrpc::MutexLock l(mu_);
  // A retry of a change already executed: answer from the duplicate table.
  // A Query always goes through the log: its answer depends on when it
  // executes, and it changes nothing, so executing it again is harmless.
  if (op.kind != Op::kQuery) {
    auto last = last_call_.find(op.client_id);
    if (last != last_call_.end() && last->second.seq == op.seq) {
      return last->second.err;
    }
  }

  // Start under mu_, so the waiter is registered before the applier can
  // apply the entry.
  raft::Raft::StartResult start = rf_->Start(labrpc::Encode(op));
  if (!start.is_leader) return Err::kErrWrongLeader;
  const int index = start.index;
  LAB_TRACE("ctrler", me_, "start %s seq %lld at index %d term %d",
            KindName(op.kind), static_cast<long long>(op.seq), index,
            start.term);

  waiters_[index]++;
  const labrpc::Duration deadline = labrpc::Now() + kMaxWait;
  Err err;
  for (;;) {
    if (last_applied_ >= index) {
      // Our entry, or another one that replaced it after a leader change.
      auto it = outcomes_.find(index);
      if (it != outcomes_.end() && it->second.client_id == op.client_id &&
          it->second.seq == op.seq) {
        err = it->second.err;
        if (config != nullptr) *config = it->second.config;
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
    // A new term means the entry may have been dropped; the clerk retries,
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

void ShardCtrler::Applier() {
  while (std::optional<raft::ApplyMsg> m = apply_ch_->Receive()) {
    labrpc::MutexLock l(mu_);
    // No snapshots in 4A: Raft delivers every entry from index 1, also
    // after a restart, which is how configs_ is rebuilt.
    if (!m->command_valid || m->command_index <= last_applied_) continue;
    ApplyCommandLocked(m->command_index, labrpc::Decode<Op>(m->command));
    last_applied_ = m->command_index;
    applied_cv_.NotifyAll();
  }
}

void ShardCtrler::ApplyCommandLocked(int index, const Op& op) {
  LAB_ASSERT_HELD(mu_);
  Outcome out;
  out.client_id = op.client_id;
  out.seq = op.seq;
  if (op.kind == Op::kQuery) {
    out.err = Err::kOK;
    // Only a waiting handler needs the copy.
    if (waiters_.count(index) > 0) out.config = QueryLocked(op.num);
  } else {
    LastCall& last = last_call_[op.client_id];
    if (op.seq <= last.seq) {
      // A duplicate: the clerk retried a change that had already executed
      // (an invalid one included, so that its verdict cannot change).
      out.err = op.seq == last.seq ? last.err : Err::kErrWrongLeader;
    } else {
      out.err = ApplyChangeLocked(op);
      last.seq = op.seq;
      last.err = out.err;
    }
  }
  LAB_TRACE("ctrler", me_, "applied %s seq %lld at index %d: %s, latest #%d",
            KindName(op.kind), static_cast<long long>(op.seq), index,
            ErrName(out.err), configs_.back().num);
  if (waiters_.count(index) > 0) outcomes_[index] = std::move(out);
}

Err ShardCtrler::ApplyChangeLocked(const Op& op) {
  LAB_ASSERT_HELD(mu_);
  // Checked here, not in the handler: the configuration may change between
  // Start and apply (two clerks joining the same gid), and every replica
  // must reach the same verdict.
  const Config& latest = configs_.back();
  Config next = latest;  // a deep copy: configs_ entries never change
  next.num = latest.num + 1;
  switch (op.kind) {
    case Op::kJoin:
      for (const auto& [gid, names] : op.servers) {
        if (gid == 0 || latest.groups.count(gid) > 0) {
          return Err::kErrInvalidArgument;
        }
        next.groups[gid] = names;
      }
      next.shards = Rebalance(next.shards, SortedGids(next.groups));
      break;
    case Op::kLeave:
      for (int gid : op.gids) {
        if (latest.groups.count(gid) == 0) return Err::kErrInvalidArgument;
        next.groups.erase(gid);
      }
      next.shards = Rebalance(next.shards, SortedGids(next.groups));
      break;
    case Op::kMove:
      if (op.shard < 0 || op.shard >= kNShards ||
          latest.groups.count(op.gid) == 0) {
        return Err::kErrInvalidArgument;
      }
      next.shards[op.shard] = op.gid;
      break;
    default:
      return Err::kErrInvalidArgument;
  }
  configs_.push_back(std::move(next));
  return Err::kOK;
}

const Config& ShardCtrler::QueryLocked(int num) const {
  LAB_ASSERT_HELD(mu_);
  if (num < 0 || num >= static_cast<int>(configs_.size())) {
    return configs_.back();
  }
  return configs_[num];
}
// SOLUTION END

}  // namespace shardctrler
