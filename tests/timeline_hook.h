// LAB_TIMELINE: a failing test writes the timeline page of its run.
//
//   LAB_TIMELINE=1 LAB_SEED=3 build/tests/raft_test --gtest_filter=Raft2A.*
//   ...
//   replay: LAB_RUNTIME=sim LAB_SEED=3 ... --gtest_filter=Raft2A.ReElection
//   info: wrote timeline to /tmp/Raft2A.ReElection-sim-s3-Ab12Cd.html
//
// With LAB_TIMELINE=1 every topic is traced into memory (the lines of the
// topics LAB_DEBUG asks for still go where LAB_DEBUG_FILE says, or to
// stderr). When a test fails, its trace is written to
// <dir>/<Suite>.<Test>-<runtime>-s<seed>-XXXXXX.trace and
// scripts/timeline.py turns it into the .html beside it; <dir> is
// LAB_TIMELINE_DIR, else $TMPDIR, else /tmp. LAB_TIMELINE=all writes the
// page of a passing test too.
//
// Tracing takes no scheduling point and no random draw, so a sim seed runs
// the same schedule with LAB_TIMELINE on as off: the replay line of a
// failure seen without it reproduces that failure with it.
#ifndef RAFTLAB_TESTS_TIMELINE_HOOK_H_
#define RAFTLAB_TESTS_TIMELINE_HOOK_H_

#include <gtest/gtest.h>

namespace raftlab_test {

// Reads LAB_TIMELINE; if it is set, turns tracing on and appends the
// listener that writes the page. Call once, after InitGoogleTest and before
// appending the listener that prints the replay line: GoogleTest ends a
// test's listeners last to first, so the page's path follows that line.
void InstallTimelineHook();

// For a test that can no longer end normally (a stuck world): writes its
// page now, if LAB_TIMELINE is on.
void WriteTimelineNow(const ::testing::TestInfo& info);

}  // namespace raftlab_test

#endif  // RAFTLAB_TESTS_TIMELINE_HOOK_H_
