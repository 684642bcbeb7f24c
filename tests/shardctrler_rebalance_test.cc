// The shard controller's rebalancing rule (shardctrler/rebalance.h),
// table-driven, plus a randomized property test: every result is valid,
// balanced and moves the fewest shards possible. A kit test (suite
// `Rebalance`), not graded.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "labrpc/runtime.h"
#include "shardctrler/rebalance.h"
#include "tests/test_world.h"

namespace raftlab_test {
namespace {

using shardctrler::CountMoves;
using shardctrler::kNShards;
using shardctrler::Rebalance;
using Shards = std::array<int, kNShards>;

std::string Str(const Shards& s) {
  std::string out = "[";
  for (int i = 0; i < kNShards; i++) {
    if (i > 0) out += " ";
    out += std::to_string(s[i]);
  }
  return out + "]";
}

// The fewest shards any valid, balanced assignment over `gids` must move
// away from `shards`, by brute force: try every choice of which groups get
// the extra shard and keep as many shards in place as that choice allows.
int MinimalMoves(const Shards& shards, const std::vector<int>& gids) {
  const int n = static_cast<int>(gids.size());
  if (n == 0) {
    int moves = 0;
    for (int g : shards) moves += g != 0 ? 1 : 0;
    return moves;
  }
  std::vector<int> load(n, 0);
  for (int g : shards) {
    auto it = std::find(gids.begin(), gids.end(), g);
    if (it != gids.end()) load[it - gids.begin()]++;
  }
  const int base = kNShards / n;
  const int extra = kNShards % n;
  // choose[i]: group i gets base+1; every permutation of the 0/1 pattern.
  std::vector<int> choose(n, 0);
  std::fill(choose.end() - extra, choose.end(), 1);
  int best = kNShards;
  do {
    int kept = 0;
    for (int i = 0; i < n; i++) kept += std::min(load[i], base + choose[i]);
    best = std::min(best, kNShards - kept);
  } while (std::next_permutation(choose.begin(), choose.end()));
  return best;
}

// Fails (with `what` as context) unless `out` is a valid, balanced and
// minimal rebalancing of `in` over `gids`.
void ExpectGoodRebalance(const Shards& in, const std::vector<int>& gids,
                         const Shards& out, const std::string& what) {
  SCOPED_TRACE(what + ": " + Str(in) + " -> " + Str(out));
  const std::set<int> valid(gids.begin(), gids.end());
  std::map<int, int> count;
  for (int g : out) {
    if (gids.empty()) {
      EXPECT_EQ(g, 0) << "with no groups every shard is on gid 0";
    } else {
      EXPECT_TRUE(valid.count(g)) << "shard on gid " << g << ", not a group";
    }
    count[g]++;
  }
  if (!gids.empty()) {
    int min = kNShards;
    int max = 0;
    for (int g : gids) {
      min = std::min(min, count[g]);
      max = std::max(max, count[g]);
    }
    EXPECT_LE(max - min, 1) << "unbalanced";
    if (static_cast<int>(gids.size()) >= kNShards) {
      EXPECT_LE(max, 1) << "more groups than shards: at most one each";
    }
  }
  EXPECT_EQ(CountMoves(in, out), MinimalMoves(in, gids))
      << "not the fewest moves";
  EXPECT_EQ(Rebalance(in, gids), out) << "not deterministic";
}

struct Case {
  std::string name;
  Shards in;
  std::vector<int> gids;
  Shards want;
};

TEST(Rebalance, Table) {
  const std::vector<Case> cases = {
      {"join into empty", {}, {1}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
      {"join of a 2nd group",
       {1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
       {1, 2},
       {1, 1, 1, 1, 1, 2, 2, 2, 2, 2}},
      // gid 1 and 2 tie at 5: the extra shard stays with the smaller gid.
      {"join of a 3rd group",
       {1, 1, 1, 1, 1, 2, 2, 2, 2, 2},
       {1, 2, 3},
       {1, 1, 1, 1, 3, 2, 2, 2, 3, 3}},
      {"leave",
       {1, 1, 1, 1, 3, 2, 2, 2, 3, 3},
       {2, 3},
       {2, 2, 3, 3, 3, 2, 2, 2, 3, 3}},
      {"multi-join into empty", {}, {1, 2, 3}, {1, 1, 1, 1, 2, 2, 2, 3, 3, 3}},
      {"multi-join next to a group",
       {7, 7, 7, 7, 7, 7, 7, 7, 7, 7},
       {3, 7, 9},
       {7, 7, 7, 7, 3, 3, 3, 9, 9, 9}},
      {"multi-leave",
       {1, 1, 2, 2, 3, 3, 4, 4, 5, 5},
       {1, 3, 5},
       {1, 1, 1, 1, 3, 3, 3, 5, 5, 5}},
      {"join past one shard each",
       {1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
       {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
       {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
      // The idle group with the smaller gid takes the orphan.
      {"leave with more groups than shards",
       {1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
       {1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12},
       {1, 2, 11, 4, 5, 6, 7, 8, 9, 10}},
      {"everything leaves", {1, 1, 1, 1, 2, 2, 2, 3, 3, 3}, {}, {}},
      // After Moves piled shards on one group, the next rebalance evens
      // them out.
      {"imbalance after moves",
       {1, 1, 1, 1, 1, 1, 1, 1, 1, 2},
       {1, 2},
       {1, 1, 1, 1, 1, 2, 2, 2, 2, 2}},
      {"balanced stays put",
       {503, 504, 503, 504, 503, 504, 503, 504, 503, 504},
       {503, 504},
       {503, 504, 503, 504, 503, 504, 503, 504, 503, 504}},
  };
  for (const Case& c : cases) {
    const Shards got = Rebalance(c.in, c.gids);
    EXPECT_EQ(got, c.want) << c.name << ": got " << Str(got) << ", want "
                           << Str(c.want);
    ExpectGoodRebalance(c.in, c.gids, got, c.name);
  }
}

// Random sequences of joins, leaves and moves on a simulated controller
// state; after every join or leave the result must be valid, balanced and
// minimal, and a join after a rebalance must not move shards between two old
// groups. Draws come from the runtime's seeded source (LAB_SEED).
TEST(Rebalance, RandomSequencesAreBalancedAndMinimal) {
  RunInWorld([] {
    constexpr int kSequences = 300;
    constexpr int kSteps = 30;
    constexpr int kMaxGroups = 14;
    for (int seq = 0; seq < kSequences && !::testing::Test::HasFailure();
         seq++) {
      Shards shards{};
      std::set<int> groups;
      bool balanced = true;  // no Move since the last rebalance
      for (int step = 0; step < kSteps; step++) {
        const int what = static_cast<int>(labrpc::RandInt(10));
        const std::string where =
            "sequence " + std::to_string(seq) + " step " + std::to_string(step);
        if (what < 5) {
          // Join of 1..3 new gids (a gid may come back after leaving).
          std::set<int> joined;
          const int k = 1 + static_cast<int>(labrpc::RandInt(3));
          for (int i = 0; i < k; i++) {
            const int g = 1 + static_cast<int>(labrpc::RandInt(20));
            if (groups.count(g) == 0 &&
                groups.size() + joined.size() < kMaxGroups) {
              joined.insert(g);
            }
          }
          std::set<int> after = groups;
          after.insert(joined.begin(), joined.end());
          const std::vector<int> gids(after.begin(), after.end());
          const Shards out = Rebalance(shards, gids);
          ExpectGoodRebalance(shards, gids, out, where + " join");
          if (balanced && !groups.empty()) {
            for (int s = 0; s < kNShards; s++) {
              EXPECT_TRUE(out[s] == shards[s] || joined.count(out[s]))
                  << where << ": join moved shard " << s << " from old gid "
                  << shards[s] << " to old gid " << out[s];
            }
          }
          shards = out;
          groups = after;
          balanced = true;
        } else if (what < 9) {
          // Leave of a random subset (possibly all) of the groups.
          std::set<int> after;
          for (int g : groups) {
            if (labrpc::RandInt(3) != 0) after.insert(g);
          }
          const std::vector<int> gids(after.begin(), after.end());
          const Shards out = Rebalance(shards, gids);
          ExpectGoodRebalance(shards, gids, out, where + " leave");
          for (int s = 0; s < kNShards; s++) {
            if (balanced && after.count(shards[s])) {
              EXPECT_EQ(out[s], shards[s]) << where << ": leave moved shard "
                                           << s << " off a group that stayed";
            }
          }
          shards = out;
          groups = after;
          balanced = true;
        } else if (!groups.empty()) {
          // Move: any shard to any group, unbalancing the configuration.
          std::vector<int> gids(groups.begin(), groups.end());
          shards[labrpc::RandInt(kNShards)] =
              gids[labrpc::RandInt(static_cast<int64_t>(gids.size()))];
          balanced = false;
        }
      }
    }
  });
}

}  // namespace
}  // namespace raftlab_test
