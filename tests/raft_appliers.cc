// The Raft harness's appliers (Go's applier, applierSnap, checkLogs and
// ingestSnap in src/raft/config.go): the tasks that read each peer's apply
// channel and check what it applies against what every other peer applied.
// Part of RaftConfig; see raft_config.h.
#include <algorithm>
#include <tuple>

#include "labrpc/trace.h"
#include "tests/raft_config.h"

namespace raftlab_test {

std::pair<std::string, bool> RaftConfig::CheckLogsLocked(
    int i, int index, const labrpc::Bytes& cmd) {
  LAB_ASSERT_HELD(mu_);
  std::string err;
  for (int j = 0; j < n_; j++) {
    auto it = logs_[j].find(index);
    if (it != logs_[j].end() && it->second != cmd) {
      // Some server has already committed a different value for this entry!
      err = labrpc::Sprintf("commit index=%d server=%d %s != server=%d %s",
                            index, i, CmdToString(cmd).c_str(), j,
                            CmdToString(it->second).c_str());
    }
  }
  bool prevok = logs_[i].count(index - 1) > 0;
  logs_[i][index] = cmd;
  if (index > max_index_) max_index_ = index;
  return {err, prevok};
}

void RaftConfig::ApplyFailure(int i, const std::string& err) {
  {
    labrpc::MutexLock l(mu_);
    apply_err_[i] = err;
  }
  Fatal("apply error: " + err);
}

void RaftConfig::Applier(int i, std::shared_ptr<raft::ApplyChannel> ch) {
  while (std::optional<raft::ApplyMsg> m = ch->Receive()) {
    if (!m->command_valid) continue;  // ignore other types of ApplyMsg
    std::string err;
    bool prevok;
    {
      labrpc::MutexLock l(mu_);
      std::tie(err, prevok) = CheckLogsLocked(i, m->command_index, m->command);
    }
    if (m->command_index > 1 && !prevok) {
      err = labrpc::Sprintf("server %d apply out of order %d", i,
                            m->command_index);
    }
    if (!err.empty()) ApplyFailure(i, err);
  }
}

std::string RaftConfig::IngestSnapLocked(int i, const labrpc::Bytes& snapshot,
                                         int index) {
  LAB_ASSERT_HELD(mu_);
  if (snapshot.empty()) Fatal("nil snapshot");
  int last_included_index = 0;
  std::vector<labrpc::Bytes> xlog;
  try {
    labrpc::Decoder d(snapshot);
    d.Get(&last_included_index);
    d.Get(&xlog);
  } catch (const labrpc::DecodeError&) {
    Fatal("snapshot decode error");
  }
  if (index != -1 && index != last_included_index) {
    return labrpc::Sprintf("server %d snapshot doesn't match m.SnapshotIndex",
                           i);
  }
  logs_[i].clear();
  for (size_t j = 0; j < xlog.size(); j++) logs_[i][j] = xlog[j];
  last_applied_[i] = last_included_index;
  return "";
}

void RaftConfig::ApplierSnap(int i, std::shared_ptr<raft::Raft> rf,
                             std::shared_ptr<raft::ApplyChannel> ch) {
  while (std::optional<raft::ApplyMsg> m = ch->Receive()) {
    std::string err;
    if (m->snapshot_valid) {
      labrpc::MutexLock l(mu_);
      err = IngestSnapLocked(i, m->snapshot, m->snapshot_index);
    } else if (m->command_valid) {
      const int index = m->command_index;
      labrpc::MutexLock l(mu_);
      if (index != last_applied_[i] + 1) {
        err = labrpc::Sprintf(
            "server %d apply out of order, expected index %d, got %d", i,
            last_applied_[i] + 1, index);
      }
      if (err.empty()) {
        bool prevok;
        std::tie(err, prevok) = CheckLogsLocked(i, index, m->command);
        if (index > 1 && !prevok) {
          err = labrpc::Sprintf("server %d apply out of order %d", i, index);
        }
      }
      last_applied_[i] = index;

      if (err.empty() && (index + 1) % kSnapShotInterval == 0) {
        // The snapshot is "the state machine": lastIncludedIndex and every
        // command through it (entry 0 is empty).
        std::vector<labrpc::Bytes> xlog;
        xlog.reserve(index + 1);
        for (int j = 0; j <= index; j++) {
          auto it = logs_[i].find(j);
          xlog.push_back(it == logs_[i].end() ? labrpc::Bytes() : it->second);
        }
        labrpc::Bytes snapshot =
            labrpc::Encoder().Put(index).Put(xlog).Finish();
        snapshot_requested_[i] = std::max(snapshot_requested_[i], index);
        l.unlock();
        // Synchronously, as the Go tester does: Raft must not wait for its
        // applier while handling this.
        rf->Snapshot(index, snapshot);
      }
    }
    if (!err.empty()) ApplyFailure(i, err);
  }
}

}  // namespace raftlab_test
