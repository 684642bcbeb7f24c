// Persister: two blobs under one lock.
#include "raft/persister.h"

#include <mutex>

namespace raft {

Persister::Persister() = default;

std::shared_ptr<Persister> Persister::Copy() const {
  auto copy = std::make_shared<Persister>();
  std::lock_guard<labrpc::Mutex> l(mu_);
  copy->raftstate_ = raftstate_;
  copy->snapshot_ = snapshot_;
  return copy;
}

void Persister::Save(const labrpc::Bytes& raftstate,
                     const labrpc::Bytes& snapshot) {
  // Copy before locking so the critical section is two cheap moves.
  labrpc::Bytes state_copy = raftstate;
  labrpc::Bytes snapshot_copy = snapshot;
  std::lock_guard<labrpc::Mutex> l(mu_);
  raftstate_ = std::move(state_copy);
  snapshot_ = std::move(snapshot_copy);
}

labrpc::Bytes Persister::ReadRaftState() const {
  std::lock_guard<labrpc::Mutex> l(mu_);
  return raftstate_;
}

labrpc::Bytes Persister::ReadSnapshot() const {
  std::lock_guard<labrpc::Mutex> l(mu_);
  return snapshot_;
}

size_t Persister::RaftStateSize() const {
  std::lock_guard<labrpc::Mutex> l(mu_);
  return raftstate_.size();
}

size_t Persister::SnapshotSize() const {
  std::lock_guard<labrpc::Mutex> l(mu_);
  return snapshot_.size();
}

}  // namespace raft
