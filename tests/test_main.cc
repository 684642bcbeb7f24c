// The main() of every test binary: GoogleTest plus a listener that prints
// the exact command replaying a failed test (backend, seed, filter).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "tests/test_world.h"

namespace raftlab_test {
namespace {

labrpc::WorldOptions last_options;
bool have_last_options = false;
std::string program;

class ReplayPrinter : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (!info.result()->Failed() || !have_last_options) return;
    const labrpc::WorldOptions& o = last_options;
    std::printf(
        "replay: LAB_RUNTIME=%s LAB_SEED=%llu%s %s --gtest_filter=%s.%s\n",
        labrpc::BackendName(o.backend), static_cast<unsigned long long>(o.seed),
        o.fuzz_schedule ? " LAB_FUZZ=1" : "", program.c_str(),
        info.test_suite_name(), info.name());
    if (o.backend == labrpc::Backend::kReal) {
      std::printf(
          "  (real runs are not deterministic; the seed only fixes "
          "the random draws)\n");
    }
    std::fflush(stdout);
  }
};

}  // namespace

void Fatal(const std::string& message) { throw FatalFailure{message}; }

void RunInWorld(const std::function<void()>& body) {
  RunInWorld(labrpc::WorldOptions::FromEnv(), body);
}

void RunInWorld(const labrpc::WorldOptions& options,
                const std::function<void()>& body) {
  last_options = options;
  have_last_options = true;
  labrpc::World world(options);
  try {
    world.Run(body);
  } catch (const FatalFailure& f) {
    ADD_FAILURE() << f.message;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "task failed: " << e.what();
  } catch (const labrpc::Cancelled&) {
    ADD_FAILURE() << "labrpc::Cancelled escaped the world";
  }
}

const labrpc::WorldOptions& LastWorldOptions() { return last_options; }

}  // namespace raftlab_test

int main(int argc, char** argv) {
  raftlab_test::program = argv[0];
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::UnitTest::GetInstance()->listeners().Append(
      new raftlab_test::ReplayPrinter);
  return RUN_ALL_TESTS();
}
