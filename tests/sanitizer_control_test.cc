// Negative controls for the sanitizer builds (make tsan, make asan): each
// scenario below has one bug that ThreadSanitizer or AddressSanitizer must
// report under the sim runtime, at every seed, naming the task; each has a
// fixed twin that must report nothing, and one more scenario uses every
// synchronisation the runtime offers and must report nothing either.
//
// A scenario runs in a child process (this binary again, with
// RAFTLAB_SANITIZER_SCENARIO set and the disabled test SanitizerChild.Run
// selected), since a sanitizer report ends or taints the process. The
// parent checks the child's output and exit status. In a build without the
// sanitizer a scenario needs, its test is skipped and says why: the bad
// code never runs unchecked.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "labrpc/channel.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"

extern char** environ;

namespace raftlab_test {
namespace {

using std::chrono::milliseconds;

#if defined(__SANITIZE_THREAD__)
constexpr bool kTsan = true;
#else
constexpr bool kTsan = false;
#endif
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif

constexpr int kSeeds = 20;
constexpr char kScenarioEnv[] = "RAFTLAB_SANITIZER_SCENARIO";
constexpr char kTsanRace[] = "WARNING: ThreadSanitizer: data race";

// A short random pause, so that each seed interleaves the tasks differently.
void Jitter() { labrpc::Sleep(milliseconds(1 + labrpc::RandInt(3))); }

// --------------------------------------------------------------- scenarios

// Two tasks write one int with no lock; both writes happen at every seed.
void TaskRace(bool fixed) {
  auto shared = std::make_shared<int>(0);
  labrpc::Mutex mu("shared");
  labrpc::WaitGroup wg;
  for (const char* name : {"writer-a", "writer-b"}) {
    wg.Add(1);
    labrpc::Go(name, [&, shared] {
      for (int i = 0; i < 3; i++) {
        Jitter();
        if (fixed) {
          labrpc::MutexLock l(mu);
          ++*shared;
        } else {
          ++*shared;
        }
      }
      wg.Done();
    });
  }
  wg.Wait();
}

// The classic Raft bug: the ticker bumps the term under the lock, the
// append sender reads it for its RPC without the lock.
void StudentBug(bool fixed) {
  struct Peer {
    labrpc::Mutex mu{"raft-S1"};
    int term = 0;  // guarded by mu
  };
  auto peer = std::make_shared<Peer>();
  labrpc::WaitGroup wg;
  wg.Add(2);
  labrpc::Go("raft-S1-ticker", [&, peer] {
    for (int i = 0; i < 5; i++) {
      Jitter();
      labrpc::MutexLock l(peer->mu);
      peer->term++;
    }
    wg.Done();
  });
  labrpc::Go("raft-S1-append", [&, peer] {
    int sent = 0;
    for (int i = 0; i < 5; i++) {
      Jitter();
      int term;
      if (fixed) {
        labrpc::MutexLock l(peer->mu);
        term = peer->term;
      } else {
        term = peer->term;
      }
      sent += term;  // stands for the AppendEntries args
    }
    if (sent < 0) std::abort();
    wg.Done();
  });
  wg.Wait();
}

// One task frees a block that another reads later. Fixed: the reader
// hands the block back over a channel and the owner frees it after.
void UseAfterFree(bool fixed) {
  int* block = new int[4]{1, 2, 3, 4};
  labrpc::Channel<int> done(1, "done");
  labrpc::WaitGroup wg;
  wg.Add(2);
  labrpc::Go("freer", [&] {
    Jitter();
    if (fixed) done.Receive();
    delete[] block;
    wg.Done();
  });
  labrpc::Go("late-reader", [&] {
    if (!fixed) labrpc::Sleep(milliseconds(10));  // after the free
    volatile int v = block[2];
    (void)v;
    if (fixed) done.Send(1);
    wg.Done();
  });
  wg.Wait();
}

// An RPC handler writes one element past its heap buffer.
void HandlerOverflow(bool fixed) {
  labrpc::Network net;
  auto svc = std::make_shared<labrpc::Service>("Junk");
  svc->Register("Overflow", [fixed](const int& n, int* reply) {
    std::vector<int> buf(static_cast<size_t>(n));
    int* data = buf.data();
    data[fixed ? n - 1 : n] = 7;
    *reply = data[n - 1];
  });
  auto server = std::make_shared<labrpc::Server>();
  server->AddService(svc);
  net.AddServer("server", server);
  auto end = net.MakeEnd("client");
  net.Connect("client", "server");
  net.Enable("client", true);
  Jitter();
  int reply = 0;
  if (!end->Call("Junk.Overflow", 16, &reply)) std::abort();
  net.Cleanup();
}

// Every happens-before the runtime promises, used correctly: nothing to
// report. Go passes what the parent wrote, Channel hands a block over,
// WaitGroup joins, AfterFunc passes what its caller wrote, CondVar waits
// for a state change, and the test reads the results after Run.
void CleanSync(int* out) {
  auto before_go = std::make_shared<int>(1);
  *before_go = 2;
  labrpc::WaitGroup wg;
  wg.Add(1);
  labrpc::Go("go-child", [before_go, &wg] {
    *before_go += 1;  // the parent's writes happened before
    wg.Done();
  });
  wg.Wait();
  *before_go += 1;  // and the child's, via the WaitGroup

  labrpc::Channel<std::unique_ptr<std::vector<int>>> pipe(0, "pipe");
  wg.Add(2);
  labrpc::Go("producer", [&] {
    for (int i = 0; i < 5; i++) {
      auto v = std::make_unique<std::vector<int>>(8, i);
      Jitter();
      pipe.Send(std::move(v));  // ownership moves; no lock needed
    }
    pipe.Close();
    wg.Done();
  });
  int sum = 0;
  labrpc::Go("consumer", [&] {
    while (auto v = pipe.Receive()) {
      (**v)[0] += 1;
      sum += (**v)[0];
    }
    wg.Done();
  });
  wg.Wait();

  auto timer_data = std::make_shared<int>(0);
  labrpc::Mutex mu("state");
  labrpc::CondVar cv("state");
  bool fired = false;  // guarded by mu
  *timer_data = 40;
  labrpc::AfterFunc(milliseconds(3), [&, timer_data] {
    *timer_data += 2;  // AfterFunc's caller wrote it before
    labrpc::MutexLock l(mu);
    fired = true;
    cv.NotifyAll();
  });
  {
    labrpc::MutexLock l(mu);
    while (!fired) cv.Wait(mu);
  }
  *out = *before_go + sum + *timer_data;
}

// --------------------------------------------------------------- the child

// Runs the scenario named by RAFTLAB_SANITIZER_SCENARIO in a sim world
// seeded from LAB_SEED. Disabled, so that only a parent below runs it.
TEST(SanitizerChild, DISABLED_Run) {
  const char* name = std::getenv(kScenarioEnv);
  ASSERT_NE(name, nullptr) << kScenarioEnv << " is not set";
  const std::map<std::string, std::function<void()>> scenarios = {
      {"task-race", [] { TaskRace(false); }},
      {"task-race-fixed", [] { TaskRace(true); }},
      {"student-bug", [] { StudentBug(false); }},
      {"student-bug-fixed", [] { StudentBug(true); }},
      {"use-after-free", [] { UseAfterFree(false); }},
      {"use-after-free-fixed", [] { UseAfterFree(true); }},
      {"handler-overflow", [] { HandlerOverflow(false); }},
      {"handler-overflow-fixed", [] { HandlerOverflow(true); }},
  };
  labrpc::WorldOptions options = labrpc::WorldOptions::FromEnv();
  options.backend = labrpc::Backend::kSim;
  labrpc::World world(options);
  if (std::string(name) == "clean-sync") {
    int result = 0;
    world.Run([&result] { CleanSync(&result); });
    // 4 from Go/WaitGroup, 1+2+3+4+5 from the channel, 42 from AfterFunc.
    EXPECT_EQ(result, 4 + 15 + 42);
    return;
  }
  auto it = scenarios.find(name);
  ASSERT_NE(it, scenarios.end()) << "no scenario " << name;
  world.Run(it->second);
}

// --------------------------------------------------------------- the parent

struct ChildResult {
  int status = -1;     // as waitpid gives it
  std::string output;  // stdout and stderr, interleaved
};

// Runs this binary's SanitizerChild.Run with `scenario` at `seed`.
ChildResult RunChild(const std::string& scenario, int seed) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; e++) {
    std::string v(*e);
    if (v.rfind("LAB_SEED=", 0) == 0 || v.rfind(kScenarioEnv, 0) == 0) {
      continue;
    }
    env_strings.push_back(v);
  }
  env_strings.push_back("LAB_SEED=" + std::to_string(seed));
  env_strings.push_back(std::string(kScenarioEnv) + "=" + scenario);
  std::vector<std::string> arg_strings = {
      "/proc/self/exe", "--gtest_also_run_disabled_tests",
      "--gtest_filter=SanitizerChild.DISABLED_Run"};
  std::vector<char*> argv, envp;
  for (std::string& a : arg_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  ChildResult result;
  pid_t pid = -1;
  const int err = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr,
                              argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  EXPECT_EQ(err, 0) << "posix_spawn failed";
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) result.output.append(buf, n);
  close(fds[0]);
  if (err == 0) waitpid(pid, &result.status, 0);
  return result;
}

bool ExitedZero(int status) {
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Any sanitizer's report heading, UBSan's included.
bool HasSanitizerReport(const std::string& output) {
  for (const char* heading :
       {"WARNING: ThreadSanitizer", "ERROR: AddressSanitizer",
        "ERROR: LeakSanitizer", "runtime error:"}) {
    if (output.find(heading) != std::string::npos) return true;
  }
  return false;
}

// The bad scenario must be reported at every seed, with every needle in
// the output and a failing exit status; its fixed twin (if any) must pass
// with no sanitizer output at all.
void ExpectReportedEverySeed(const std::string& scenario,
                             const std::vector<std::string>& needles,
                             bool has_fixed_twin = true) {
  for (int seed = 1; seed <= kSeeds; seed++) {
    SCOPED_TRACE("scenario " + scenario + ", LAB_SEED=" + std::to_string(seed));
    ChildResult bad = RunChild(scenario, seed);
    EXPECT_FALSE(ExitedZero(bad.status)) << bad.output;
    for (const std::string& needle : needles) {
      EXPECT_NE(bad.output.find(needle), std::string::npos)
          << "'" << needle << "' missing from the report:\n"
          << bad.output;
    }
    if (!has_fixed_twin) continue;
    ChildResult good = RunChild(scenario + "-fixed", seed);
    EXPECT_TRUE(ExitedZero(good.status)) << good.output;
    EXPECT_FALSE(HasSanitizerReport(good.output))
        << "the fixed scenario was reported:\n"
        << good.output;
    EXPECT_NE(good.output.find("[  PASSED  ] 1 test"), std::string::npos)
        << good.output;
    if (::testing::Test::HasFailure()) return;  // one seed's output is enough
  }
}

// Skips the test, saying why, in a build without the sanitizer it needs.
#define REQUIRE_SANITIZER(enabled, what, make_target)         \
  if (!(enabled)) {                                           \
    GTEST_SKIP() << "built without " what                     \
                    ": this control runs in the " make_target \
                    " build only; here the bad code is not "  \
                    "run";                                    \
  }

TEST(SanitizerControl, TsanReportsRaceBetweenTwoTasks) {
  REQUIRE_SANITIZER(kTsan, "ThreadSanitizer", "make tsan");
  ExpectReportedEverySeed("task-race",
                          {kTsanRace, "'writer-a (task", "'writer-b (task"});
}

TEST(SanitizerControl, TsanReportsUnlockedReadOfAGuardedField) {
  REQUIRE_SANITIZER(kTsan, "ThreadSanitizer", "make tsan");
  ExpectReportedEverySeed("student-bug", {kTsanRace, "'raft-S1-append (task",
                                          "'raft-S1-ticker (task"});
}

TEST(SanitizerControl, UseAfterFreeInATaskIsReported) {
  REQUIRE_SANITIZER(kTsan || kAsan, "ThreadSanitizer or AddressSanitizer",
                    "make tsan or make asan");
  if (kTsan) {
    ExpectReportedEverySeed("use-after-free",
                            {"WARNING: ThreadSanitizer: heap-use-after-free",
                             "'late-reader (task", "'freer (task"});
  } else {
    ExpectReportedEverySeed("use-after-free",
                            {"ERROR: AddressSanitizer: heap-use-after-free",
                             "stopped the run in task 2 'late-reader'"});
  }
}

TEST(SanitizerControl, AsanReportsHeapOverflowInAnRpcHandler) {
  REQUIRE_SANITIZER(kAsan, "AddressSanitizer", "make asan");
  ExpectReportedEverySeed("handler-overflow",
                          {"ERROR: AddressSanitizer: heap-buffer-overflow",
                           "'labrpc handler Junk.Overflow'"});
}

TEST(SanitizerControl, TsanReportsNothingForCorrectSynchronisation) {
  REQUIRE_SANITIZER(kTsan, "ThreadSanitizer", "make tsan");
  for (int seed = 1; seed <= kSeeds; seed++) {
    SCOPED_TRACE("LAB_SEED=" + std::to_string(seed));
    ChildResult r = RunChild("clean-sync", seed);
    EXPECT_TRUE(ExitedZero(r.status)) << r.output;
    EXPECT_FALSE(HasSanitizerReport(r.output)) << r.output;
    EXPECT_NE(r.output.find("[  PASSED  ] 1 test"), std::string::npos)
        << r.output;
    if (::testing::Test::HasFailure()) return;
  }
}

}  // namespace
}  // namespace raftlab_test
