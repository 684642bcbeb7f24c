// RaftLog: the Raft log as a window onto the global index space, so that log
// compaction (2D) is a change of offset rather than a change of every index
// computation in the protocol code.
//
// The window always starts with a dummy entry at snapshot_index() that holds
// the term of the last entry covered by the snapshot (0/0 before any
// snapshot, which plays the role of the paper's "index 0"). Real entries are
// snapshot_index()+1 .. last_index(). Keeping the dummy means term_at(prev)
// works for prev == snapshot_index(), which AppendEntries' consistency check
// and RequestVote's up-to-date check both need right after a compaction.
//
// The class knows nothing of terms' meaning, commit or persistence; it is a
// plain data structure with its own unit test (tests/raft_log_test.cc).
// Indexing outside the window is a caller bug and throws std::out_of_range.
//@ //
//@ // Using it is up to you: the tests call only Raft's API. Its unit tests
//@ // (RaftLog.*) skip while raft/log.cc holds its stubs.
#ifndef RAFTLAB_RAFT_LOG_H_
#define RAFTLAB_RAFT_LOG_H_

#include <boost/serialization/level.hpp>
// SOLUTION BEGIN
#include <boost/serialization/collection_size_type.hpp>
#include <boost/serialization/item_version_type.hpp>
#include <boost/serialization/split_member.hpp>
#include <boost/serialization/version.hpp>
// SOLUTION END
#include <boost/serialization/tracking.hpp>
#include <vector>

#include "labrpc/codec.h"

namespace raft {

// One log entry: the command bytes (opaque to Raft) and the term in which
// the leader received it (Figure 2: "each entry contains command for state
// machine, and term when entry was received by leader").
struct LogEntry {
  int term = 0;
  labrpc::Bytes command;

  bool operator==(const LogEntry&) const = default;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& term& command;
  }
};

}  // namespace raft

// Raft encodes its whole log on every Persist, so per-entry cost matters
// (quadratic in the log length over a run): store entries as plain values,
// without Boost's per-object class bookkeeping.
BOOST_CLASS_IMPLEMENTATION(raft::LogEntry,
                           boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(raft::LogEntry, boost::serialization::track_never)
// The same for the vector of entries (the log itself, and AppendEntries'
// entries): no class header, which also keeps its bytes independent of
// whatever else the same archive saved before it.
BOOST_CLASS_IMPLEMENTATION(std::vector<raft::LogEntry>,
                           boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(std::vector<raft::LogEntry>,
                     boost::serialization::track_never)

namespace raft {

class RaftLog {
 public:
  // An empty log: only the dummy entry at index 0 with term 0.
  RaftLog();

  // Index and term of the dummy entry, i.e. of the last entry covered by
  // the snapshot (0 and 0 when there is none).
  int snapshot_index() const;
  int snapshot_term() const;
  // Index and term of the last entry (the dummy's if the log is empty).
  int last_index() const;
  int last_term() const;

  // True if term_at(index) is defined: snapshot_index() <= index <=
  // last_index().
  bool HasIndex(int index) const;
  // The term of the entry at `index`; snapshot_index() <= index <=
  // last_index().
  int term_at(int index) const;
  // The entry at `index`; snapshot_index() < index <= last_index().
  const LogEntry& at(int index) const;

  // Appends `entry` and returns its index.
  int Append(LogEntry entry);
  // Copies of the entries from..to, inclusive; snapshot_index() < from and
  // to <= last_index(). Empty when from > to.
  std::vector<LogEntry> Slice(int from, int to) const;
  // Deletes the entries at `index` and after; snapshot_index() < index.
  // Deleting past the end is a no-op.
  void TruncateFrom(int index);
  // Discards everything before `index` and makes the entry at `index` the
  // new dummy, keeping its term; snapshot_index() <= index <= last_index().
  void Compact(int index);
  // Discards the whole log and starts again from a dummy (index, term):
  // used when a snapshot from the leader covers more than this log holds,
  // or disagrees with it.
  void Reset(int index, int term);

  // Fast backup (the 6.824 "XTerm/XIndex" optimisation): the first index of
  // the run of entries with term term_at(index) that ends at `index`,
  // searching no further back than snapshot_index()+1.
  int FirstIndexOfTermRun(int index) const;
  // The highest index whose term is `term`, or -1 if no entry in the window
  // (dummy included) has that term.
  int LastIndexOfTerm(int term) const;

  // Number of real entries in the window (the dummy excluded).
  int size() const;

  bool operator==(const RaftLog&) const = default;

  // SOLUTION BEGIN
  // The bytes are those of `ar & base_index_ & entries_`, but the entries
  // after the dummy are copied from encoded_ rather than encoded again:
  // Raft persists the whole log after every change, so encoding it from
  // scratch each time costs time quadratic in the log's length.
  template <class Archive>
  void save(Archive& ar, const unsigned /*version*/) const {
    ar << base_index_;
    const boost::serialization::collection_size_type count(entries_.size());
    ar << count;
    const boost::serialization::item_version_type item_version(
        boost::serialization::version<LogEntry>::value);
    ar << item_version;
    ar << entries_.front();
    ar.save_binary(encoded_.data(), encoded_.size());
  }
  template <class Archive>
  void load(Archive& ar, const unsigned /*version*/) {
    ar >> base_index_ >> entries_;
    EncodeAll();
  }
  BOOST_SERIALIZATION_SPLIT_MEMBER()
  // SOLUTION END
  //@ template <class Archive>
  //@ void serialize(Archive& ar, const unsigned /*version*/) {
  //@   ar& base_index_& entries_;
  //@ }

  // Checks the invariants of a freshly decoded log: a dummy entry exists,
  // indices and terms are non-negative and terms never decrease. Throws
  // std::runtime_error naming the first violation.
  void Validate() const;

 private:
  // The position of `index` in entries_, after bounds checking.
  size_t Pos(int index, int lowest) const;

  // Global index of entries_[0], the dummy entry. Invariant: >= 0.
  int base_index_ = 0;
  // entries_[i] has global index base_index_ + i. Invariant: never empty;
  // terms are non-decreasing.
  std::vector<LogEntry> entries_;
  // SOLUTION BEGIN
  // Rebuilds encoded_ from entries_.
  void EncodeAll();

  // The encodings of entries_[1..], back to back. Invariant: equal to
  // labrpc::Encode of each of them in turn (kept by every method that
  // changes entries_; RaftLog.EncodingMatchesAFreshLog checks it).
  labrpc::Bytes encoded_;
  // SOLUTION END
};

}  // namespace raft

#endif  // RAFTLAB_RAFT_LOG_H_
