// The runtime's watchdogs for what no runtime call can see: a sim task
// blocked outside the runtime (std::this_thread::sleep_for, a std::mutex),
// a real Mutex held too long while it is still held, and a real world that
// is stuck for good. The sleeps below are the point of the tests: this file
// breaks the runtime rule on purpose (it is a runtime test).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "tests/runtime_test_util.h"
#include "tests/test_world.h"

namespace raftlab_test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

labrpc::WorldOptions WatchedSim() {
  labrpc::WorldOptions o = SimOptions();
  o.block_wall_limit = seconds(1);
  return o;
}

// Spins the CPU for `d` of wall time without calling the runtime.
void BusyWall(std::chrono::steady_clock::duration d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

TEST(RuntimeWatchdog, SimSleepForOutsideTheRuntimeFailsTheRun) {
  const std::string what =
      ExpectRunThrows<labrpc::WatchdogError>(WatchedSim(), [] {
        labrpc::Go("sleepy", [] {
          std::this_thread::sleep_for(milliseconds(1600));
          labrpc::Sleep(Ms(1));
        });
        labrpc::Sleep(Ms(10));
      });
  EXPECT_TRUE(Contains(what, "task 1 'sleepy' did not call the runtime for"));
  EXPECT_TRUE(
      Contains(what, "std::this_thread::sleep_for (use labrpc::Sleep)"));
  EXPECT_TRUE(Contains(what, "std::mutex"));
}

// The first runtime call after the stall is often an Unlock in a
// destructor: the failure must not be thrown there (std::terminate).
TEST(RuntimeWatchdog, SimStallEndingInAnUnlockFailsCleanly) {
  const std::string what =
      ExpectRunThrows<labrpc::WatchdogError>(WatchedSim(), [] {
        labrpc::Mutex mu("state");
        {
          labrpc::MutexLock l(mu);
          std::this_thread::sleep_for(milliseconds(1600));
        }
        labrpc::Sleep(Ms(1));
      });
  EXPECT_TRUE(Contains(what, "'root' did not call the runtime"));
}

TEST(RuntimeWatchdog, SimStdMutexHeldByAnotherThreadIsCaught) {
  std::mutex outside;
  std::thread holder;
  const std::string what =
      ExpectRunThrows<labrpc::WatchdogError>(WatchedSim(), [&] {
        std::unique_lock<std::mutex> l(outside);
        holder = std::thread([&outside] {
          std::this_thread::sleep_for(milliseconds(1600));
          (void)outside;
        });
        l.unlock();
        holder.join();  // blocks the sim thread outside the runtime
        labrpc::Sleep(Ms(1));
      });
  EXPECT_TRUE(Contains(what, "did not call the runtime"));
}

TEST(RuntimeWatchdog, SimCpuBoundSectionIsExempt) {
  labrpc::World world(WatchedSim());
  world.Run([] {
    {
      labrpc::CpuBoundSection section;
      BusyWall(milliseconds(1600));
    }
    labrpc::Sleep(Ms(1));
  });
}

TEST(RuntimeWatchdog, SimShortStallsAreFine) {
  labrpc::World world(WatchedSim());
  world.Run([] {
    for (int i = 0; i < 3; i++) {
      BusyWall(milliseconds(500));
      labrpc::Sleep(Ms(1));
    }
  });
}

// Under real, a long hold is reported while the lock is still held, with
// what its holder is doing, not only when it is finally released.
TEST(RuntimeWatchdog, RealMutexHeldTooLongIsReportedWhileHeld) {
  labrpc::WorldOptions o;
  o.backend = labrpc::Backend::kReal;
  o.mutex_hold_limit = milliseconds(200);
  testing::internal::CaptureStderr();
  std::string during;
  labrpc::World world(o);
  world.Run([&] {
    labrpc::Mutex mu("raft");
    labrpc::MutexLock l(mu);
    labrpc::Sleep(milliseconds(1500));
    during = testing::internal::GetCapturedStderr();
    testing::internal::CaptureStderr();
  });
  const std::string after = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(Contains(during, "Mutex 'raft' has been held for 0.")) << during;
  EXPECT_TRUE(Contains(during,
                       "and is still held, by task 0 'root', blocked "
                       "on Sleep for 1.500s"));
  EXPECT_TRUE(Contains(during, "Do not hold a lock across a Call"));
  EXPECT_TRUE(Contains(after, "was held by task 0 'root' for 1."));
}

// A deadlock in lab code under real: the world cannot end, so on_stuck gets
// a report of every task and what it waits on.
TEST(RuntimeWatchdog, RealStuckWorldCallsOnStuckWithEveryTask) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        labrpc::WorldOptions o;
        o.backend = labrpc::Backend::kReal;
        o.real_wall_limit = seconds(1);
        o.on_stuck = [](const std::string& report) {
          std::fprintf(stderr, "STUCK %s\n", report.c_str());
          std::_Exit(3);
        };
        labrpc::World world(o);
        world.Run([] {
          labrpc::Mutex mu("raft");
          labrpc::MutexLock l(mu);
          labrpc::WaitGroup wg;
          wg.Add(1);
          labrpc::Go("ticker", [&] {
            labrpc::MutexLock l2(mu);  // never: root holds it
            wg.Done();
          });
          wg.Wait();
        });
      },
      testing::ExitedWithCode(3),
      "STUCK labrpc real watchdog: the world has run for 1.*is stuck(.|\n)*"
      "task 0 'root', blocked on CondVar(.|\n)*"
      "task 1 'ticker', blocked on Mutex 'raft' held by task 0 'root'(.|\n)*"
      "Mutex 'raft' held by task 0 'root'");
}

// The test glue turns a stuck world into a failed test with the replay
// line, and ends the process (nothing can unwind the stuck tasks).
TEST(RuntimeWatchdog, StuckTestFailsWithReplayLine) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        dup2(2, 1);  // the death test matches stderr; gtest writes stdout
        labrpc::WorldOptions o;
        o.backend = labrpc::Backend::kReal;
        o.real_wall_limit = seconds(1);
        RunInWorld(o, [] {
          // The classic: a lock held across a Call whose handler needs it.
          // Under real the Call never returns, so nothing else can end it.
          labrpc::Network net;
          auto mu = std::make_shared<labrpc::Mutex>("raft");
          auto svc = std::make_shared<labrpc::Service>("Raft");
          svc->Register("Ping", [mu](const int& /*args*/, int* reply) {
            labrpc::MutexLock l(*mu);
            *reply = 1;
          });
          auto server = std::make_shared<labrpc::Server>();
          server->AddService(svc);
          net.AddServer("s1", server);
          auto end = net.MakeEnd("e");
          net.Connect("e", "s1");
          net.Enable("e", true);
          labrpc::MutexLock l(*mu);
          int reply = 0;
          end->Call("Raft.Ping", 1, &reply);
        });
      },
      testing::ExitedWithCode(1),
      "Failure\ntest stuck: labrpc real watchdog: the world has run(.|\n)*"
      "task 0 'root', blocked on CondVar 'labrpc.call'(.|\n)*"
      "'labrpc handler Raft.Ping', blocked on Mutex 'raft' held by task 0 "
      "'root'(.|\n)*"
      "\\[  FAILED  \\] RuntimeWatchdog.StuckTestFailsWithReplayLine(.|\n)*"
      "replay: LAB_RUNTIME=real LAB_SEED=1 ");
}

}  // namespace
}  // namespace raftlab_test
