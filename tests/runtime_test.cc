// Tests of the runtime itself (labrpc/runtime.h): determinism and virtual
// time under sim, deadlock and watchdog reports, cancellation at shutdown,
// error propagation, misuse detection, and the semantics of Mutex, CondVar,
// WaitGroup, AfterFunc, RandInt and Go under both backends.
//
// Tests about sim-only behaviour build a sim World themselves, so they run
// (identically) in both the .real and .sim registrations. This file may use
// std::thread: the runtime rule exempts paths containing "runtime", and the
// misuse tests need a foreign OS thread.
#include "labrpc/runtime.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "labrpc/channel.h"
#include "labrpc/trace.h"
#include "tests/runtime_test_util.h"
#include "tests/test_world.h"

namespace raftlab_test {
namespace {

using labrpc::Duration;
using labrpc::MisuseError;
using labrpc::MutexLock;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// ------------------------------------------------------------ determinism

// What one run of the determinism scenario produced.
struct ScenarioTrace {
  std::vector<std::string> events;  // "<ns> <task> <event>"
  uint64_t hash = 0;
};

// Many tasks with random sleeps, contention on one mutex, a condition
// variable, a buffered channel and AfterFunc timers, each step logged with
// its virtual time and task.
ScenarioTrace RunScenario(const labrpc::WorldOptions& options) {
  ScenarioTrace trace;
  labrpc::World world(options);
  world.Run([&trace] {
    // Some events are recorded outside `mu` (after a channel operation), so
    // the log has a lock of its own; nobody blocks while holding it, so it
    // changes no schedule.
    labrpc::Mutex record_mu("record");
    auto record = [&trace, &record_mu](const std::string& event) {
      std::string line = std::to_string(labrpc::Now().count()) + " " +
                         labrpc::CurrentTaskName() + " " + event;
      MutexLock l(record_mu);
      trace.events.push_back(std::move(line));
    };
    constexpr int kWorkers = 8;
    constexpr int kRounds = 10;
    labrpc::Mutex mu("scenario");
    labrpc::CondVar cv("scenario");
    labrpc::Channel<int> pipe(2, "pipe");
    labrpc::WaitGroup wg;
    int counter = 0;
    int timers_fired = 0;
    wg.Add(kWorkers + 1);
    for (int w = 0; w < kWorkers; w++) {
      labrpc::Go("worker-" + std::to_string(w), [&, w] {
        for (int i = 0; i < kRounds; i++) {
          labrpc::Sleep(Ms(labrpc::RandInt(50)));
          {
            MutexLock l(mu);
            record("lock " + std::to_string(counter));
            if (labrpc::RandInt(2) == 0) labrpc::Yield();
            counter++;
            cv.NotifyAll();
          }
          if (i % 3 == 0) {
            pipe.Send(w * 100 + i);
            record("sent");
          }
        }
        wg.Done();
      });
    }
    labrpc::Go("consumer", [&] {
      for (int n = 0; n < kWorkers * 4; n++) {
        std::optional<int> v = pipe.Receive();
        record("recv " + std::to_string(*v));
        labrpc::Sleep(Ms(labrpc::RandInt(5)));
      }
      wg.Done();
    });
    for (int t = 0; t < 5; t++) {
      labrpc::AfterFunc(Ms(labrpc::RandInt(200)), [&, t] {
        MutexLock l(mu);
        record("timer " + std::to_string(t));
        timers_fired++;
        cv.NotifyAll();
      });
    }
    {
      MutexLock l(mu);
      while (counter < kWorkers * kRounds || timers_fired < 5) {
        cv.Wait(mu);
        record("root saw " + std::to_string(counter));
      }
    }
    wg.Wait();
    record("done");
  });
  trace.hash = world.TraceHash();
  return trace;
}

TEST(Runtime, SimSameSeedSameTrace) {
  ScenarioTrace a = RunScenario(SimOptions(7));
  ScenarioTrace b = RunScenario(SimOptions(7));
  EXPECT_GT(a.events.size(), 150u);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_NE(a.hash, 0u);
}

TEST(Runtime, SimDifferentSeedDifferentTrace) {
  ScenarioTrace a = RunScenario(SimOptions(1));
  ScenarioTrace b = RunScenario(SimOptions(2));
  EXPECT_NE(a.events, b.events);
  EXPECT_NE(a.hash, b.hash);
}

TEST(Runtime, SimFuzzScheduleSameSeedSameTrace) {
  labrpc::WorldOptions o = SimOptions(11);
  o.fuzz_schedule = true;
  ScenarioTrace a = RunScenario(o);
  ScenarioTrace b = RunScenario(o);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.hash, b.hash);
  // Fuzzing draws from the seed too, so it must change the run.
  ScenarioTrace fifo = RunScenario(SimOptions(11));
  EXPECT_NE(a.hash, fifo.hash);
}

TEST(Runtime, SimWorldsOnTwoThreadsAreIndependent) {
  // No hidden global state: two sim worlds running at once on two OS
  // threads each replay exactly the run the seed gives on its own.
  ScenarioTrace alone = RunScenario(SimOptions(7));
  ScenarioTrace a, b;
  std::thread ta([&] { a = RunScenario(SimOptions(7)); });
  std::thread tb([&] { b = RunScenario(SimOptions(7)); });
  ta.join();
  tb.join();
  EXPECT_EQ(a.events, alone.events);
  EXPECT_EQ(b.events, alone.events);
  EXPECT_EQ(a.hash, alone.hash);
  EXPECT_EQ(b.hash, alone.hash);
}

TEST(Runtime, TraceHashIsZeroUnderReal) {
  labrpc::WorldOptions o = SimOptions();
  o.backend = labrpc::Backend::kReal;
  labrpc::World world(o);
  world.Run([] { labrpc::Sleep(Ms(1)); });
  EXPECT_EQ(world.TraceHash(), 0u);
}

// ----------------------------------------------------------- virtual time

TEST(Runtime, SimTenVirtualMinutesPassQuickly) {
  // The wall time this takes is bounded by ctest's timeout; what is asserted
  // here is that virtual time really advanced by ten minutes.
  Duration end{};
  std::atomic<int> woke{0};  // counted by 201 tasks
  labrpc::World world(SimOptions(3));
  world.Run([&] {
    labrpc::WaitGroup wg;
    wg.Add(201);
    for (int i = 0; i < 200; i++) {
      labrpc::Go("sleeper-" + std::to_string(i), [&] {
        labrpc::Sleep(
            Duration(1 + labrpc::RandInt(Duration(minutes(10)).count())));
        woke++;
        wg.Done();
      });
    }
    labrpc::Go("ticker", [&] {
      for (int s = 0; s < 600; s++) labrpc::Sleep(seconds(1));
      woke++;
      wg.Done();
    });
    wg.Wait();
    end = labrpc::Now();
  });
  EXPECT_EQ(woke.load(), 201);
  // The longest sleeps end at exactly ten minutes.
  EXPECT_EQ(end, minutes(10));
}

TEST(Runtime, SleepersWakeInOrderOfDuration) {
  RunInWorld([] {
    // Under real, the spacing must dwarf scheduling noise on a loaded box.
    const Duration unit = InSim() ? Ms(1) : Ms(80);
    const int order[] = {3, 0, 4, 1, 2};  // start order, not wake order
    labrpc::Mutex mu("woken");
    std::vector<int> woken;
    labrpc::WaitGroup wg;
    wg.Add(5);
    // Every sleeper aims at a deadline on one common clock reading, so the
    // wake order depends only on the deadlines, not on how late the OS
    // started each task (under real, TSan and load can delay that by more
    // than `unit`).
    const Duration start = labrpc::Now();
    for (int k : order) {
      labrpc::Go("sleeper-" + std::to_string(k), [&, k] {
        Duration deadline = start + unit * (k + 1);
        Duration d = deadline - labrpc::Now();
        Duration t0 = labrpc::Now();
        labrpc::Sleep(d);
        Duration slept = labrpc::Now() - t0;
        if (InSim()) {
          EXPECT_EQ(slept, d);
          EXPECT_EQ(labrpc::Now(), deadline);
        } else {
          EXPECT_GE(slept, d);
          EXPECT_GE(labrpc::Now(), deadline);
        }
        {
          MutexLock l(mu);
          woken.push_back(k);
        }
        wg.Done();  // last: the root may end the world once all are done
      });
    }
    wg.Wait();
    MutexLock l(mu);
    EXPECT_EQ(woken, (std::vector<int>{0, 1, 2, 3, 4}));
  });
}

TEST(Runtime, SimNowAdvancesExactlyBySleep) {
  labrpc::World world(SimOptions());
  world.Run([] {
    EXPECT_EQ(labrpc::Now(), Duration::zero());
    labrpc::Sleep(Ms(1500));
    EXPECT_EQ(labrpc::Now(), Ms(1500));
    labrpc::Sleep(Duration(7));
    EXPECT_EQ(labrpc::Now(), Ms(1500) + Duration(7));
    // Non-positive sleeps and yields do not move the clock.
    labrpc::Sleep(Duration::zero());
    labrpc::Sleep(Ms(-5));
    labrpc::Yield();
    EXPECT_EQ(labrpc::Now(), Ms(1500) + Duration(7));
  });
}

// -------------------------------------------------------------- deadlock

TEST(Runtime, SimDeadlockReportNamesEveryBlockedTask) {
  std::string what = ExpectRunThrows<labrpc::DeadlockError>(SimOptions(), [] {
    // Shared ownership: the report cancels some tasks and abandons others,
    // so nothing they touch may live on the root's stack.
    auto inbox_a = std::make_shared<labrpc::Channel<int>>(0, "inbox-a");
    auto inbox_b = std::make_shared<labrpc::Channel<int>>(3, "inbox-b");
    auto x = std::make_shared<labrpc::Mutex>("mu-x");
    auto y = std::make_shared<labrpc::Mutex>("mu-y");
    auto wg = std::make_shared<labrpc::WaitGroup>();
    wg->Add(4);
    labrpc::Go("waiter-a", [inbox_a, wg] {
      inbox_a->Receive();
      wg->Done();
    });
    labrpc::Go("waiter-b", [inbox_b, wg] {
      inbox_b->Receive();
      wg->Done();
    });
    labrpc::Go("cycle-1", [x, y, wg] {
      MutexLock lx(*x);
      labrpc::Sleep(Ms(1));
      MutexLock ly(*y);
      wg->Done();
    });
    labrpc::Go("cycle-2", [x, y, wg] {
      MutexLock ly(*y);
      labrpc::Sleep(Ms(1));
      MutexLock lx(*x);
      wg->Done();
    });
    wg->Wait();
  });
  EXPECT_TRUE(Contains(what, "deadlock"));
  EXPECT_TRUE(Contains(what, "'root': blocked on CondVar 'waitgroup'"));
  EXPECT_TRUE(Contains(what, "'waiter-a': blocked on CondVar 'inbox-a.recv'"));
  EXPECT_TRUE(Contains(what, "'waiter-b': blocked on CondVar 'inbox-b.recv'"));
  EXPECT_TRUE(Contains(
      what, "'cycle-1': blocked on Mutex 'mu-y' held by task 4 'cycle-2'"));
  EXPECT_TRUE(Contains(
      what, "'cycle-2': blocked on Mutex 'mu-x' held by task 3 'cycle-1'"));
}

TEST(Runtime, SimLoneBlockedRootIsADeadlock) {
  std::string what = ExpectRunThrows<labrpc::DeadlockError>(SimOptions(), [] {
    labrpc::Channel<int> never(0, "never");
    never.Receive();
  });
  EXPECT_TRUE(Contains(what, "'root': blocked on CondVar 'never.recv'"));
}

// -------------------------------------------------------------- watchdogs

TEST(Runtime, SimMutexHeldTooLongDefaultLimit) {
  // 9 s is within the default 10 s limit.
  labrpc::World ok(SimOptions());
  ok.Run([] {
    labrpc::Mutex mu("guarded-state");
    MutexLock l(mu);
    labrpc::Sleep(seconds(9));
  });

  std::string what = ExpectRunThrows<labrpc::WatchdogError>(SimOptions(), [] {
    auto mu = std::make_shared<labrpc::Mutex>("guarded-state");
    auto wg = std::make_shared<labrpc::WaitGroup>();
    wg->Add(1);
    labrpc::Go("sleepy-holder", [mu, wg] {
      MutexLock l(*mu);
      labrpc::Sleep(seconds(11));
      wg->Done();
    });
    wg->Wait();
  });
  EXPECT_TRUE(Contains(what, "Mutex 'guarded-state'"));
  EXPECT_TRUE(Contains(what, "'sleepy-holder'"));
  EXPECT_TRUE(Contains(what, "limit 10.000s"));
}

TEST(Runtime, SimMutexHeldTooLongCustomLimit) {
  labrpc::WorldOptions o = SimOptions();
  o.mutex_hold_limit = Ms(500);
  labrpc::World ok(o);
  ok.Run([] {
    labrpc::Mutex mu("short-lock");
    MutexLock l(mu);
    labrpc::Sleep(Ms(400));
  });

  std::string what = ExpectRunThrows<labrpc::WatchdogError>(o, [] {
    labrpc::Mutex mu("short-lock");
    MutexLock l(mu);
    labrpc::Sleep(Ms(700));
  });
  EXPECT_TRUE(Contains(what, "Mutex 'short-lock'"));
  EXPECT_TRUE(Contains(what, "'root'"));
  EXPECT_TRUE(Contains(what, "limit 0.500s"));
}

TEST(Runtime, SimSpinningOnNowIsReported) {
  labrpc::WorldOptions o = SimOptions();
  o.spin_call_limit = 10'000;
  std::string what = ExpectRunThrows<labrpc::WatchdogError>(o, [] {
    labrpc::WaitGroup wg;
    wg.Add(1);
    labrpc::Go("spinner", [&wg] {
      Duration deadline = labrpc::Now() + seconds(1);
      while (labrpc::Now() < deadline) {
      }
      wg.Done();
    });
    wg.Wait();
  });
  EXPECT_TRUE(Contains(what, "'spinner'"));
  EXPECT_TRUE(Contains(what, "spinning"));
}

TEST(Runtime, SimSpinningWithYieldIsReported) {
  // Yield lets others run but is not blocking: time cannot advance, so a
  // Now()/Yield() poll loop is still a spin.
  labrpc::WorldOptions o = SimOptions();
  o.spin_call_limit = 10'000;
  std::string what = ExpectRunThrows<labrpc::WatchdogError>(o, [] {
    Duration deadline = labrpc::Now() + seconds(1);
    while (labrpc::Now() < deadline) labrpc::Yield();
  });
  EXPECT_TRUE(Contains(what, "'root'"));
}

TEST(Runtime, SimManyCallsThatBlockAreNotSpinning) {
  labrpc::WorldOptions o = SimOptions();
  o.spin_call_limit = 1'000;
  labrpc::World world(o);
  world.Run([] {
    for (int i = 0; i < 5'000; i++) {
      labrpc::Now();
      labrpc::Sleep(Ms(1));
    }
    EXPECT_EQ(labrpc::Now(), seconds(5));
  });
}

TEST(Runtime, SimWallWatchdogAbortsACpuLoop) {
  // A loop that never calls the runtime cannot be seen by spin_call_limit;
  // the wall-clock watchdog thread aborts the process instead.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        labrpc::WorldOptions o = SimOptions();
        o.spin_wall_limit = seconds(1);
        labrpc::World world(o);
        world.Run([] {
          labrpc::Go("cruncher", [] {
            volatile uint64_t x = 0;
            while (true) x = x + 1;
          });
          labrpc::Sleep(Ms(1));
        });
      },
      "task 'cruncher' has run for .* without yielding");
}

// Timeouts so large that adding them to the clock would overflow mean
// "forever"; they must not wrap around and fire at once.
TEST(Runtime, HugeTimeoutsDoNotWrapAround) {
  std::atomic<int> woke{0};
  std::atomic<int> unwound{0};
  RunInWorld([&] {
    labrpc::Sleep(Ms(1));  // so that Now() + timeout overflows under sim too
    const Duration forever = Duration::max();
    labrpc::Go("sleeper", [&] {
      DtorCounter c(&unwound);
      labrpc::Sleep(forever);
      woke++;
    });
    labrpc::Go("waiter", [&] {
      DtorCounter c(&unwound);
      labrpc::Mutex mu("forever");
      labrpc::CondVar cv("forever");
      MutexLock l(mu);
      cv.WaitFor(mu, forever);
      woke++;
    });
    labrpc::Go("receiver", [&] {
      DtorCounter c(&unwound);
      labrpc::Channel<int> ch(0, "forever");
      int v;
      ch.ReceiveFor(forever, &v);
      woke++;
    });
    labrpc::AfterFunc(forever, [&] { woke++; });
    labrpc::AfterFunc(forever - Ms(1), [&] { woke++; });
    labrpc::Sleep(Ms(100));
    EXPECT_EQ(woke.load(), 0);
  });
  EXPECT_EQ(woke.load(), 0);
  EXPECT_EQ(unwound.load(), 3);
}

// ---------------------------------------------------- cancellation at stop

TEST(Runtime, ShutdownCancelsBlockedTasksAndUnwindsThem) {
  std::atomic<int> unwound{0};
  std::atomic<int> returned_normally{0};
  std::atomic<int> saw_stopping{0};
  constexpr int kBlocked = 10;
  RunInWorld([&] {
    auto mu = std::make_shared<labrpc::Mutex>("cancel");
    auto cv = std::make_shared<labrpc::CondVar>("cancel");
    auto held = std::make_shared<labrpc::Mutex>("held");
    auto ch = std::make_shared<labrpc::Channel<int>>(0, "cancel");
    auto unread = std::make_shared<labrpc::Channel<int>>(0, "unread");
    auto never_done = std::make_shared<labrpc::WaitGroup>();
    never_done->Add(1);
    // The two tasks that queue for `held` must find it taken: under real a
    // task may start late on a loaded machine, so no delay can promise it.
    auto held_taken = std::make_shared<labrpc::WaitGroup>();
    held_taken->Add(1);
    // Each body blocks forever unless cancelled.
    std::vector<std::function<void()>> bodies = {
        [] { labrpc::Sleep(hours(1)); },
        [mu, cv] {
          MutexLock l(*mu);
          cv->Wait(*mu);
        },
        [mu, cv] {
          MutexLock l(*mu);
          cv->WaitFor(*mu, hours(1));
        },
        [ch] { ch->Receive(); },
        [ch] {
          int v;
          ch->ReceiveFor(hours(1), &v);
        },
        [unread] { unread->Send(1); },
        [never_done] { never_done->Wait(); },
        // Holds `held` across a cancellable Sleep ...
        [held, held_taken] {
          MutexLock l(*held);
          held_taken->Done();
          labrpc::Sleep(hours(1));
        },
        // ... while this one waits for `held`, which is not a cancellation
        // point: it gets the lock once the holder unwinds, then its Sleep
        // is cancelled.
        [held, held_taken] {
          held_taken->Wait();
          MutexLock l(*held);
          labrpc::Sleep(hours(1));
        },
        // Yield does not block, but in a stopping world it is where a task
        // that just got its lock back (as above) unwinds.
        [held, held_taken] {
          held_taken->Wait();
          MutexLock l(*held);
          labrpc::Yield();
        },
    };
    ASSERT_EQ(bodies.size(), static_cast<size_t>(kBlocked));
    for (size_t i = 0; i < bodies.size(); i++) {
      labrpc::Go(
          "blocked-" + std::to_string(i),
          [&unwound, &returned_normally, &saw_stopping, body = bodies[i]] {
            DtorCounter c(&unwound);
            try {
              body();
            } catch (const labrpc::Cancelled&) {
              if (labrpc::Stopping()) saw_stopping++;
              throw;
            }
            returned_normally++;
          });
    }
    labrpc::Sleep(Ms(100));
    EXPECT_FALSE(labrpc::Stopping());
  });
  EXPECT_EQ(unwound.load(), kBlocked);
  EXPECT_EQ(saw_stopping.load(), kBlocked);
  EXPECT_EQ(returned_normally.load(), 0);
}

// A world (backend from the environment) whose tasks sleep for an hour and
// whose root returns at once must not wait for them: its Run is timed with
// an outer real world's clock.
TEST(Runtime, ShutdownDoesNotWaitForLongSleeps) {
  labrpc::WorldOptions outer = labrpc::WorldOptions::FromEnv();
  outer.backend = labrpc::Backend::kReal;
  const labrpc::WorldOptions inner_options = labrpc::WorldOptions::FromEnv();
  Duration took{};
  std::atomic<int> unwound{0};
  std::string inner_error;
  labrpc::World world(outer);
  world.Run([&] {
    Duration t0 = labrpc::Now();
    // The inner world needs an OS thread that runs no world's task.
    std::thread runner([&] {
      try {
        labrpc::World inner(inner_options);
        inner.Run([&] {
          for (int i = 0; i < 4; i++) {
            labrpc::Go("sleeper", [&] {
              DtorCounter c(&unwound);
              labrpc::Sleep(hours(1));
            });
          }
          labrpc::AfterFunc(hours(1), [] {});
          labrpc::Sleep(Ms(20));
        });
      } catch (const std::exception& e) {
        inner_error = e.what();
      }
    });
    runner.join();
    took = labrpc::Now() - t0;
  });
  EXPECT_EQ(inner_error, "");
  EXPECT_EQ(unwound.load(), 4);
  EXPECT_LT(took, seconds(5));
}

// ------------------------------------------------------ error propagation

TEST(Runtime, TaskExceptionStopsWorldAndIsRethrown) {
  std::atomic<int> unwound{0};
  labrpc::World world(labrpc::WorldOptions::FromEnv());
  bool caught = false;
  try {
    world.Run([&] {
      DtorCounter root_counter(&unwound);
      for (int i = 0; i < 3; i++) {
        labrpc::Go("bystander", [&] {
          DtorCounter c(&unwound);
          labrpc::Sleep(hours(1));
        });
      }
      labrpc::Go("bomber", [] {
        labrpc::Sleep(Ms(10));
        throw std::runtime_error("boom");
      });
      labrpc::Sleep(hours(1));
      ADD_FAILURE() << "the root's Sleep was not cancelled";
    });
  } catch (const std::runtime_error& e) {
    caught = true;
    EXPECT_STREQ(e.what(), "boom");
  }
  EXPECT_TRUE(caught);
  EXPECT_EQ(unwound.load(), 4);  // three bystanders and the root
}

TEST(Runtime, FirstErrorWins) {
  std::atomic<int> second_threw{0};
  labrpc::World world(labrpc::WorldOptions::FromEnv());
  try {
    world.Run([&] {
      labrpc::Go("first", [] {
        labrpc::Sleep(Ms(10));
        throw std::runtime_error("first");
      });
      // Fails only once the world is stopping, i.e. strictly after "first"
      // was recorded: its error must be dropped, not replace the first.
      labrpc::Go("second", [&] {
        try {
          labrpc::Sleep(hours(1));
        } catch (const labrpc::Cancelled&) {
          second_threw++;
          throw std::runtime_error("second");
        }
      });
      labrpc::Sleep(hours(1));
    });
    ADD_FAILURE() << "Run returned normally";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "first");
  }
  EXPECT_EQ(second_threw.load(), 1);
}

TEST(Runtime, AfterFuncExceptionIsRethrown) {
  std::string what =
      ExpectRunThrows<std::runtime_error>(labrpc::WorldOptions::FromEnv(), [] {
        labrpc::AfterFunc(Ms(5),
                          [] { throw std::runtime_error("timer failed"); });
        labrpc::Sleep(hours(1));
      });
  EXPECT_EQ(what, "timer failed");
}

TEST(Runtime, FatalFromNonRootTaskEndsTheWorld) {
  std::atomic<int> unwound{0};
  labrpc::World world(labrpc::WorldOptions::FromEnv());
  bool caught = false;
  try {
    world.Run([&] {
      DtorCounter c(&unwound);
      labrpc::Go("checker", [] {
        labrpc::Sleep(Ms(5));
        Fatal("apply out of order at index 7");
      });
      labrpc::Sleep(hours(1));
      ADD_FAILURE() << "the root's Sleep was not cancelled";
    });
  } catch (const FatalFailure& f) {
    caught = true;
    EXPECT_EQ(f.message, "apply out of order at index 7");
  }
  EXPECT_TRUE(caught);
  EXPECT_EQ(unwound.load(), 1);
}

// A test body for RunInWorld: a helper task calls Fatal.
void FatalFromHelperBody() {
  labrpc::Go("helper", [] { Fatal("helper says stop"); });
  labrpc::Sleep(hours(1));
}

TEST(Runtime, FatalThroughRunInWorldFailsTheTest) {
  EXPECT_NONFATAL_FAILURE(RunInWorld(FatalFromHelperBody), "helper says stop");
}

// ----------------------------------------------------------------- misuse

TEST(Runtime, ForeignThreadIsMisuse) {
  RunInWorld([] {
    labrpc::Mutex mu("shared");
    std::string now_error, lock_error, go_error, sleep_error;
    std::thread foreign([&] {
      try {
        labrpc::Now();
      } catch (const MisuseError& e) {
        now_error = e.what();
      }
      try {
        mu.Lock();
      } catch (const MisuseError& e) {
        lock_error = e.what();
      }
      try {
        labrpc::Go("from-thread", [] {});
      } catch (const MisuseError& e) {
        go_error = e.what();
      }
      try {
        labrpc::Sleep(Ms(1));
      } catch (const MisuseError& e) {
        sleep_error = e.what();
      }
    });
    foreign.join();
    for (const std::string* e :
         {&now_error, &lock_error, &go_error, &sleep_error}) {
      EXPECT_TRUE(Contains(*e, "std::thread"));
      EXPECT_TRUE(Contains(*e, "labrpc::Go"));
    }
    // The failed Lock did not take the mutex.
    EXPECT_TRUE(mu.TryLock());
    mu.Unlock();
  });
}

TEST(Runtime, UnlockByNonOwnerIsMisuse) {
  RunInWorld([] {
    labrpc::Mutex mu("owned");
    std::string error;
    labrpc::WaitGroup wg;
    mu.Lock();
    wg.Add(1);
    labrpc::Go("intruder", [&] {
      try {
        mu.Unlock();
      } catch (const MisuseError& e) {
        error = e.what();
      }
      EXPECT_FALSE(mu.HeldByMe());
      EXPECT_FALSE(mu.TryLock());
      wg.Done();
    });
    wg.Wait();
    EXPECT_TRUE(Contains(error, "Mutex 'owned' unlocked by"));
    EXPECT_TRUE(Contains(error, "'intruder'"));
    EXPECT_TRUE(Contains(error, "held by task 0 'root'"));
    EXPECT_TRUE(mu.HeldByMe());  // still ours
    mu.Unlock();
    // Unlocking a free mutex is misuse too.
    EXPECT_THROW(mu.Unlock(), MisuseError);
  });
}

TEST(Runtime, RecursiveLockIsMisuse) {
  RunInWorld([] {
    labrpc::Mutex mu("flat");
    mu.Lock();
    try {
      mu.Lock();
      ADD_FAILURE() << "second Lock did not throw";
    } catch (const MisuseError& e) {
      EXPECT_TRUE(Contains(e.what(), "Mutex 'flat' locked twice"));
    }
    EXPECT_TRUE(mu.HeldByMe());
    // TryLock by the holder fails rather than deadlocking or succeeding.
    EXPECT_FALSE(mu.TryLock());
    EXPECT_TRUE(mu.HeldByMe());
    mu.Unlock();
    EXPECT_FALSE(mu.HeldByMe());
  });
}

// A method that requires its caller to hold a lock (one named ...Locked).
struct GuardedCounter {
  labrpc::Mutex mu{"counter-mu"};
  int n = 0;
  void IncrementLocked() {
    LAB_ASSERT_HELD(mu);
    n++;
  }
};

TEST(Runtime, AssertHeldFailsACallerWithoutTheLock) {
  RunInWorld([] {
    GuardedCounter c;
    {
      labrpc::MutexLock l(c.mu);
      c.IncrementLocked();  // held: fine
    }
    EXPECT_EQ(c.n, 1);
#if RAFTLAB_LOCK_CHECKS
    try {
      c.IncrementLocked();
      ADD_FAILURE() << "an unlocked call to a ...Locked method did not throw";
    } catch (const MisuseError& e) {
      EXPECT_TRUE(Contains(e.what(), "IncrementLocked"));
      EXPECT_TRUE(Contains(e.what(), "requires mutex \"counter-mu\""));
      EXPECT_TRUE(Contains(e.what(), "(root)"));
    }
    EXPECT_EQ(c.n, 1);
    // Held by another task is not held by the caller.
    labrpc::MutexLock l(c.mu);
    labrpc::WaitGroup wg;
    wg.Add(1);
    labrpc::Go("other", [&] {
      EXPECT_THROW(c.IncrementLocked(), MisuseError);
      wg.Done();
    });
    wg.Wait();
    EXPECT_EQ(c.n, 1);
#else
    GTEST_SKIP() << "built with RAFTLAB_LOCK_CHECKS=0";
#endif
  });
}

TEST(Runtime, CondVarWaitWithoutMutexIsMisuse) {
  RunInWorld([] {
    labrpc::Mutex mu("cv-guard");
    labrpc::CondVar cv("cv");
    EXPECT_THROW(cv.Wait(mu), MisuseError);
    EXPECT_THROW(cv.WaitFor(mu, Ms(1)), MisuseError);
    // Held, but by someone else.
    labrpc::WaitGroup wg;
    wg.Add(1);
    mu.Lock();
    labrpc::Go("other", [&] {
      try {
        cv.Wait(mu);
        ADD_FAILURE() << "Wait without the mutex did not throw";
      } catch (const MisuseError& e) {
        EXPECT_TRUE(Contains(e.what(), "without holding Mutex 'cv-guard'"));
      }
      wg.Done();
    });
    wg.Wait();
    mu.Unlock();
  });
}

TEST(Runtime, RunTwiceIsMisuse) {
  labrpc::World world(labrpc::WorldOptions::FromEnv());
  world.Run([] {});
  EXPECT_THROW(world.Run([] {}), MisuseError);
}

TEST(Runtime, RunInsideAWorldIsMisuse) {
  RunInWorld([] {
    labrpc::World inner(labrpc::WorldOptions::FromEnv());
    EXPECT_THROW(inner.Run([] {}), MisuseError);
  });
}

TEST(Runtime, RuntimeCallOutsideAnyWorldIsMisuse) {
  EXPECT_EQ(labrpc::World::CurrentOrNull(), nullptr);
  try {
    labrpc::Now();
    ADD_FAILURE() << "Now() outside a world did not throw";
  } catch (const MisuseError& e) {
    EXPECT_TRUE(Contains(e.what(), "labrpc::Go"));
  }
  EXPECT_THROW(labrpc::World::Current(), MisuseError);
  EXPECT_THROW(labrpc::Sleep(Ms(1)), MisuseError);
  EXPECT_THROW(labrpc::Yield(), MisuseError);
  EXPECT_THROW(labrpc::RandUint64(), MisuseError);
  EXPECT_THROW(labrpc::Go("orphan", [] {}), MisuseError);
  EXPECT_THROW(labrpc::AfterFunc(Ms(1), [] {}), MisuseError);
  EXPECT_THROW(labrpc::Mutex("orphan"), MisuseError);
  EXPECT_THROW(labrpc::CondVar("orphan"), MisuseError);
  EXPECT_THROW(labrpc::WaitGroup(), MisuseError);
  EXPECT_THROW(labrpc::Channel<int>(1), MisuseError);
}

TEST(Runtime, ObjectOfAnotherWorldIsMisuse) {
  const labrpc::WorldOptions o = labrpc::WorldOptions::FromEnv();
  labrpc::World first(o);
  std::unique_ptr<labrpc::Mutex> mu;  // destroyed before `first`
  first.Run([&] { mu = std::make_unique<labrpc::Mutex>("first-world"); });
  labrpc::World second(o);
  second.Run([&] {
    try {
      mu->Lock();
      ADD_FAILURE() << "locking another world's mutex did not throw";
    } catch (const MisuseError& e) {
      EXPECT_TRUE(Contains(e.what(), "another World"));
    }
  });
}

TEST(Runtime, RandIntOfNonPositiveIsMisuse) {
  RunInWorld([] {
    EXPECT_THROW(labrpc::RandInt(0), MisuseError);
    EXPECT_THROW(labrpc::RandInt(-3), MisuseError);
  });
}

// Sets an environment variable for its lifetime and restores the old value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value == nullptr) {
      unsetenv(name);
    } else {
      setenv(name, value, 1);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(Runtime, WorldOptionsFromEnv) {
  {
    ScopedEnv rt("LAB_RUNTIME", "bogus");
    try {
      labrpc::WorldOptions::FromEnv();
      ADD_FAILURE() << "LAB_RUNTIME=bogus accepted";
    } catch (const MisuseError& e) {
      EXPECT_TRUE(Contains(e.what(), "bogus"));
    }
  }
  {
    ScopedEnv seed("LAB_SEED", "12x");
    EXPECT_THROW(labrpc::WorldOptions::FromEnv(), MisuseError);
  }
  {
    ScopedEnv seed("LAB_SEED", "-4");
    EXPECT_THROW(labrpc::WorldOptions::FromEnv(), MisuseError);
  }
  {
    ScopedEnv limit("LAB_MUTEX_LIMIT_MS", "soon");
    EXPECT_THROW(labrpc::WorldOptions::FromEnv(), MisuseError);
  }
  {
    ScopedEnv rt("LAB_RUNTIME", "real");
    ScopedEnv seed("LAB_SEED", "42");
    ScopedEnv fuzz("LAB_FUZZ", "1");
    ScopedEnv limit("LAB_MUTEX_LIMIT_MS", "250");
    labrpc::WorldOptions o = labrpc::WorldOptions::FromEnv();
    EXPECT_EQ(o.backend, labrpc::Backend::kReal);
    EXPECT_EQ(o.seed, 42u);
    EXPECT_TRUE(o.fuzz_schedule);
    EXPECT_EQ(o.mutex_hold_limit, Ms(250));
  }
  {
    ScopedEnv rt("LAB_RUNTIME", nullptr);
    ScopedEnv fuzz("LAB_FUZZ", nullptr);
    labrpc::WorldOptions o = labrpc::WorldOptions::FromEnv();
    EXPECT_EQ(o.backend, labrpc::Backend::kSim);
    EXPECT_FALSE(o.fuzz_schedule);
  }
}

// A replay line's LAB_SCHEDULE_VERSION reaches the options, and the trace of
// a world names the version it runs and, under sim, ends with the schedule
// hash, so that a trace says whether it can be reproduced.
TEST(Runtime, SimScheduleVersionInOptionsAndTrace) {
  {
    ScopedEnv v("LAB_SCHEDULE_VERSION", "v2");
    EXPECT_THROW(labrpc::WorldOptions::FromEnv(), MisuseError);
  }
  {
    ScopedEnv v("LAB_SCHEDULE_VERSION", "1");
    EXPECT_EQ(labrpc::WorldOptions::FromEnv().recorded_schedule_version, 1u);
  }
  std::string trace;
  struct Restore {
    ~Restore() {
      labrpc::SetTraceSink(nullptr);
      labrpc::TraceConfigureFromEnv();
    }
  } restore;
  labrpc::SetTraceSink([&trace](const std::string& line) { trace += line; });
  labrpc::TraceConfigure("all");
  labrpc::WorldOptions o;
  o.backend = labrpc::Backend::kSim;
  o.seed = 5;
  o.recorded_schedule_version = labrpc::kSimScheduleVersion + 1;
  labrpc::World world(o);
  world.Run([] { labrpc::Sleep(Ms(1)); });
  const std::string header = "# world: runtime=sim seed=5 schedule=" +
                             std::to_string(labrpc::kSimScheduleVersion) + " ";
  EXPECT_EQ(trace.rfind(header, 0), 0u) << trace;
  EXPECT_TRUE(Contains(trace, "will not reproduce")) << trace;
  char footer[64];
  std::snprintf(footer, sizeof footer, "# world end: schedule hash %016llx\n",
                static_cast<unsigned long long>(world.TraceHash()));
  EXPECT_TRUE(trace.ends_with(footer)) << trace;
}

TEST(Runtime, SimTaskFinishingWithMutexHeldIsMisuse) {
  std::string what = ExpectRunThrows<MisuseError>(SimOptions(), [] {
    auto mu = std::make_shared<labrpc::Mutex>("forgotten");
    labrpc::Go("leaky", [mu] { mu->Lock(); });
    labrpc::Sleep(Ms(10));
  });
  EXPECT_TRUE(Contains(what,
                       "'leaky' finished while holding Mutex "
                       "'forgotten'"));

  // The root too.
  what = ExpectRunThrows<MisuseError>(SimOptions(), [] {
    auto mu = std::make_shared<labrpc::Mutex>("root-lock");
    labrpc::Go("keeper", [mu] { labrpc::Sleep(hours(1)); });
    mu->Lock();
  });
  EXPECT_TRUE(Contains(what,
                       "'root' finished while holding Mutex "
                       "'root-lock'"));
}

// ------------------------------------------------------ Mutex and CondVar

TEST(Runtime, MutexMutualExclusionUnderContention) {
  RunInWorld([] {
    constexpr int kTasks = 10;
    constexpr int kRounds = 40;
    labrpc::Mutex mu("counter");
    int counter = 0;
    int inside = 0;
    int violations = 0;
    labrpc::WaitGroup wg;
    wg.Add(kTasks);
    for (int t = 0; t < kTasks; t++) {
      labrpc::Go("incrementer", [&, t] {
        for (int i = 0; i < kRounds; i++) {
          MutexLock l(mu);
          if (++inside != 1) violations++;
          int v = counter;
          // Give others every chance to barge into the critical section.
          if ((i + t) % 10 == 0) {
            labrpc::Sleep(Ms(1));
          } else {
            labrpc::Yield();
          }
          counter = v + 1;
          inside--;
        }
        wg.Done();
      });
    }
    wg.Wait();
    MutexLock l(mu);
    EXPECT_EQ(counter, kTasks * kRounds);
    EXPECT_EQ(violations, 0);
  });
}

TEST(Runtime, MutexTryLock) {
  RunInWorld([] {
    labrpc::Mutex mu("try");
    EXPECT_TRUE(mu.TryLock());
    EXPECT_TRUE(mu.HeldByMe());
    labrpc::WaitGroup wg;
    wg.Add(1);
    labrpc::Go("other", [&] {
      EXPECT_FALSE(mu.TryLock());
      EXPECT_FALSE(mu.HeldByMe());
      wg.Done();
    });
    wg.Wait();
    mu.Unlock();
  });
}

TEST(Runtime, CondVarWaitForTimesOut) {
  RunInWorld([] {
    labrpc::Mutex mu("timeout");
    labrpc::CondVar cv("timeout");
    MutexLock l(mu);
    Duration t0 = labrpc::Now();
    EXPECT_FALSE(cv.WaitFor(mu, Ms(250)));
    Duration waited = labrpc::Now() - t0;
    if (InSim()) {
      EXPECT_EQ(waited, Ms(250));
    } else {
      EXPECT_GE(waited, Ms(250));
    }
    EXPECT_TRUE(mu.HeldByMe());
  });
}

TEST(Runtime, CondVarWaitForReturnsTrueWhenNotified) {
  RunInWorld([] {
    labrpc::Mutex mu("notified");
    labrpc::CondVar cv("notified");
    labrpc::WaitGroup wg;
    bool flag = false;
    wg.Add(1);
    Duration t0 = labrpc::Now();
    labrpc::Go("notifier", [&] {
      labrpc::Sleep(Ms(50));
      {
        MutexLock l(mu);
        flag = true;
        cv.NotifyOne();
      }
      wg.Done();
    });
    {
      MutexLock l(mu);
      bool notified = true;
      while (!flag && notified) notified = cv.WaitFor(mu, seconds(10));
      EXPECT_TRUE(notified);
      EXPECT_TRUE(flag);
      Duration waited = labrpc::Now() - t0;
      if (InSim()) {
        EXPECT_EQ(waited, Ms(50));
      } else {
        EXPECT_GE(waited, Ms(50));
        EXPECT_LT(waited, seconds(10));
      }
    }
    wg.Wait();
  });
}

TEST(Runtime, CondVarNotifyOneWakesOne) {
  RunInWorld([] {
    constexpr int kWaiters = 3;
    labrpc::Mutex mu("permits");
    labrpc::CondVar cv("permits");
    int permits = 0;
    int passed = 0;
    int wait_returns = 0;  // raw returns from Wait, spurious or not
    labrpc::WaitGroup wg;
    wg.Add(kWaiters);
    for (int i = 0; i < kWaiters; i++) {
      labrpc::Go("waiter", [&] {
        {
          MutexLock l(mu);
          while (permits == 0) {
            cv.Wait(mu);
            wait_returns++;
          }
          permits--;
          passed++;
        }
        wg.Done();
      });
    }
    labrpc::Sleep(Ms(50));  // let them all wait
    {
      MutexLock l(mu);
      EXPECT_EQ(passed, 0);
      permits = 1;
      cv.NotifyOne();
    }
    // Poll (sleeping) until the one permit is taken, then give any wrongly
    // woken waiter time to show up.
    for (int i = 0; i < 1000; i++) {
      labrpc::Sleep(Ms(10));
      MutexLock l(mu);
      if (passed > 0) break;
    }
    labrpc::Sleep(Ms(50));
    {
      MutexLock l(mu);
      EXPECT_EQ(passed, 1);
      // Under real a spurious wake-up is allowed; under sim there is none.
      if (InSim()) {
        EXPECT_EQ(wait_returns, 1);
      }
      permits = kWaiters - 1;
      cv.NotifyAll();
    }
    wg.Wait();
    MutexLock l(mu);
    EXPECT_EQ(passed, kWaiters);
    EXPECT_EQ(permits, 0);
  });
}

TEST(Runtime, CondVarNotifyAllWakesAll) {
  RunInWorld([] {
    constexpr int kWaiters = 5;
    labrpc::Mutex mu("gate");
    labrpc::CondVar cv("gate");
    bool open = false;
    int waiting = 0;
    int passed = 0;
    labrpc::WaitGroup wg;
    wg.Add(kWaiters);
    for (int i = 0; i < kWaiters; i++) {
      labrpc::Go("waiter", [&] {
        {
          MutexLock l(mu);
          waiting++;
          while (!open) cv.Wait(mu);
          passed++;
        }
        wg.Done();
      });
    }
    // Wait (without polling) until every waiter is parked.
    while (true) {
      labrpc::Sleep(Ms(10));
      MutexLock l(mu);
      if (waiting == kWaiters) break;
    }
    Duration t0 = labrpc::Now();
    {
      MutexLock l(mu);
      open = true;
      cv.NotifyAll();
    }
    wg.Wait();
    EXPECT_EQ(passed, kWaiters);
    if (InSim()) {  // all at once, no timer
      EXPECT_EQ(labrpc::Now(), t0);
    }
  });
}

TEST(Runtime, NotifyWithNoWaitersIsNotRemembered) {
  RunInWorld([] {
    labrpc::Mutex mu("late");
    labrpc::CondVar cv("late");
    cv.NotifyOne();
    cv.NotifyAll();
    MutexLock l(mu);
    EXPECT_FALSE(cv.WaitFor(mu, Ms(30)));
  });
}

// -------------------------------------------------------------- WaitGroup

TEST(Runtime, WaitGroupWaitsForEveryTask) {
  RunInWorld([] {
    constexpr int kTasks = 20;
    labrpc::Mutex mu("finished");
    int finished = 0;
    Duration latest{};
    labrpc::WaitGroup wg;
    wg.Wait();  // zero count: returns at once
    wg.Add(kTasks);
    for (int i = 0; i < kTasks; i++) {
      labrpc::Go("worker", [&] {
        labrpc::Sleep(Ms(1 + labrpc::RandInt(40)));
        {
          MutexLock l(mu);
          finished++;
          latest = std::max(latest, labrpc::Now());
        }
        wg.Done();
      });
    }
    // A second waiter is released too.
    labrpc::WaitGroup second_done;
    second_done.Add(1);
    labrpc::Go("second-waiter", [&] {
      wg.Wait();
      {
        MutexLock l(mu);
        EXPECT_EQ(finished, kTasks);
      }
      second_done.Done();
    });
    wg.Wait();
    {
      MutexLock l(mu);
      EXPECT_EQ(finished, kTasks);
      if (InSim()) {
        EXPECT_EQ(labrpc::Now(), latest);
      } else {
        EXPECT_GE(labrpc::Now(), latest);
      }
    }
    second_done.Wait();
    EXPECT_THROW(wg.Done(), MisuseError);  // below zero
  });
}

// -------------------------------------------------------------- AfterFunc

TEST(Runtime, AfterFuncRunsAfterItsDelay) {
  RunInWorld([] {
    // Under real, the spacing must dwarf thread start-up on a loaded box.
    const Duration unit = InSim() ? Ms(10) : Ms(100);
    labrpc::Channel<std::pair<int, Duration>> fired(3, "fired");
    Duration t0 = labrpc::Now();
    for (int k : {3, 1, 2}) {
      labrpc::AfterFunc(unit * k, [&fired, k] {
        EXPECT_EQ(labrpc::CurrentTaskName(), "afterfunc");
        fired.Send({k, labrpc::Now()});
      });
    }
    for (int want = 1; want <= 3; want++) {
      std::optional<std::pair<int, Duration>> got = fired.Receive();
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(got->first, want);
      if (InSim()) {
        EXPECT_EQ(got->second, t0 + unit * want);
      } else {
        EXPECT_GE(got->second, t0 + unit * want);
      }
    }
  });
}

TEST(Runtime, AfterFuncDoesNotRunOnceTheWorldStopped) {
  std::atomic<bool> ran{false};
  std::atomic<bool> quick_ran{false};
  RunInWorld([&] {
    labrpc::AfterFunc(hours(1), [&] { ran = true; });
    labrpc::AfterFunc(Ms(200), [&] { ran = true; });
    labrpc::Channel<int> done(1, "done");
    labrpc::AfterFunc(Duration::zero(), [&] {
      quick_ran = true;
      done.Send(1);
    });
    done.Receive();
    labrpc::Sleep(Ms(10));
  });
  EXPECT_TRUE(quick_ran.load());
  EXPECT_FALSE(ran.load());
}

// ------------------------------------------------------------- randomness

TEST(Runtime, RandIntRangeAndRoughUniformity) {
  RunInWorld([] {
    constexpr int kBuckets = 8;
    constexpr int kDraws = 200'000;
    std::vector<int> hist(kBuckets, 0);
    for (int i = 0; i < kDraws; i++) {
      int64_t r = labrpc::RandInt(kBuckets);
      ASSERT_GE(r, 0);
      ASSERT_LT(r, kBuckets);
      hist[static_cast<size_t>(r)]++;
    }
    // Expected 25000 per bucket, standard deviation about 148.
    for (int count : hist) {
      EXPECT_GT(count, kDraws / kBuckets - 1000);
      EXPECT_LT(count, kDraws / kBuckets + 1000);
    }
    for (int i = 0; i < 100; i++) EXPECT_EQ(labrpc::RandInt(1), 0);
    const int64_t big = (int64_t{1} << 62) + 12345;
    bool high = false;
    for (int i = 0; i < 100; i++) {
      int64_t r = labrpc::RandInt(big);
      EXPECT_GE(r, 0);
      EXPECT_LT(r, big);
      if (r > big / 2) high = true;
    }
    EXPECT_TRUE(high);
    uint64_t all_or = 0, all_and = ~uint64_t{0};
    for (int i = 0; i < 64; i++) {
      uint64_t r = labrpc::RandUint64();
      all_or |= r;
      all_and &= r;
    }
    EXPECT_EQ(all_or, ~uint64_t{0});  // every bit is sometimes set
    EXPECT_EQ(all_and, 0u);           // and sometimes clear
  });
}

TEST(Runtime, SimRandomnessFollowsTheSeed) {
  auto draws = [](uint64_t seed) {
    std::vector<uint64_t> out;
    labrpc::World world(SimOptions(seed));
    world.Run([&] {
      for (int i = 0; i < 16; i++) out.push_back(labrpc::RandUint64());
    });
    return out;
  };
  EXPECT_EQ(draws(5), draws(5));
  EXPECT_NE(draws(5), draws(6));
}

// ----------------------------------------------------------------- tasks

TEST(Runtime, GoTasksRunConcurrentlyWithTheRoot) {
  RunInWorld([] {
    EXPECT_EQ(labrpc::CurrentTaskName(), "root");
    labrpc::Channel<int> ping(0, "ping");
    labrpc::Channel<int> pong(0, "pong");
    labrpc::WaitGroup wg;
    wg.Add(1);
    labrpc::Go("echo", [&] {
      EXPECT_EQ(labrpc::CurrentTaskName(), "echo");
      while (std::optional<int> v = ping.Receive()) pong.Send(*v * 2);
      wg.Done();
    });
    // Strict alternation: neither side can run to completion first.
    for (int i = 0; i < 20; i++) {
      ping.Send(i);
      std::optional<int> back = pong.Receive();
      ASSERT_TRUE(back.has_value());
      EXPECT_EQ(*back, i * 2);
    }
    ping.Close();
    wg.Wait();
  });
}

TEST(Runtime, TaskProgressesWhileRootSleeps) {
  RunInWorld([] {
    labrpc::Mutex mu("ticks");
    int ticks = 0;
    bool stop = false;
    labrpc::WaitGroup wg;
    wg.Add(1);
    labrpc::Go("ticker", [&] {
      while (true) {
        labrpc::Sleep(Ms(10));
        MutexLock l(mu);
        if (stop) break;
        ticks++;
      }
      wg.Done();
    });
    labrpc::Sleep(Ms(205));
    {
      MutexLock l(mu);
      if (InSim()) {
        EXPECT_EQ(ticks, 20);
      } else {
        EXPECT_GE(ticks, 5);
      }
      stop = true;
    }
    wg.Wait();
  });
}

// ------------------------------------------- the real backend's hand-offs
//
// Under real, a waiter yields its CPU a few times before it sleeps on a
// futex, and a pooled worker does the same while parked; a notification or
// a task start wakes the thread only if it got as far as sleeping. A
// hand-off lost between those two phases hangs its waiter, so these tests
// hand off thousands of times with gaps that land in each phase: none,
// a few microseconds, and long enough that the other side sleeps. They
// build real worlds whatever LAB_RUNTIME says.

labrpc::WorldOptions RealOptions() {
  labrpc::WorldOptions o;
  o.backend = labrpc::Backend::kReal;
  return o;
}

// The gap before the i-th hand-off: none, short, or long enough to sleep.
void HandOffGap(int i) {
  switch (i % 3) {
    case 0:
      break;
    case 1:
      labrpc::Sleep(std::chrono::microseconds(20));
      break;
    default:
      labrpc::Sleep(std::chrono::microseconds(500));
      break;
  }
}

TEST(Runtime, RealCondVarHandOffsLoseNoWakeUp) {
  constexpr int kRounds = 1500;
  int timeouts = 0;
  RunInWorld(RealOptions(), [&] {
    labrpc::Mutex mu("pingpong");
    labrpc::CondVar cv("pingpong");
    int turn = 0;  // even: the root's move, odd: the echo's
    labrpc::WaitGroup wg;
    wg.Add(1);
    // Each side waits with a generous timeout: a lost wake-up shows as a
    // time-out, which ends the test, instead of a hang.
    auto await = [&](int parity) {
      while (turn % 2 != parity) {
        if (!cv.WaitFor(mu, seconds(5)) && turn % 2 != parity) {
          timeouts++;
          return false;
        }
      }
      return true;
    };
    labrpc::Go("echo", [&] {
      for (int i = 0; i < kRounds; i++) {
        MutexLock l(mu);
        if (!await(1)) break;
        l.unlock();
        HandOffGap(i + 1);
        l.lock();
        turn++;
        cv.NotifyOne();
      }
      wg.Done();
    });
    for (int i = 0; i < kRounds; i++) {
      HandOffGap(i);
      MutexLock l(mu);
      turn++;
      cv.NotifyOne();
      if (!await(0)) return;
    }
    wg.Wait();
    MutexLock l(mu);
    EXPECT_EQ(turn, 2 * kRounds);
  });
  EXPECT_EQ(timeouts, 0) << "wake-ups lost between yielding and sleeping";
}

TEST(Runtime, RealPooledWorkersStartEveryTaskAndAreReused) {
  constexpr int kTasks = 300;
  int timeouts = 0;
  std::set<std::thread::id> threads;
  RunInWorld(RealOptions(), [&] {
    labrpc::Mutex mu("started");
    labrpc::CondVar cv("started");
    int done = 0;
    auto await = [&](int n) {
      MutexLock l(mu);
      while (done < n) {
        if (!cv.WaitFor(mu, seconds(5)) && done < n) {
          timeouts++;
          return false;
        }
      }
      return true;
    };
    for (int i = 0; i < kTasks; i++) {
      // Start each task only after the previous one ended, so that it
      // reaches a parked worker (yielding or asleep, by the gap).
      HandOffGap(i);
      labrpc::Go("step", [&] {
        MutexLock l(mu);
        threads.insert(std::this_thread::get_id());
        done++;
        cv.NotifyAll();
      });
      if (!await(i + 1)) return;
    }
    // And many at once: every one starts, on pooled threads or new ones.
    for (int i = 0; i < 50; i++) {
      labrpc::Go("burst", [&] {
        MutexLock l(mu);
        done++;
        cv.NotifyAll();
      });
    }
    await(kTasks + 50);
  });
  EXPECT_EQ(timeouts, 0) << "a task handed to a parked worker never started";
  // A worker goes back to the pool as soon as its task ends, long before a
  // 500 us gap is over; a thread per task would mean the pool is not used.
  EXPECT_LE(threads.size(), 20u);
}

TEST(Runtime, RealPooledThreadTakesEachTasksName) {
  std::vector<std::string> seen;
  RunInWorld(RealOptions(), [&] {
    labrpc::Mutex mu("names");
    const std::vector<std::string> names = {"alpha", "a-name-longer-than-15",
                                            "alpha", "beta"};
    for (int round = 0; round < 3; round++) {
      for (const std::string& name : names) {
        labrpc::WaitGroup wg;
        wg.Add(1);
        labrpc::Go(name, [&] {
          char buf[16] = "";
          pthread_getname_np(pthread_self(), buf, sizeof buf);
          {
            MutexLock l(mu);
            seen.push_back(buf);
          }
          wg.Done();
        });
        wg.Wait();
      }
    }
  });
  ASSERT_EQ(seen.size(), 12u);
  for (size_t i = 0; i < seen.size(); i += 4) {
    EXPECT_EQ(seen[i], "alpha");
    EXPECT_EQ(seen[i + 1], "a-name-longer-t");  // Linux keeps 15 characters
    EXPECT_EQ(seen[i + 2], "alpha");
    EXPECT_EQ(seen[i + 3], "beta");
  }
}

}  // namespace
}  // namespace raftlab_test
