// The KV server (Go's kvraft/server.go); see server.h.
#include "kvraft/server.h"

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

namespace kvraft {

// SOLUTION BEGIN
namespace {

// How long a handler waits for its entry to be applied before giving up
// (the clerk then retries, possibly elsewhere). A leader cut off in a
// minority keeps its term, so only this limit frees its handlers.
constexpr labrpc::Duration kMaxWait = std::chrono::milliseconds(500);
// How often a waiting handler checks that this server still leads in the
// term in which it proposed the entry.
constexpr labrpc::Duration kLeaderCheck = std::chrono::milliseconds(25);

// How many committed entries Raft may hand over ahead of the applier (the
// apply channel's buffer). The applier takes up to twice as many in a row
// before it considers a snapshot, so the Raft state stays near maxraftstate
// while it catches up.
constexpr int kApplyBatch = 8;

}  // namespace
// SOLUTION END

KVServer::KVServer(int me, std::shared_ptr<raft::Persister> persister,
                   int maxraftstate)
    : me_(me), maxraftstate_(maxraftstate), persister_(std::move(persister)) {}

std::shared_ptr<KVServer> StartKVServer(
    std::vector<std::shared_ptr<labrpc::ClientEnd>> servers, int me,
    std::shared_ptr<raft::Persister> persister, int maxraftstate) {
  std::shared_ptr<KVServer> kv(new KVServer(me, persister, maxraftstate));
  // SOLUTION BEGIN
  // Buffered, so that Raft hands over a run of committed entries while the
  // applier is busy, and the applier applies the run before it snapshots.
  kv->apply_ch_ =
      std::make_shared<raft::ApplyChannel>(kApplyBatch, "kv-apply-ch");
  // SOLUTION END
  //@ kv->apply_ch_ = std::make_shared<raft::ApplyChannel>(0, "kv-apply-ch");
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
  labrpc::Go("kv-S" + std::to_string(me) + "-applier", [kv] { kv->Applier(); });
  // SOLUTION END
  //@ // You may need initialization code here (3A; 3B: restore the
  //@ // snapshot the persister holds).
  return kv;
}

std::shared_ptr<labrpc::Service> KVServer::service() {
  auto svc = std::make_shared<labrpc::Service>("KVServer");
  // The handlers own the server, so a handler still running after the
  // tester dropped its pointer (a crash) does not outlive the object.
  std::shared_ptr<KVServer> self = shared_from_this();
  svc->Register<GetArgs, GetReply>(
      "Get",
      [self](const GetArgs& args, GetReply* reply) { self->Get(args, reply); });
  svc->Register<PutAppendArgs, PutAppendReply>(
      "PutAppend", [self](const PutAppendArgs& args, PutAppendReply* reply) {
        self->PutAppend(args, reply);
      });
  return svc;
}

void KVServer::Kill() {
  dead_.store(true);
  rf_->Kill();
  // SOLUTION BEGIN
  labrpc::MutexLock l(mu_);
  applied_cv_.NotifyAll();
  // SOLUTION END
  //@ // Your code here, if desired.
}

void KVServer::StaleGet(const GetArgs& args, GetReply* reply) {
  if (Killed() || !rf_->GetState().second) {
    reply->err = Err::kErrWrongLeader;
    return;
  }
  labrpc::MutexLock l(mu_);
  auto it = data_.find(args.key);
  if (it == data_.end()) {
    reply->err = Err::kErrNoKey;
  } else {
    reply->err = Err::kOK;
    reply->value = it->second;
  }
}

void KVServer::Get(const GetArgs& args, GetReply* reply) {
  if (stale_reads_for_testing_.load()) {
    StaleGet(args, reply);
    return;
  }
  // SOLUTION BEGIN
  Op op;
  op.kind = Op::kGet;
  op.key = args.key;
  op.client_id = args.client_id;
  op.seq = args.seq;
  reply->err = Submit(op, &reply->value);
  // SOLUTION END
  //@ // Your code here (3A).
  //@ (void)args;
  //@ (void)reply;
}

void KVServer::PutAppend(const PutAppendArgs& args, PutAppendReply* reply) {
  // SOLUTION BEGIN
  if (args.op != "Put" && args.op != "Append") {
    reply->err = Err::kErrInvalidArgument;
    return;
  }
  Op op;
  op.kind = args.op == "Put" ? Op::kPut : Op::kAppend;
  op.key = args.key;
  op.value = args.value;
  op.client_id = args.client_id;
  op.seq = args.seq;
  std::string unused;
  reply->err = Submit(op, &unused);
  // SOLUTION END
  //@ // Your code here (3A).
  //@ (void)args;
  //@ (void)reply;
}

// SOLUTION BEGIN
Err KVServer::Submit(const Op& op, std::string* value) {
  if (Killed()) return Err::kErrWrongLeader;
  labrpc::MutexLock l(mu_);
  // A retry of a call already executed: answer from the duplicate table.
  // That is linearizable because the entry that executed it was applied
  // while this very call was outstanding.
  auto last = last_call_.find(op.client_id);
  if (!raft::Ablated("duplicate_detection") && last != last_call_.end() &&
      last->second.seq == op.seq) {
    *value = last->second.value;
    return last->second.err;
  }

  // Start under mu_, so the waiter is registered before the applier can
  // apply the entry.
  raft::Raft::StartResult start = rf_->Start(labrpc::Encode(op));
  if (!start.is_leader) return Err::kErrWrongLeader;
  const int index = start.index;
  LAB_TRACE("kv", me_, "start %s key %s seq %lld at index %d term %d",
            op.kind == Op::kGet   ? "Get"
            : op.kind == Op::kPut ? "Put"
                                  : "Append",
            op.key.c_str(), static_cast<long long>(op.seq), index, start.term);

  waiters_[index]++;
  const labrpc::Duration deadline = labrpc::Now() + kMaxWait;
  Err err;
  for (;;) {
    if (last_applied_ >= index) {
      // Our entry, or another one that replaced it after a leader change
      // (or a snapshot jumped over the index: then we cannot tell).
      auto it = outcomes_.find(index);
      if (it != outcomes_.end() && it->second.client_id == op.client_id &&
          it->second.seq == op.seq) {
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

void KVServer::Applier() {
  while (std::optional<raft::ApplyMsg> m = apply_ch_->Receive()) {
    labrpc::MutexLock l(mu_);
    ApplyMsgLocked(*m);
    // Apply what else Raft has handed over before deciding on a snapshot. A
    // server that has fallen behind would otherwise snapshot after every
    // entry (its Raft state stays over the limit until it catches up), and
    // each snapshot encodes the whole state to free one entry: it would fall
    // further behind the busier the service is.
    for (int i = 1; i < 2 * kApplyBatch; i++) {
      std::optional<raft::ApplyMsg> next = apply_ch_->TryReceive();
      if (!next) break;
      ApplyMsgLocked(*next);
    }
    if (maxraftstate_ >= 0 && !raft::Ablated("kv_snapshots") &&
        persister_->RaftStateSize() >=
            static_cast<size_t>(maxraftstate_) * 9 / 10) {
      const int index = last_applied_;
      labrpc::Bytes snapshot = EncodeSnapshotLocked();
      l.unlock();
      rf_->Snapshot(index, snapshot);
    }
  }
}

void KVServer::ApplyMsgLocked(const raft::ApplyMsg& m) {
  LAB_ASSERT_HELD(mu_);
  if (m.snapshot_valid) {
    // A snapshot from the leader replaces everything through its index.
    if (m.snapshot_index > last_applied_) {
      InstallSnapshotLocked(m.snapshot);
      last_applied_ = m.snapshot_index;
      LAB_TRACE("kv", me_, "installed snapshot through %d", last_applied_);
    }
  } else if (m.command_valid && m.command_index > last_applied_) {
    ApplyCommandLocked(m.command_index, labrpc::Decode<Op>(m.command));
    last_applied_ = m.command_index;
  }
  applied_cv_.NotifyAll();
}

void KVServer::ApplyCommandLocked(int index, const Op& op) {
  LAB_ASSERT_HELD(mu_);
  Outcome out;
  out.client_id = op.client_id;
  out.seq = op.seq;
  LastCall& last = last_call_[op.client_id];
  if (!raft::Ablated("duplicate_detection") && op.seq <= last.seq) {
    // A duplicate: the clerk retried a call that had already executed.
    if (op.seq == last.seq) {
      out.err = last.err;
      out.value = last.value;
    } else {
      out.err = Err::kErrWrongLeader;  // the client has moved on; unused
    }
  } else {
    switch (op.kind) {
      case Op::kGet: {
        auto it = data_.find(op.key);
        if (it == data_.end()) {
          out.err = Err::kErrNoKey;
        } else {
          out.err = Err::kOK;
          out.value = it->second;
        }
        break;
      }
      case Op::kPut:
        data_[op.key] = op.value;
        out.err = Err::kOK;
        break;
      default:  // Append; to a missing key it acts as Put
        data_[op.key] += op.value;
        out.err = Err::kOK;
        break;
    }
    last.seq = op.seq;
    last.err = out.err;
    last.value = out.value;
  }
  if (waiters_.count(index) > 0) outcomes_[index] = std::move(out);
}

labrpc::Bytes KVServer::EncodeSnapshotLocked() const {
  LAB_ASSERT_HELD(mu_);
  return labrpc::Encoder()
      .Put(last_applied_)
      .Put(data_)
      .Put(last_call_)
      .Finish();
}

void KVServer::InstallSnapshotLocked(const labrpc::Bytes& snapshot) {
  LAB_ASSERT_HELD(mu_);
  int index = 0;
  std::map<std::string, std::string> data;
  std::map<int64_t, LastCall> last_call;
  try {
    labrpc::Decoder d(snapshot);
    d.Get(&index);
    d.Get(&data);
    d.Get(&last_call);
    if (!d.AtEnd()) {
      throw labrpc::DecodeError(std::to_string(d.Remaining()) +
                                " trailing bytes");
    }
    if (index < 0) {
      throw std::runtime_error("negative index " + std::to_string(index));
    }
    for (const auto& [client, call] : last_call) {
      if (call.seq < 0 || call.err > Err::kErrInvalidArgument) {
        throw std::runtime_error("client " + std::to_string(client) +
                                 ": sequence number " +
                                 std::to_string(call.seq) + ", error code " +
                                 std::to_string(static_cast<int>(call.err)));
      }
    }
  } catch (const std::exception& e) {
    // Starting from an empty state instead would silently forget writes.
    throw std::runtime_error(
        "kvraft S" + std::to_string(me_) + ": corrupt snapshot (" +
        std::to_string(snapshot.size()) + " bytes): " + e.what());
  }
  last_applied_ = std::max(last_applied_, index);
  data_ = std::move(data);
  last_call_ = std::move(last_call);
}
// SOLUTION END

}  // namespace kvraft
