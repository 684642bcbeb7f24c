// A byte budget for the search's own data structures (the memo, the state
// pool, the partial linearizations), shared by all partitions of one check.
// A search that would go over it stops with kUnknown instead of growing
// until the allocator throws std::bad_alloc.
//
// Structures reserve bytes before they allocate and release them after they
// free, so a growing array counts its old and new copy at the moment both
// exist: the count is the peak, not the steady state.
#ifndef RAFTLAB_LINEARIZABILITY_MEMORY_BUDGET_H_
#define RAFTLAB_LINEARIZABILITY_MEMORY_BUDGET_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace linearizability {

class MemoryBudget {
 public:
  static constexpr size_t kUnlimited = SIZE_MAX;

  // limit 0 means no limit.
  explicit MemoryBudget(size_t limit = kUnlimited)
      : limit_(limit == 0 ? kUnlimited : limit) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // Counts `bytes` unless that would exceed the limit; false if it would.
  bool TryReserve(size_t bytes) {
    if (used_ > limit_ || bytes > limit_ - used_) return false;
    Reserve(bytes);
    return true;
  }
  // Counts `bytes` even past the limit (a search's fixed per-operation
  // arrays, which it cannot do without); the next TryReserve then fails.
  void Reserve(size_t bytes) {
    used_ = bytes > SIZE_MAX - used_ ? SIZE_MAX : used_ + bytes;
    peak_ = std::max(peak_, used_);
  }
  void Release(size_t bytes) { used_ -= std::min(bytes, used_); }

  size_t used() const { return used_; }
  size_t peak() const { return peak_; }
  size_t limit() const { return limit_; }

 private:
  size_t limit_;
  size_t used_ = 0;
  size_t peak_ = 0;
};

// Makes room in `v` for `extra` more elements, doubling its capacity as
// push_back would but reserving the new array's bytes first. False (and `v`
// unchanged) if the budget does not allow it.
template <class T>
bool GrowWithin(std::vector<T>& v, size_t extra, MemoryBudget& budget) {
  if (v.size() + extra <= v.capacity()) return true;
  const size_t old_bytes = v.capacity() * sizeof(T);
  const size_t cap = std::max({v.size() + extra, 2 * v.capacity(), size_t{8}});
  if (!budget.TryReserve(cap * sizeof(T))) return false;
  v.reserve(cap);
  budget.Release(old_bytes);
  return true;
}

// The default limit: a quarter of physical memory (sysconf), so that a hard
// search ends cleanly well before the machine starts to swap; kUnlimited if
// the amount of memory cannot be read.
size_t DefaultMemoryLimit();

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_MEMORY_BUDGET_H_
