// Helpers shared by the runtime's own tests (runtime_test.cc and
// channel_test.cc): backend queries, substring assertions, a destructor
// counter that proves a cancelled task unwound, and a way to run a World that
// is expected to fail with a given exception.
#ifndef RAFTLAB_TESTS_RUNTIME_TEST_UTIL_H_
#define RAFTLAB_TESTS_RUNTIME_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>

#include "labrpc/runtime.h"

namespace raftlab_test {

// Options for a sim world with `seed`, whatever LAB_RUNTIME says: for tests
// about sim-only behaviour (virtual time, determinism, deadlock reports).
inline labrpc::WorldOptions SimOptions(uint64_t seed = 1) {
  labrpc::WorldOptions o;
  o.backend = labrpc::Backend::kSim;
  o.seed = seed;
  return o;
}

// True if the calling task runs under the sim backend.
inline bool InSim() {
  return labrpc::World::Current().backend() == labrpc::Backend::kSim;
}

// Succeeds if `haystack` contains `needle`; the failure shows both.
inline ::testing::AssertionResult Contains(const std::string& haystack,
                                           const std::string& needle) {
  if (haystack.find(needle) != std::string::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "'" << needle << "' not found in:\n"
                                       << haystack;
}

// Increments a counter owned outside the world when destroyed. A task that
// holds one on its stack and is cancelled proves, by the count, that it
// unwound rather than being abandoned.
class DtorCounter {
 public:
  explicit DtorCounter(std::atomic<int>* counter) : counter_(counter) {}
  ~DtorCounter() { counter_->fetch_add(1); }
  DtorCounter(const DtorCounter&) = delete;
  DtorCounter& operator=(const DtorCounter&) = delete;

 private:
  std::atomic<int>* counter_;
};

// Runs `root` in a fresh World made from `options` and returns what() of the
// E that Run throws. Records a test failure (and returns "") if Run returns
// normally or throws something else.
template <typename E>
std::string ExpectRunThrows(const labrpc::WorldOptions& options,
                            const std::function<void()>& root) {
  labrpc::World world(options);
  try {
    world.Run(root);
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "World::Run threw the wrong exception: " << e.what();
    return "";
  } catch (...) {
    ADD_FAILURE() << "World::Run threw a non-std::exception";
    return "";
  }
  ADD_FAILURE() << "World::Run returned normally";
  return "";
}

// Waits (sleeping 1 ms between checks, so virtual time advances under sim)
// until `pred` holds; false if it still does not after `timeout`. For real
// tests that must not assume another thread has run within a fixed delay.
inline bool WaitUntil(const std::function<bool()>& pred,
                      labrpc::Duration timeout) {
  labrpc::Duration deadline = labrpc::Now() + timeout;
  while (!pred()) {
    if (labrpc::Now() >= deadline) return false;
    labrpc::Sleep(std::chrono::milliseconds(1));
  }
  return true;
}

// Milliseconds as the runtime's Duration, for terse arithmetic in tests.
inline labrpc::Duration Ms(int64_t ms) { return std::chrono::milliseconds(ms); }

}  // namespace raftlab_test

#endif  // RAFTLAB_TESTS_RUNTIME_TEST_UTIL_H_
