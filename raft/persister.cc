// Persister: two blobs under one lock, optionally written through to a
// StableStore.
#include "raft/persister.h"

#include <mutex>
#include <stdexcept>
#include <utility>

namespace raft {

Persister::Persister() = default;

Persister::Persister(std::unique_ptr<StableStore> store)
    : store_(std::move(store)) {
  if (!store_) throw std::invalid_argument("raft::Persister: null store");
  auto [raftstate, snapshot] = store_->Load();
  raftstate_ = std::move(raftstate);
  snapshot_ = std::move(snapshot);
}

std::shared_ptr<Persister> Persister::Copy() const {
  auto copy = std::make_shared<Persister>();
  std::lock_guard<labrpc::Mutex> l(mu_);
  copy->raftstate_ = raftstate_;
  copy->snapshot_ = snapshot_;
  return copy;
}

void Persister::Save(labrpc::Bytes raftstate, labrpc::Bytes snapshot) {
  // The caller's copies (if any) were made before locking, so in memory the
  // critical section is two cheap moves.
  std::lock_guard<labrpc::Mutex> l(mu_);
  // Disk first: if it fails, the reads keep answering what is on disk.
  if (store_) store_->Store(raftstate, snapshot);
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
