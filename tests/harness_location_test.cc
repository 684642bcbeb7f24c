// The test glue's failure reports: a failure names the test's own line (the
// caller of Fatal or of a harness check, through a defaulted Location), and
// the trace of a failed test ends with a "test FAIL" line at the world's
// time. Suite HarnessLocation: not graded, holds for any Raft (the check
// that fails runs with every peer disconnected).
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "labrpc/runtime.h"
#include "labrpc/trace.h"
#include "tests/raft_config.h"
#include "tests/test_world.h"

namespace raftlab_test {
namespace {

using namespace std::chrono_literals;

constexpr char kThisFile[] = "tests/harness_location_test.cc";

// The failures `fn` records, kept from the test's own result.
std::vector<::testing::TestPartResult> FailuresOf(
    const std::function<void()>& fn) {
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::
            INTERCEPT_ONLY_CURRENT_THREAD,
        &results);
    fn();
  }
  std::vector<::testing::TestPartResult> out;
  for (int i = 0; i < results.size(); i++) {
    out.push_back(results.GetTestPartResult(i));
  }
  return out;
}

// The trace lines of topic "test" written while `fn` runs.
std::vector<std::string> TestTraceOf(const std::function<void()>& fn) {
  std::vector<std::string> lines;
  labrpc::SetTraceSink([&lines](const std::string& line) {
    if (line.find(" test ") != std::string::npos) lines.push_back(line);
  });
  labrpc::TraceConfigure("test");
  fn();
  labrpc::SetTraceSink(nullptr);
  labrpc::TraceConfigureFromEnv();
  return lines;
}

// Virtual time, whatever LAB_RUNTIME says: the checks below wait seconds.
labrpc::WorldOptions Sim() {
  labrpc::WorldOptions o = labrpc::WorldOptions::FromEnv();
  o.backend = labrpc::Backend::kSim;
  return o;
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(HarnessLocation, FatalNamesItsCaller) {
  int line = 0;
  auto failures = FailuresOf([&] {
    RunInWorld(Sim(), [&] {
      // clang-format off
      line = __LINE__; Fatal("stop here");
      // clang-format on
    });
  });
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_STREQ(failures[0].file_name(), kThisFile);
  EXPECT_EQ(failures[0].line_number(), line);
  EXPECT_TRUE(Contains(failures[0].message(), "stop here"))
      << failures[0].message();
}

TEST(HarnessLocation, CheckHelperNamesTheTestsLine) {
  int line = 0;
  auto failures = FailuresOf([&] {
    RunRaftTest(Sim(), {.servers = 3}, [&](const RaftConfigPtr& cfg) {
      for (int i = 0; i < cfg->n(); i++) cfg->Disconnect(i);
      // clang-format off
                  line = __LINE__; cfg->CheckOneLeader();
      // clang-format on
    });
  });
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_STREQ(failures[0].file_name(), kThisFile);
  EXPECT_EQ(failures[0].line_number(), line);
  EXPECT_TRUE(Contains(failures[0].message(), "expected one leader, got none"))
      << failures[0].message();
}

TEST(HarnessLocation, FailureIsTracedAtTheWorldsTime) {
  int line = 0;
  std::vector<std::string> trace;
  FailuresOf([&] {
    trace = TestTraceOf([&] {
      RunInWorld(Sim(), [&] {
        labrpc::Sleep(1500ms);
        // clang-format off
        line = __LINE__; Fatal("wanted:\nx\ngot:\ny");
        // clang-format on
      });
    });
  });
  ASSERT_FALSE(trace.empty());
  EXPECT_EQ(trace.back(),
            "001500.000 test     -- FAIL " + std::string(kThisFile) + ":" +
                std::to_string(line) + ": wanted:\\nx\\ngot:\\ny\n");
}

TEST(HarnessLocation, TaskExceptionIsTracedWhenTheWorldStops) {
  std::vector<std::string> trace;
  auto failures = FailuresOf([&] {
    trace = TestTraceOf([&] {
      RunInWorld(Sim(), [&] {
        labrpc::Go("worker", [] {
          labrpc::Sleep(2s);
          throw std::runtime_error("boom");
        });
        labrpc::Sleep(1h);
      });
    });
  });
  ASSERT_EQ(failures.size(), 1u);
  ASSERT_FALSE(trace.empty());
  EXPECT_EQ(trace.back(), "002000.000 test     -- FAIL task failed: boom\n");
}

}  // namespace
}  // namespace raftlab_test
