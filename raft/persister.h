// Persister: the stand-in for stable storage that Raft (its state) and the
// service (its snapshot) share on one server. There is no disk: the tester
// "crashes" a server by handing the next incarnation a Copy() of whatever
// was last saved (as the Go labs' src/raft/persister.go, 2023 Save).
#ifndef RAFTLAB_RAFT_PERSISTER_H_
#define RAFTLAB_RAFT_PERSISTER_H_

#include <cstddef>
#include <memory>

#include "labrpc/codec.h"
#include "labrpc/runtime.h"

namespace raft {

// Holds two blobs, Raft's state and the service's snapshot, which are only
// ever replaced together (the 2023 Save semantics). Safe for concurrent use:
// every method takes an internal labrpc::Mutex, so it must be created inside
// a running world.
class Persister {
 public:
  // Both blobs empty.
  Persister();
  Persister(const Persister&) = delete;
  Persister& operator=(const Persister&) = delete;

  // A new Persister holding the same two blobs. Later saves to either one do
  // not affect the other: this is how the tester cuts a killed instance off
  // from the storage its successor will read.
  std::shared_ptr<Persister> Copy() const;

  // Replaces both blobs, atomically with respect to every other method. An
  // empty snapshot erases any previous one, so Raft must always pass the
  // snapshot it currently holds (TestSnapshotInit2D). Takes the blobs by
  // value: pass a freshly encoded state with std::move to save a copy.
  void Save(labrpc::Bytes raftstate, labrpc::Bytes snapshot);

  // Copies of the blobs; empty when nothing was saved.
  labrpc::Bytes ReadRaftState() const;
  labrpc::Bytes ReadSnapshot() const;

  // Byte lengths, which the tests compare with their size limits.
  size_t RaftStateSize() const;
  size_t SnapshotSize() const;

 private:
  mutable labrpc::Mutex mu_{"persister"};
  labrpc::Bytes raftstate_;  // guarded by mu_
  labrpc::Bytes snapshot_;   // guarded by mu_
};

}  // namespace raft

#endif  // RAFTLAB_RAFT_PERSISTER_H_
