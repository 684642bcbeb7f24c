// The search's memo: every (set of linearized operations, model state) pair
// already explored. Reaching a pair again means the subtree below it was
// already searched (and failed), so the search skips it.
//
// Open-addressing hash tables over flat arrays: states are interned once
// (StatePool), and the memo's entries are a bitset plus a state id, with all
// bitsets in one vector, so the memo makes no per-entry allocation.
#ifndef RAFTLAB_LINEARIZABILITY_STATE_CACHE_H_
#define RAFTLAB_LINEARIZABILITY_STATE_CACHE_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

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
// instead of copies of (possibly long) states.
template <class State>
class StatePool {
 public:
  StatePool() : table_(1024, 0) {}

  // The id of `state` (whose hash is `hash`), adding it if it is new.
  uint32_t Intern(State&& state, uint64_t hash) {
    size_t mask = table_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      uint32_t slot = table_[i];
      if (slot == 0) {
        uint32_t id = static_cast<uint32_t>(states_.size());
        table_[i] = id + 1;
        states_.push_back(std::move(state));
        hashes_.push_back(hash);
        if (2 * states_.size() > table_.size()) Grow();
        return id;
      }
      if (hashes_[slot - 1] == hash && states_[slot - 1] == state) {
        return slot - 1;
      }
    }
  }

  const State& Get(uint32_t id) const { return states_[id]; }
  size_t size() const { return states_.size(); }

 private:
  void Grow() {
    std::vector<uint32_t> table(table_.size() * 2, 0);
    size_t mask = table.size() - 1;
    for (size_t e = 0; e < states_.size(); e++) {
      size_t i = hashes_[e] & mask;
      while (table[i] != 0) i = (i + 1) & mask;
      table[i] = static_cast<uint32_t>(e + 1);
    }
    table_.swap(table);
  }

  std::vector<uint32_t> table_;  // id + 1, or 0 for an empty slot
  std::vector<State> states_;
  std::vector<uint64_t> hashes_;
};

// The memo: a set of (linearized set, state id) pairs.
class StateCache {
 public:
  explicit StateCache(size_t words) : words_(words), table_(1024, 0) {}

  // Adds (bits, state) unless it is already present; true if it was added.
  // `set_hash` must be a hash of bits alone (equal sets, equal hashes).
  bool Insert(const Bitset& bits, uint64_t set_hash, uint32_t state) {
    const uint64_t hash = set_hash ^ Mix64(state);
    size_t mask = table_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      uint32_t slot = table_[i];
      if (slot == 0) {
        table_[i] = static_cast<uint32_t>(states_.size() + 1);
        hashes_.push_back(hash);
        states_.push_back(state);
        bits_.insert(bits_.end(), bits.data(), bits.data() + words_);
        if (2 * states_.size() > table_.size()) Grow();
        return true;
      }
      size_t e = slot - 1;
      if (hashes_[e] == hash && states_[e] == state &&
          std::memcmp(&bits_[e * words_], bits.data(),
                      words_ * sizeof(uint64_t)) == 0) {
        return false;
      }
    }
  }

  size_t size() const { return states_.size(); }

 private:
  void Grow() {
    std::vector<uint32_t> table(table_.size() * 2, 0);
    size_t mask = table.size() - 1;
    for (size_t e = 0; e < hashes_.size(); e++) {
      size_t i = hashes_[e] & mask;
      while (table[i] != 0) i = (i + 1) & mask;
      table[i] = static_cast<uint32_t>(e + 1);
    }
    table_.swap(table);
  }

  size_t words_;
  std::vector<uint32_t> table_;  // entry index + 1, or 0 for an empty slot
  std::vector<uint64_t> hashes_;
  std::vector<uint32_t> states_;
  std::vector<uint64_t> bits_;  // entry e's bitset at [e * words_, ...)
};

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_STATE_CACHE_H_
