// SOLUTION FILE: the student handout leaves this file out.
//
// Ablations: switches that take one feature out of the reference solution,
// so that the kit can check that each stage's tests really need it (a
// negative control: scripts/ablations.py, run by CI). Set only by that
// script; a grade never sets them.
//
//   RAFTLAB_ABLATE=persistence,snapshots build/tests/raft_test ...
//
//   if (raft::Ablated("persistence")) return;  // in the reference code
//
// Every name must be one of kAblations: an unknown name in the variable, or
// a call with one, throws std::invalid_argument, so that a typo can never
// make a control pass by ablating nothing.
#ifndef RAFTLAB_RAFT_ABLATION_H_
#define RAFTLAB_RAFT_ABLATION_H_

#include <algorithm>
#include <array>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

namespace raft {

// What each switch takes out:
//   persistence          Raft saves nothing (2C); restarts start empty.
//   snapshots            Raft ignores Snapshot() and keeps its whole log,
//                        and its InstallSnapshot handler installs nothing
//                        (2D): a Raft with no snapshot code.
//   fast_backup          a rejected AppendEntries moves nextIndex back by
//                        one entry, ignoring the follower's hint (2C hint).
//   fixed_election_timeout  the election timeout has no random spread, so
//                        peers that start together time out together and
//                        split the vote again and again (2A; the timeline's
//                        picture of a split vote, tests/timeline_*).
//   duplicate_detection  the KV servers execute every applied request, even
//                        a retry that already executed (3A, 4B).
//   kv_snapshots         the KV server never snapshots (3B).
//   shard_migration      a shardkv group serves a shard it gains at once,
//                        without its data (4B).
//   shard_deletion       a shardkv group never deletes a shard it gave
//                        away (4B challenge 1).
inline constexpr std::array<std::string_view, 8> kAblations = {
    "persistence",    "snapshots",
    "fast_backup",    "duplicate_detection",
    "kv_snapshots",   "shard_migration",
    "shard_deletion", "fixed_election_timeout",
};

namespace internal {

inline bool IsAblation(std::string_view name) {
  return std::find(kAblations.begin(), kAblations.end(), name) !=
         kAblations.end();
}

// The names in RAFTLAB_ABLATE (comma-separated, empty entries ignored).
inline std::set<std::string, std::less<>> ReadAblations() {
  std::set<std::string, std::less<>> out;
  const char* env = std::getenv("RAFTLAB_ABLATE");
  std::string_view rest = env == nullptr ? "" : env;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    if (name.empty()) continue;
    if (!IsAblation(name)) {
      std::string known;
      for (std::string_view a : kAblations) known += " " + std::string(a);
      throw std::invalid_argument("RAFTLAB_ABLATE: unknown ablation '" +
                                  std::string(name) + "'; known:" + known);
    }
    out.emplace(name);
  }
  return out;
}

}  // namespace internal

// True if RAFTLAB_ABLATE names `feature`. The variable is read once per
// process.
inline bool Ablated(std::string_view feature) {
  static const std::set<std::string, std::less<>> ablated =
      internal::ReadAblations();
  if (!internal::IsAblation(feature)) {
    throw std::invalid_argument("raft::Ablated: unknown ablation '" +
                                std::string(feature) + "'");
  }
  return ablated.count(feature) > 0;
}

}  // namespace raft

#endif  // RAFTLAB_RAFT_ABLATION_H_
