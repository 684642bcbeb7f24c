// The main() of every test binary: GoogleTest plus a listener that prints
// the exact command replaying a failed test (backend, seed, filter).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "labrpc/trace.h"
#include "tests/test_world.h"
#include "tests/timeline_hook.h"

namespace raftlab_test {
namespace {

labrpc::WorldOptions last_options;
bool have_last_options = false;
std::string program;

// Prints the command that replays `info` in the last world's options.
void PrintReplay(const ::testing::TestInfo& info) {
  const labrpc::WorldOptions& o = last_options;
  // Under sim, what else fixes the execution: the schedule version (so a
  // replay under a later build warns that it cannot reproduce this run)
  // and a latency other than the default.
  std::string sim;
  if (o.backend == labrpc::Backend::kSim) {
    sim =
        " LAB_SCHEDULE_VERSION=" + std::to_string(labrpc::kSimScheduleVersion);
    if (o.sim_latency != labrpc::WorldOptions{}.sim_latency) {
      sim +=
          " LAB_SIM_LATENCY=" +
          std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                             o.sim_latency)
                             .count());
    }
  }
  std::printf(
      "replay: LAB_RUNTIME=%s LAB_SEED=%llu%s%s %s --gtest_filter=%s.%s\n",
      labrpc::BackendName(o.backend), static_cast<unsigned long long>(o.seed),
      o.fuzz_schedule ? " LAB_FUZZ=1" : "", sim.c_str(), program.c_str(),
      info.test_suite_name(), info.name());
  if (o.backend == labrpc::Backend::kReal) {
    std::printf(
        "  (real runs are not deterministic; the seed only fixes "
        "the random draws)\n");
  }
  std::fflush(stdout);
}

class ReplayPrinter : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (info.result()->Failed() && have_last_options) PrintReplay(info);
  }
};

// A per-test wall-time limit under real, past the harnesses' 120 s: a test
// that deadlocks in lab code never gets back to the harness's own check.
// LAB_WALL_LIMIT_S changes it (0: none), e.g. for slow sanitizer builds.
labrpc::Duration RealWallLimit() {
  const char* env = std::getenv("LAB_WALL_LIMIT_S");
  if (env == nullptr || *env == '\0') return std::chrono::seconds(150);
  char* end = nullptr;
  const long long s = std::strtoll(env, &end, 10);
  if (*end != '\0' || s < 0) {
    throw labrpc::MisuseError(std::string("LAB_WALL_LIMIT_S='") + env +
                              "' is not a non-negative number of seconds");
  }
  return std::chrono::seconds(s);
}

// The world is stuck for good (a deadlock under real, a task blocked
// outside the runtime under sim): report the current test as failed, with
// the runtime's report and the replay line, and end the process. Nothing
// can unwind the stuck tasks, so this is the only clean end there is.
[[noreturn]] void FailStuckTest(const std::string& report) {
  const ::testing::TestInfo* info =
      ::testing::UnitTest::GetInstance()->current_test_info();
  std::fflush(stdout);
  std::printf("tests/test_main.cc: Failure\ntest stuck: %s\n", report.c_str());
  if (info != nullptr) {
    std::printf("[  FAILED  ] %s.%s (stuck; the process ends here)\n",
                info->test_suite_name(), info->name());
    PrintReplay(*info);
    WriteTimelineNow(*info);
  }
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(1);
}

}  // namespace

namespace {

// The prefix the build puts before every source file of the repository
// ("../" from build/, or an absolute path): this file's own path as the
// compiler saw it, less its place in the repository.
std::string_view RepoPrefix() {
  constexpr std::string_view self = __FILE__;
  constexpr std::string_view tail = "tests/test_main.cc";
  return self.ends_with(tail) ? self.substr(0, self.size() - tail.size())
                              : std::string_view();
}

// A message on one trace line (trace lines are one event each).
std::string OneLine(std::string s) {
  for (size_t i = 0; (i = s.find('\n', i)) != std::string::npos; i += 2) {
    s.replace(i, 1, "\\n");
  }
  return s;
}

}  // namespace

std::string FreshHtmlPath(const std::string& dir, const std::string& stem) {
  const std::string path = dir + "/" + stem + "-XXXXXX.html";
  std::vector<char> buf(path.begin(), path.end());
  buf.push_back('\0');
  const int fd = mkstemps(buf.data(), 5);
  if (fd < 0) return "";
  close(fd);
  return std::string(buf.data());
}

std::string RepoPath(const char* file) {
  std::string_view f = file, prefix = RepoPrefix();
  if (!prefix.empty() && f.starts_with(prefix)) f.remove_prefix(prefix.size());
  return std::string(f);
}

void Fatal(const std::string& message, Location where) {
  // Traced here, in the failing task at the world's time: the world stops
  // afterwards, and without this line the trace of a failed run just ends.
  LAB_TRACE("test", -1, "FAIL %s:%u: %s", RepoPath(where.file_name()).c_str(),
            static_cast<unsigned>(where.line()), OneLine(message).c_str());
  throw FatalFailure{message, where};
}

void RunInWorld(const std::function<void()>& body) {
  RunInWorld(labrpc::WorldOptions::FromEnv(), body);
}

void RunInWorld(const labrpc::WorldOptions& given,
                const std::function<void()>& body) {
  labrpc::WorldOptions options = given;
  if (!options.on_stuck) options.on_stuck = FailStuckTest;
  if (options.backend == labrpc::Backend::kReal &&
      options.real_wall_limit == labrpc::Duration::zero()) {
    options.real_wall_limit = RealWallLimit();
  }
  last_options = options;
  have_last_options = true;
  labrpc::World world(options);
  // Failures that did not come through Fatal (which traced them) get their
  // trace line once the world has stopped, at the time the root task saw it
  // stop (the failure's time under sim: cancelling takes no virtual time).
  labrpc::Duration stopped{};
  auto trace_failure = [&stopped](const std::string& message) {
    if (labrpc::TraceAnyEnabled() && labrpc::TraceEnabled("test")) {
      labrpc::TraceLineAt(stopped, "test", -1, "FAIL " + OneLine(message));
    }
  };
  try {
    world.Run([&] {
      try {
        body();
      } catch (...) {
        stopped = labrpc::Now();
        throw;
      }
      stopped = labrpc::Now();
    });
  } catch (const FatalFailure& f) {
    if (f.where.line() == 0) {
      ADD_FAILURE() << f.message;
    } else {
      const std::string file = RepoPath(f.where.file_name());
      ADD_FAILURE_AT(file.c_str(), static_cast<int>(f.where.line()))
          << f.message;
    }
  } catch (const std::exception& e) {
    trace_failure(std::string("task failed: ") + e.what());
    ADD_FAILURE() << "task failed: " << e.what();
  } catch (const labrpc::Cancelled&) {
    trace_failure("labrpc::Cancelled escaped the world");
    ADD_FAILURE() << "labrpc::Cancelled escaped the world";
  }
}

const labrpc::WorldOptions& LastWorldOptions() { return last_options; }

}  // namespace raftlab_test

int main(int argc, char** argv) {
  raftlab_test::program = argv[0];
  ::testing::InitGoogleTest(&argc, argv);
  // GoogleTest calls OnTestEnd in reverse order of appending: the timeline's
  // path comes after the replay line.
  raftlab_test::InstallTimelineHook();
  ::testing::UnitTest::GetInstance()->listeners().Append(
      new raftlab_test::ReplayPrinter);
  return RUN_ALL_TESTS();
}
