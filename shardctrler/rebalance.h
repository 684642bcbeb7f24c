// The shard controller's rebalancing rule, as pure functions: given where the
// shards are and which groups exist, where they should be. Every replica
// runs it on the same input when it applies a Join or a Leave, so it must be
// deterministic: no unordered iteration, ties broken by gid.
//
//   std::array<int, kNShards> shards = config.shards;
//   shards = Rebalance(shards, {1, 2, 3});   // gids sorted, no duplicates
#ifndef RAFTLAB_SHARDCTRLER_REBALANCE_H_
#define RAFTLAB_SHARDCTRLER_REBALANCE_H_

#include <array>
#include <vector>

#include "shardctrler/common.h"

namespace shardctrler {

// Assigns every shard to one of `gids` (sorted ascending, no duplicates, no
// 0), moving as few shards as possible:
//  - a shard on gid 0 or on a gid not in `gids` (a group that left) must
//    move; any other shard stays where it is unless its group holds more
//    than its share;
//  - the result is as even as possible: with n groups each holds
//    kNShards / n or one more (with more groups than shards, each holds at
//    most one); the groups that get one more are those that already hold
//    the most, ties to the smaller gid, which is what keeps moves minimal;
//  - a group that sheds shards keeps its lowest-numbered ones; the shards
//    that move go, lowest-numbered first, to the groups short of their
//    share, smallest gid first.
// With no groups every shard goes to gid 0.
std::array<int, kNShards> Rebalance(const std::array<int, kNShards>& shards,
                                    const std::vector<int>& gids);

// The gids of `groups` in ascending order (the input Rebalance expects).
std::vector<int> SortedGids(
    const std::map<int, std::vector<std::string>>& groups);

// How many shards differ between `a` and `b` (for tests and traces).
int CountMoves(const std::array<int, kNShards>& a,
               const std::array<int, kNShards>& b);

}  // namespace shardctrler

#endif  // RAFTLAB_SHARDCTRLER_REBALANCE_H_
