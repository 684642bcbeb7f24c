// RaftLog: index arithmetic for a log whose prefix may have been replaced by
// a snapshot. See log.h for the dummy-entry convention.
#include "raft/log.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace raft {

RaftLog::RaftLog() : entries_(1) {}

int RaftLog::snapshot_index() const {
  // SOLUTION BEGIN
  return base_index_;
  // SOLUTION END
  //@ return 0;  // Your code here (2D).
}

int RaftLog::snapshot_term() const {
  // SOLUTION BEGIN
  return entries_.front().term;
  // SOLUTION END
  //@ return 0;  // Your code here (2D).
}

int RaftLog::last_index() const {
  // SOLUTION BEGIN
  return base_index_ + static_cast<int>(entries_.size()) - 1;
  // SOLUTION END
  //@ return 0;  // Your code here (2B).
}

int RaftLog::last_term() const {
  // SOLUTION BEGIN
  return entries_.back().term;
  // SOLUTION END
  //@ return 0;  // Your code here (2B).
}

bool RaftLog::HasIndex(int index) const {
  // SOLUTION BEGIN
  return index >= base_index_ && index <= last_index();
  // SOLUTION END
  //@ (void)index;
  //@ return false;  // Your code here (2B).
}

size_t RaftLog::Pos(int index, int lowest) const {
  // SOLUTION BEGIN
  if (index < lowest || index > last_index()) {
    throw std::out_of_range("RaftLog: index " + std::to_string(index) +
                            " outside [" + std::to_string(lowest) + ", " +
                            std::to_string(last_index()) + "]");
  }
  return static_cast<size_t>(index - base_index_);
  // SOLUTION END
  //@ (void)index;
  //@ (void)lowest;
  //@ return 0;  // Your code here (2B).
}

int RaftLog::term_at(int index) const {
  // SOLUTION BEGIN
  return entries_[Pos(index, base_index_)].term;
  // SOLUTION END
  //@ (void)index;
  //@ return 0;  // Your code here (2B).
}

const LogEntry& RaftLog::at(int index) const {
  // SOLUTION BEGIN
  return entries_[Pos(index, base_index_ + 1)];
  // SOLUTION END
  //@ (void)index;
  //@ return entries_.front();  // Your code here (2B).
}

int RaftLog::Append(LogEntry entry) {
  // SOLUTION BEGIN
  entries_.push_back(std::move(entry));
  encoded_ += labrpc::Encode(entries_.back());
  return last_index();
  // SOLUTION END
  //@ (void)entry;
  //@ return 0;  // Your code here (2B).
}

std::vector<LogEntry> RaftLog::Slice(int from, int to) const {
  // SOLUTION BEGIN
  if (from > to) return {};
  size_t begin = Pos(from, base_index_ + 1);
  size_t end = Pos(to, base_index_ + 1) + 1;
  return std::vector<LogEntry>(entries_.begin() + begin,
                               entries_.begin() + end);
  // SOLUTION END
  //@ (void)from;
  //@ (void)to;
  //@ return {};  // Your code here (2B).
}

void RaftLog::TruncateFrom(int index) {
  // SOLUTION BEGIN
  if (index > last_index()) return;
  entries_.resize(Pos(index, base_index_ + 1));
  EncodeAll();  // rare (a conflict with a new leader), so not worth offsets
  // SOLUTION END
  //@ (void)index;  // Your code here (2B).
}

void RaftLog::Compact(int index) {
  // SOLUTION BEGIN
  size_t pos = Pos(index, base_index_);
  entries_.erase(entries_.begin(), entries_.begin() + pos);
  entries_.front().command.clear();  // the dummy carries only its term
  base_index_ = index;
  EncodeAll();
  // SOLUTION END
  //@ (void)index;  // Your code here (2D).
}

void RaftLog::Reset(int index, int term) {
  // SOLUTION BEGIN
  entries_.assign(1, LogEntry{term, {}});
  base_index_ = index;
  encoded_.clear();
  // SOLUTION END
  //@ (void)index;
  //@ (void)term;  // Your code here (2D).
}

// SOLUTION BEGIN
void RaftLog::EncodeAll() {
  labrpc::Encoder e;
  for (size_t i = 1; i < entries_.size(); i++) e.Put(entries_[i]);
  encoded_ = e.Finish();
}

// SOLUTION END
int RaftLog::FirstIndexOfTermRun(int index) const {
  // SOLUTION BEGIN
  int term = term_at(index);
  int first = index;
  while (first - 1 > base_index_ && term_at(first - 1) == term) first--;
  return first;
  // SOLUTION END
  //@ (void)index;
  //@ return 0;  // Your code here (2C).
}

int RaftLog::LastIndexOfTerm(int term) const {
  // SOLUTION BEGIN
  // Terms are non-decreasing, so scan back only while they are >= term.
  for (int i = last_index(); i >= base_index_; i--) {
    int t = term_at(i);
    if (t == term) return i;
    if (t < term) break;
  }
  return -1;
  // SOLUTION END
  //@ (void)term;
  //@ return -1;  // Your code here (2C).
}

int RaftLog::size() const {
  // SOLUTION BEGIN
  return static_cast<int>(entries_.size()) - 1;
  // SOLUTION END
  //@ return 0;  // Your code here (2B).
}

void RaftLog::Validate() const {
  // SOLUTION BEGIN
  if (entries_.empty()) throw std::runtime_error("log has no dummy entry");
  if (base_index_ < 0) {
    throw std::runtime_error("negative snapshot index " +
                             std::to_string(base_index_));
  }
  for (size_t i = 0; i < entries_.size(); i++) {
    if (entries_[i].term < 0 ||
        (i > 0 && entries_[i].term < entries_[i - 1].term)) {
      throw std::runtime_error(
          "bad term " + std::to_string(entries_[i].term) + " at index " +
          std::to_string(base_index_ + static_cast<int>(i)));
    }
  }
  // SOLUTION END
  //@ // Your code here (2C).
}

}  // namespace raft
