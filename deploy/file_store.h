// FileStore: a raft::StableStore in a directory, so that a server process
// keeps its Raft state and snapshot across crashes and restarts.
//
//   auto p = std::make_shared<raft::Persister>(
//       std::make_unique<deploy::FileStore>("data/peer0"));
//   // throws deploy::StoreError, e.g. "data/peer0/raft-state: checksum
//   // mismatch (stored 0x1c2f..., computed 0x9a01...)"
//
// The directory holds:
//   raft-state      the last completed Save (deploy/state_file.h format)
//   raft-state.tmp  a Save in progress; left over only by a crash, and then
//                   never the good copy: opening removes it
//   LOCK            held (flock) while a FileStore is open, so two servers
//                   (or two stores in one process) never share a directory
//
// How a Save is made durable, and why this way. Each Store writes the new
// file to raft-state.tmp, fsyncs it, renames it over raft-state and fsyncs
// the directory: the rename is the commit point, so a crash at any moment
// leaves either the old pair or the new one, whole. Raft may answer an RPC
// only once its state is on stable storage, and it answers right after
// Save, so Store returns only after both fsyncs.
//
// The alternative, an append-only log of checksummed records with periodic
// compaction, would save the rename and the directory fsync (one fsync per
// Save instead of two) but not bytes: the Persister API hands over both
// whole blobs on every Save, so every record would be a full copy anyway,
// and the log would need compaction, a torn-tail rule on recovery and a
// second file format. Rewriting one small file keeps recovery to "read one
// file, check it", which is what a teaching kit should show. What it costs:
// every Save writes the whole state and snapshot (Raft's own encoding cost
// is already proportional to that) plus two fsyncs, a few milliseconds on
// a disk that honours them.
//
// What opening never does: treat a damaged file as a fresh start, or write
// over it. A missing raft-state is a fresh start (no Save ever completed);
// any other problem throws StoreError naming the file and the fault, and
// leaves the directory as it was, for a person to look at.
#ifndef RAFTLAB_DEPLOY_FILE_STORE_H_
#define RAFTLAB_DEPLOY_FILE_STORE_H_

#include <string>
#include <utility>

#include "deploy/state_file.h"
#include "labrpc/codec.h"
#include "raft/persister.h"

namespace deploy {

class FileStore : public raft::StableStore {
 public:
  static constexpr const char* kStateName = "raft-state";
  static constexpr const char* kTempName = "raft-state.tmp";
  static constexpr const char* kLockName = "LOCK";

  // Opens `dir` (creating it, and its parents, if missing), takes its lock
  // and removes a leftover temp file. Throws StoreError if `dir` is not a
  // usable directory or another FileStore holds it.
  explicit FileStore(std::string dir);
  ~FileStore() override;
  FileStore(const FileStore&) = delete;
  FileStore& operator=(const FileStore&) = delete;

  // The pair in raft-state; both empty if there is no such file. Throws
  // StoreError if it cannot be read or is not one intact file.
  std::pair<labrpc::Bytes, labrpc::Bytes> Load() override;

  // Durably replaces raft-state (above). Throws StoreError on any failed
  // step, after removing the temp file; raft-state is then the previous
  // pair, except after a failed directory fsync, when it may be either
  // (the process should stop: see raft::Persister::Save).
  void Store(const labrpc::Bytes& raftstate,
             const labrpc::Bytes& snapshot) override;

  const std::string& dir() const { return dir_; }
  // dir/raft-state, the name errors use.
  const std::string& state_path() const { return state_path_; }

 private:
  const std::string dir_;
  const std::string state_path_;
  const std::string temp_path_;
  int dir_fd_ = -1;   // for fsync after a rename
  int lock_fd_ = -1;  // flock'd while open
};

}  // namespace deploy

#endif  // RAFTLAB_DEPLOY_FILE_STORE_H_
