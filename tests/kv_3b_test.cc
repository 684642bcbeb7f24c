// Graded kvraft tests, stage 3B: the KV service with snapshots (Go's
// src/kvraft/test_test.go, 3B part, in file order).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "labrpc/runtime.h"
#include "labrpc/trace.h"
#include "tests/kv_config.h"
#include "tests/kv_test_helpers.h"
#include "tests/test_world.h"

namespace raftlab_test {
namespace {

using namespace std::chrono_literals;

void CheckLogTrimmed(const KvConfigPtr& cfg, int maxraftstate) {
  const size_t sz = cfg->LogSize();
  if (sz > 8 * static_cast<size_t>(maxraftstate)) {
    Fatal(labrpc::Sprintf("logs were not trimmed (%zu > 8*%d)", sz,
                          maxraftstate));
  }
  cfg->CheckSnapshotted();
}

// Check that snapshots work with a lagging server: a minority that misses
// many operations must catch up through InstallSnapshot.
TEST(KV3B, SnapshotRPC) {
  const int nservers = 3;
  const int maxraftstate = 1000;
  RunKvTest({.servers = nservers, .maxraftstate = maxraftstate},
            [&](const KvConfigPtr& cfg) {
              KvClerkPtr ck = cfg->MakeClient(cfg->All());

              cfg->Begin("Test: InstallSnapshot RPC (3B)");

              Put(cfg, ck, "a", "A", nullptr, -1);
              Check(cfg, ck, "a", "A");

              // A bunch of puts into the majority partition.
              cfg->Partition({0, 1}, {2});
              {
                KvClerkPtr ck1 = cfg->MakeClient({0, 1});
                for (int i = 0; i < 50; i++) {
                  Put(cfg, ck1, std::to_string(i), std::to_string(i), nullptr,
                      -1);
                }
                labrpc::Sleep(kKvElectionTimeout);
                Put(cfg, ck1, "b", "B", nullptr, -1);
              }

              // Check that the majority partition has thrown away most of its
              // log entries.
              CheckLogTrimmed(cfg, maxraftstate);

              // Now make a group that requires participation of the lagging
              // server, so that it has to catch up.
              cfg->Partition({0, 2}, {1});
              {
                KvClerkPtr ck1 = cfg->MakeClient({0, 2});
                Put(cfg, ck1, "c", "C", nullptr, -1);
                Put(cfg, ck1, "d", "D", nullptr, -1);
                Check(cfg, ck1, "a", "A");
                Check(cfg, ck1, "b", "B");
                Check(cfg, ck1, "1", "1");
                Check(cfg, ck1, "49", "49");
              }

              // Now everybody.
              cfg->Partition({0, 1, 2}, {});

              Put(cfg, ck, "e", "E", nullptr, -1);
              Check(cfg, ck, "c", "C");
              Check(cfg, ck, "e", "E");
              Check(cfg, ck, "1", "1");

              cfg->End();
            });
}

// Are the snapshots not too huge? 500 bytes is a generous bound for the
// operations this test does.
TEST(KV3B, SnapshotSize) {
  const int nservers = 3;
  const int maxraftstate = 1000;
  const size_t maxsnapshotstate = 500;
  RunKvTest({.servers = nservers, .maxraftstate = maxraftstate},
            [&](const KvConfigPtr& cfg) {
              KvClerkPtr ck = cfg->MakeClient(cfg->All());

              cfg->Begin("Test: snapshot size is reasonable (3B)");

              for (int i = 0; i < 200; i++) {
                Put(cfg, ck, "x", "0", nullptr, -1);
                Check(cfg, ck, "x", "0");
                Put(cfg, ck, "x", "1", nullptr, -1);
                Check(cfg, ck, "x", "1");
              }

              // Check that the servers have thrown away most of their log
              // entries.
              CheckLogTrimmed(cfg, maxraftstate);

              // Check that the snapshots are not unreasonably large.
              const size_t ssz = cfg->SnapshotSize();
              if (ssz > maxsnapshotstate) {
                Fatal(labrpc::Sprintf("snapshot too large (%zu > %zu)", ssz,
                                      maxsnapshotstate));
              }

              cfg->End();
            });
}

TEST(KV3B, Speed) {
  // Test: ops complete fast enough (3B) ...
  GenericTestSpeed({.part = "3B", .maxraftstate = 1000});
}

TEST(KV3B, SnapshotRecover) {
  // Test: restarts, snapshots, one client (3B) ...
  GenericTest(
      {.part = "3B", .clients = 1, .crash = true, .maxraftstate = 1000});
}

TEST(KV3B, SnapshotRecoverManyClients) {
  // Test: restarts, snapshots, many clients (3B) ...
  GenericTest(
      {.part = "3B", .clients = 20, .crash = true, .maxraftstate = 1000});
}

TEST(KV3B, SnapshotUnreliable) {
  // Test: unreliable net, snapshots, many clients (3B) ...
  GenericTest(
      {.part = "3B", .clients = 5, .unreliable = true, .maxraftstate = 1000});
}

TEST(KV3B, SnapshotUnreliableRecover) {
  // Test: unreliable net, restarts, snapshots, many clients (3B) ...
  GenericTest({.part = "3B",
               .clients = 5,
               .unreliable = true,
               .crash = true,
               .maxraftstate = 1000});
}

TEST(KV3B, SnapshotUnreliableRecoverConcurrentPartition) {
  // Test: unreliable net, restarts, partitions, snapshots, many clients
  // (3B) ...
  GenericTest({.part = "3B",
               .clients = 5,
               .unreliable = true,
               .crash = true,
               .partitions = true,
               .maxraftstate = 1000});
}

TEST(KV3B, SnapshotUnreliableRecoverConcurrentPartitionLinearizable) {
  // Test: unreliable net, restarts, partitions, snapshots, random keys, many
  // clients (3B) ...
  GenericTest({.part = "3B",
               .clients = 15,
               .servers = 7,
               .unreliable = true,
               .crash = true,
               .partitions = true,
               .maxraftstate = 1000,
               .randomkeys = true});
}

}  // namespace
}  // namespace raftlab_test
