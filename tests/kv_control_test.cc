// SOLUTION FILE (left out of the handout): the kit's negative control of
// its own linearizability check; it says nothing about a student's server.
// The negative control of the kvraft linearizability check: servers that
// answer Get from local state, without the Raft log, whenever they believe
// they lead (the classic stale-read bug of a deposed leader), run through
// the partitioned, linearizable test shape of 3A; the checker must find
// the history not linearizable. This proves the whole path (history
// recording, timestamps, model, checker) can fail, so that a pass of the
// graded tests means something.
//
// Not a graded test (its suite name matches neither 3A nor 3B). It always
// runs under the sim backend with fixed seeds, whatever LAB_RUNTIME says, so
// it is deterministic under both ctest labels.
#include <gtest/gtest.h>

#include <cstdint>

#include "labrpc/runtime.h"
#include "tests/kv_config.h"
#include "tests/kv_test_helpers.h"

namespace raftlab_test {
namespace {

void RunStaleReadControl(uint64_t seed) {
  labrpc::WorldOptions world;
  world.backend = labrpc::Backend::kSim;
  world.seed = seed;
  GenericTest(world, {.part = "stale-read control",
                      .clients = 15,
                      .servers = 7,
                      .unreliable = true,
                      .crash = true,
                      .partitions = true,
                      .randomkeys = true,
                      .stale_reads = true});
}

TEST(KVLinearizabilityControl, StaleGetCaughtSeed1) { RunStaleReadControl(1); }
TEST(KVLinearizabilityControl, StaleGetCaughtSeed2) { RunStaleReadControl(2); }
TEST(KVLinearizabilityControl, StaleGetCaughtSeed3) { RunStaleReadControl(3); }

}  // namespace
}  // namespace raftlab_test
