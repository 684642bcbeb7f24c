// Persister: two blobs under one lock.
#include "raft/persister.h"

#include <mutex>
#include <utility>

namespace raft {

Persister::Persister() = default;

std::shared_ptr<Persister> Persister::Copy() const {
  auto copy = std::make_shared<Persister>();
  std::lock_guard<labrpc::Mutex> l(mu_);
  copy->raftstate_ = raftstate_;
  copy->snapshot_ = snapshot_;
  return copy;
}

void Persister::Save(labrpc::Bytes raftstate, labrpc::Bytes snapshot) {
  // The caller's copies (if any) were made before locking, so the critical
  // section is two cheap moves.
  std::lock_guard<labrpc::Mutex> l(mu_);
  raftstate_ = std::move(raftstate);
  snapshot_ = std::move(snapshot);
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
