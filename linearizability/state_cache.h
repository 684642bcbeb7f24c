// The search's memo: every (set of linearized operations, model state) pair
// already explored. Reaching a pair again means the subtree below it was
// already searched (and failed), so the search skips it.
//
// Open-addressing hash tables over flat arrays: states are interned once
// (StatePool), and the memo's entries are a bitset plus a state id, in
// chunks of many entries, so the memo makes no per-entry allocation.
#ifndef RAFTLAB_LINEARIZABILITY_STATE_CACHE_H_
#define RAFTLAB_LINEARIZABILITY_STATE_CACHE_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "linearizability/memory_budget.h"

namespace linearizability {

// The set of linearized operations of one partition.
class Bitset {
 public:
  explicit Bitset(size_t n) : words_((n + 63) / 64, 0) {}
  void Set(uint32_t i) { words_[i >> 6] |= uint64_t{1} << (i & 63); }
  void Clear(uint32_t i) { words_[i >> 6] &= ~(uint64_t{1} << (i & 63)); }
  bool Test(uint32_t i) const { return (words_[i >> 6] >> (i & 63)) & 1; }
  const uint64_t* data() const { return words_.data(); }
  size_t words() const { return words_.size(); }

 private:
  std::vector<uint64_t> words_;
};

// A well-mixed 64-bit hash of x (splitmix64's finalizer).
inline uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Every distinct model state the search has produced, each stored once and
// named by a dense id, so the memo and the search stack hold 4-byte ids
// instead of copies of (possibly long) states. Its arrays and the states'
// own heap bytes are counted in a MemoryBudget.
template <class State>
class StatePool {
 public:
  // Intern's answer when the budget has no room for a new state.
  static constexpr uint32_t kFull = UINT32_MAX;

  explicit StatePool(MemoryBudget& budget) : budget_(budget) {
    budget_.Reserve(kInitialSlots * sizeof(uint32_t));
    table_.assign(kInitialSlots, 0);
  }
  ~StatePool() {
    budget_.Release(table_.capacity() * sizeof(uint32_t) +
                    states_.capacity() * sizeof(State) +
                    hashes_.capacity() * sizeof(uint64_t) + heap_bytes_);
  }
  StatePool(const StatePool&) = delete;
  StatePool& operator=(const StatePool&) = delete;

  // The id of `state` (whose hash is `hash`), adding it if it is new, or
  // kFull if it is new and the budget cannot hold it. heap_bytes(state)
  // says how many bytes the state owns beyond sizeof(State).
  template <class HeapBytes>
  uint32_t Intern(State&& state, uint64_t hash, HeapBytes&& heap_bytes) {
    size_t i = Find(state, hash);
    if (table_[i] != 0) return table_[i] - 1;
    const size_t heap = heap_bytes(state);
    if (!GrowWithin(states_, 1, budget_)) return kFull;
    if (!GrowWithin(hashes_, 1, budget_)) return kFull;
    if (2 * (states_.size() + 1) > table_.size()) {
      if (!Grow()) return kFull;
      i = Find(state, hash);
    }
    if (!budget_.TryReserve(heap)) return kFull;
    heap_bytes_ += heap;
    const uint32_t id = static_cast<uint32_t>(states_.size());
    table_[i] = id + 1;
    states_.push_back(std::move(state));
    hashes_.push_back(hash);
    return id;
  }

  const State& Get(uint32_t id) const { return states_[id]; }
  size_t size() const { return states_.size(); }

 private:
  static constexpr size_t kInitialSlots = 1024;

  // The slot holding `state`, or the empty slot where it would go.
  size_t Find(const State& state, uint64_t hash) const {
    const size_t mask = table_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const uint32_t slot = table_[i];
      if (slot == 0 ||
          (hashes_[slot - 1] == hash && states_[slot - 1] == state)) {
        return i;
      }
    }
  }

  bool Grow() {
    const size_t old_bytes = table_.capacity() * sizeof(uint32_t);
    if (!budget_.TryReserve(2 * table_.size() * sizeof(uint32_t))) {
      return false;
    }
    std::vector<uint32_t> table(table_.size() * 2, 0);
    size_t mask = table.size() - 1;
    for (size_t e = 0; e < states_.size(); e++) {
      size_t i = hashes_[e] & mask;
      while (table[i] != 0) i = (i + 1) & mask;
      table[i] = static_cast<uint32_t>(e + 1);
    }
    table_.swap(table);
    budget_.Release(old_bytes);
    return true;
  }

  MemoryBudget& budget_;
  std::vector<uint32_t> table_;  // id + 1, or 0 for an empty slot
  std::vector<State> states_;
  std::vector<uint64_t> hashes_;
  size_t heap_bytes_ = 0;  // what the states own, as counted when added
};

// The memo: a set of (linearized set, state id) pairs, counted in a
// MemoryBudget.
//
// An entry is one record of 2 + words 64-bit words (hash, state id, the
// set's bits), kept in fixed-size chunks: the records never move, and the
// memo grows a chunk at a time instead of doubling one array, which for a
// big partition (a 25 KB set per entry at 200k operations) would need
// three times the memory at the moment of the copy.
class StateCache {
 public:
  enum class Insertion { kAdded, kPresent, kFull };

  StateCache(size_t words, MemoryBudget& budget)
      : words_(words),
        stride_(words + 2),
        chunk_shift_(ChunkShift(stride_)),
        budget_(budget) {
    budget_.Reserve(kInitialSlots * sizeof(uint32_t));
    table_.assign(kInitialSlots, 0);
  }
  ~StateCache() {
    budget_.Release(table_.capacity() * sizeof(uint32_t) +
                    chunks_.capacity() * sizeof(chunks_[0]) +
                    chunks_.size() * ChunkBytes());
  }
  StateCache(const StateCache&) = delete;
  StateCache& operator=(const StateCache&) = delete;

  // Adds (bits, state) unless it is already present (kPresent) or the
  // budget has no room for it (kFull). `set_hash` must be a hash of bits
  // alone (equal sets, equal hashes).
  Insertion Insert(const Bitset& bits, uint64_t set_hash, uint32_t state) {
    const uint64_t hash = set_hash ^ Mix64(state);
    size_t mask = table_.size() - 1;
    size_t i = hash & mask;
    for (;; i = (i + 1) & mask) {
      const uint32_t slot = table_[i];
      if (slot == 0) break;
      const uint64_t* r = Record(slot - 1);
      if (r[0] == hash && r[1] == state &&
          std::memcmp(r + 2, bits.data(), words_ * sizeof(uint64_t)) == 0) {
        return Insertion::kPresent;
      }
    }
    if (size_ == chunks_.size() << chunk_shift_ && !AddChunk()) {
      return Insertion::kFull;
    }
    if (2 * (size_ + 1) > table_.size()) {
      if (!Grow()) return Insertion::kFull;
      mask = table_.size() - 1;
      for (i = hash & mask; table_[i] != 0; i = (i + 1) & mask) {
      }
    }
    uint64_t* r = Record(size_);
    r[0] = hash;
    r[1] = state;
    std::memcpy(r + 2, bits.data(), words_ * sizeof(uint64_t));
    table_[i] = static_cast<uint32_t>(++size_);
    return Insertion::kAdded;
  }

  size_t size() const { return size_; }

 private:
  static constexpr size_t kInitialSlots = 1024;
  static constexpr size_t kChunkTarget = size_t{64} << 10;  // bytes

  // log2 of the records per chunk: as many as fit in about kChunkTarget
  // bytes, at least one.
  static int ChunkShift(size_t stride) {
    int shift = 0;
    while ((stride * sizeof(uint64_t)) << (shift + 1) <= kChunkTarget) shift++;
    return shift;
  }
  size_t ChunkBytes() const {
    return (stride_ * sizeof(uint64_t)) << chunk_shift_;
  }
  uint64_t* Record(size_t e) const {
    const size_t mask = (size_t{1} << chunk_shift_) - 1;
    return chunks_[e >> chunk_shift_].get() + (e & mask) * stride_;
  }

  bool AddChunk() {
    if (!GrowWithin(chunks_, 1, budget_)) return false;
    if (!budget_.TryReserve(ChunkBytes())) return false;
    chunks_.push_back(
        std::make_unique_for_overwrite<uint64_t[]>(stride_ << chunk_shift_));
    return true;
  }

  bool Grow() {
    const size_t old_bytes = table_.capacity() * sizeof(uint32_t);
    if (!budget_.TryReserve(2 * table_.size() * sizeof(uint32_t))) {
      return false;
    }
    std::vector<uint32_t> table(table_.size() * 2, 0);
    const size_t mask = table.size() - 1;
    for (size_t e = 0; e < size_; e++) {
      size_t i = Record(e)[0] & mask;
      while (table[i] != 0) i = (i + 1) & mask;
      table[i] = static_cast<uint32_t>(e + 1);
    }
    table_.swap(table);
    budget_.Release(old_bytes);
    return true;
  }

  const size_t words_;
  const size_t stride_;  // words per record
  const int chunk_shift_;
  MemoryBudget& budget_;
  std::vector<uint32_t> table_;  // entry index + 1, or 0 for an empty slot
  std::vector<std::unique_ptr<uint64_t[]>> chunks_;
  size_t size_ = 0;
};

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_STATE_CACHE_H_
