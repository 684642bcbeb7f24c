// Persister: the stand-in for stable storage that Raft (its state) and the
// service (its snapshot) share on one server. In the tests there is no disk:
// the tester "crashes" a server by handing the next incarnation a Copy() of
// whatever was last saved (as the Go labs' src/raft/persister.go, 2023
// Save).
//
// A deployment (one server per process) gives it a StableStore, which every
// Save writes through before returning, so the same Raft and services run on
// disk without a change:
//
//   auto p = std::make_shared<raft::Persister>(
//       std::make_unique<deploy::FileStore>("data/peer0"));  // deploy/
//   auto rf = raft::Raft::Make(ends, me, p, apply_ch);
//
// Why a hook and not a second Persister class: Raft, kvraft and shardkv
// hold a std::shared_ptr<Persister> to this concrete class. A virtual base
// would change the class every student codes against and put a virtual call
// on every read; the hook adds one pointer test to Save and keeps reads on
// the in-memory copy, so the tests' Persister behaves exactly as before.
#ifndef RAFTLAB_RAFT_PERSISTER_H_
#define RAFTLAB_RAFT_PERSISTER_H_

#include <cstddef>
#include <memory>
#include <utility>

#include "labrpc/codec.h"
#include "labrpc/runtime.h"

namespace raft {

// Durable storage for a Persister's two blobs (deploy::FileStore is one).
// A Persister calls it under its own lock, so an implementation need not be
// thread-safe.
class StableStore {
 public:
  virtual ~StableStore() = default;

  // The pair last stored; both empty on a fresh start. Throws if what is
  // stored cannot be read back intact (never an empty pair instead).
  virtual std::pair<labrpc::Bytes, labrpc::Bytes> Load() = 0;

  // Replaces the stored pair. Returns only once the new pair would survive
  // a crash or power cut: Raft replies to RPCs right after Save, and the
  // reply promises that its state is on stable storage. On failure throws,
  // and the previous pair is still the stored one.
  virtual void Store(const labrpc::Bytes& raftstate,
                     const labrpc::Bytes& snapshot) = 0;
};

// Holds two blobs, Raft's state and the service's snapshot, which are only
// ever replaced together (the 2023 Save semantics). Safe for concurrent use:
// every method takes an internal labrpc::Mutex, so it must be created inside
// a running world.
class Persister {
 public:
  // Both blobs empty, in memory only.
  Persister();
  // Starts with what `store` holds (store->Load(), which may throw) and
  // writes every Save through to it.
  explicit Persister(std::unique_ptr<StableStore> store);
  Persister(const Persister&) = delete;
  Persister& operator=(const Persister&) = delete;

  // A new Persister holding the same two blobs. Later saves to either one do
  // not affect the other: this is how the tester cuts a killed instance off
  // from the storage its successor will read. The copy is in memory only,
  // even if this one has a StableStore: one store has one writer.
  std::shared_ptr<Persister> Copy() const;

  // Replaces both blobs, atomically with respect to every other method. An
  // empty snapshot erases any previous one, so Raft must always pass the
  // snapshot it currently holds (TestSnapshotInit2D). Takes the blobs by
  // value: pass a freshly encoded state with std::move to save a copy.
  // With a StableStore, returns once the store has the pair; if the store
  // throws, Save rethrows and both blobs keep their previous values (the
  // server should then stop: it cannot keep Raft's promise).
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
  // Null for the in-memory Persister. Written under mu_, so two Saves reach
  // the store in the same order as the blobs above.
  const std::unique_ptr<StableStore> store_;
};

}  // namespace raft

#endif  // RAFTLAB_RAFT_PERSISTER_H_
