// The shard controller's test harness (Go's src/shardctrler/config.go and
// the checks of its test_test.go); see shardctrler_config.h.
#include "tests/shardctrler_config.h"

#include <algorithm>
#include <cstdio>

#include "labrpc/trace.h"
#include "tests/harness_cluster.h"
#include "tests/test_world.h"

namespace raftlab_test {

// ---------------------------------------------------------------------------
// Setup.

ShardCtrlerConfig::ShardCtrlerConfig(const ShardCtrlerTestOptions& options)
    : ServiceCluster(options.servers, "ctrler_config") {}

ShardCtrlerConfigPtr ShardCtrlerConfig::Make(
    const ShardCtrlerTestOptions& options) {
  LAB_TRACE("test", -1, "ctrler make_config n=%d unreliable=%d",
            options.servers, static_cast<int>(options.unreliable));
  ShardCtrlerConfigPtr cfg(new ShardCtrlerConfig(options));
  for (int i = 0; i < cfg->n(); i++) cfg->StartServer(i);
  cfg->ConnectAll();
  cfg->net_->Reliable(!options.unreliable);
  return cfg;
}

void RunShardCtrlerTest(
    const ShardCtrlerTestOptions& options,
    const std::function<void(const ShardCtrlerConfigPtr&)>& body) {
  RunWithHarness(
      labrpc::WorldOptions::FromEnv(),
      [&] { return ShardCtrlerConfig::Make(options); }, body);
}

StartedReplica ShardCtrlerConfig::StartReplica(const std::vector<EndPtr>& ends,
                                               int i,
                                               const PersisterPtr& persister) {
  return Replicate(shardctrler::StartServer(ends, i, persister));
}

std::vector<std::shared_ptr<labrpc::ClientEnd>> ShardCtrlerConfig::MakeEnds() {
  labrpc::MutexLock l(mu_);
  return servers_.EndsToAll(/*enable=*/true);
}

// ---------------------------------------------------------------------------
// Progress lines and checks.

void ShardCtrlerConfig::End() {
  if (TestFailed()) return;
  std::printf("  ... Passed\n");
  std::fflush(stdout);
}

std::string FormatNames(const std::vector<std::string>& names) {
  std::string s = "[";
  for (size_t i = 0; i < names.size(); i++) {
    if (i > 0) s += " ";
    s += names[i];
  }
  return s + "]";
}

std::string FormatGroups(const std::map<int, std::vector<std::string>>& g) {
  std::string s = "map[";
  bool first = true;
  for (const auto& [gid, names] : g) {
    if (!first) s += " ";
    first = false;
    s += std::to_string(gid) + ":" + FormatNames(names);
  }
  return s + "]";
}

std::string FormatShards(const std::array<int, shardctrler::kNShards>& s) {
  std::string out = "[";
  for (int i = 0; i < shardctrler::kNShards; i++) {
    if (i > 0) out += " ";
    out += std::to_string(s[i]);
  }
  return out + "]";
}

void CheckGroups(const std::vector<int>& groups, const ShardCtrlerClerkPtr& ck,
                 Location where) {
  const shardctrler::Config c = ck->Query(-1);
  if (c.groups.size() != groups.size()) {
    Fatal(labrpc::Sprintf("wanted %zu groups, got %zu", groups.size(),
                          c.groups.size()),
          where);
  }
  // Are the groups as expected?
  for (int g : groups) {
    if (c.groups.count(g) == 0) {
      Fatal(labrpc::Sprintf("missing group %d", g), where);
    }
  }
  // Any un-allocated shards?
  if (!groups.empty()) {
    for (int s = 0; s < shardctrler::kNShards; s++) {
      if (c.groups.count(c.shards[s]) == 0) {
        Fatal(labrpc::Sprintf("shard %d -> invalid group %d", s, c.shards[s]),
              where);
      }
    }
  }
  // More or less balanced sharding?
  std::map<int, int> counts;
  for (int g : c.shards) counts[g]++;
  int min = 257;
  int max = 0;
  for (const auto& [g, names] : c.groups) {
    max = std::max(max, counts[g]);
    min = std::min(min, counts[g]);
  }
  if (max > min + 1) {
    Fatal(labrpc::Sprintf("max %d too much larger than min %d", max, min),
          where);
  }
}

void CheckSameConfig(const shardctrler::Config& c1,
                     const shardctrler::Config& c2, Location where) {
  if (c1.num != c2.num) Fatal("Num wrong", where);
  if (c1.shards != c2.shards) Fatal("Shards wrong", where);
  if (c1.groups.size() != c2.groups.size()) {
    Fatal("number of Groups is wrong", where);
  }
  for (const auto& [gid, sa] : c1.groups) {
    auto it = c2.groups.find(gid);
    if (it == c2.groups.end() || it->second.size() != sa.size()) {
      Fatal("len(Groups) wrong", where);
    }
    for (size_t j = 0; j < sa.size(); j++) {
      if (sa[j] != it->second[j]) Fatal("Groups wrong", where);
    }
  }
}

}  // namespace raftlab_test
