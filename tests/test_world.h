// Glue between GoogleTest and the runtime: run a test body as the root task
// of a fresh World, and turn any task's failure into a test failure.
#ifndef RAFTLAB_TESTS_TEST_WORLD_H_
#define RAFTLAB_TESTS_TEST_WORLD_H_

#include <functional>
#include <source_location>
#include <string>

#include "labrpc/runtime.h"

namespace raftlab_test {

// Where a check was called from. The harnesses' check helpers take one as
// their last argument, defaulted at the call, and hand it to Fatal: the
// failure then names the test's own line, not the helper's (of several
// CheckOneLeader calls in a test, the one that failed).
using Location = std::source_location;

// Thrown by Fatal() to end the current test at once, from any task.
struct FatalFailure {
  std::string message;
  Location where;
};

// Records a test failure with `message` at `where` and ends the current test
// (the whole world unwinds), like Go's t.Fatalf. Callable from any task.
// Traces "FAIL <file:line>: <message>" (topic "test") at the world's time.
[[noreturn]] void Fatal(const std::string& message,
                        Location where = Location::current());

// `file` (a Location's file_name()) relative to the repository, e.g.
// "tests/raft_2a_test.cc" for "../tests/raft_2a_test.cc" or an absolute
// path, so that messages read the same whatever the build folder.
std::string RepoPath(const char* file);

// A fresh, empty file <dir>/<stem>-XXXXXX.html (mkstemps; like Go's
// os.CreateTemp(dir, stem + "-*.html")) for a page a test writes: a
// history picture, a timeline. "" if it cannot be made (errno says why).
std::string FreshHtmlPath(const std::string& dir, const std::string& stem);

// Runs `body` as the root task of a World made from the environment
// (LAB_RUNTIME, LAB_SEED, ...). Any exception that ends a task fails the test
// with its message. Remembers the options so that a failure can print the
// command that replays it.
void RunInWorld(const std::function<void()>& body);
void RunInWorld(const labrpc::WorldOptions& options,
                const std::function<void()>& body);

// The options of the world the current (or last) test ran in.
const labrpc::WorldOptions& LastWorldOptions();

// One step of a harness's Cleanup(quiet): runs `fn`. On the unwinding path
// (quiet) the exception in flight is the test's failure, so a second one
// (e.g. Cancelled, as the world is stopping) is swallowed here.
inline void CleanupStep(bool quiet, const std::function<void()>& fn) {
  if (!quiet) {
    fn();
    return;
  }
  try {
    fn();
  } catch (...) {
  }
}

// Runs a harness-based test in a fresh world: `make()` builds the harness
// (a pointer-like handle with Cleanup(bool quiet)), `body(cfg)` runs the
// test, then the harness is cleaned up, also when the body fails. On that
// path Cleanup(/*quiet=*/true) must not block or throw, since the world may
// already be stopping and the failure in flight is the one to report.
template <class Make, class Body>
void RunWithHarness(const labrpc::WorldOptions& options, const Make& make,
                    const Body& body) {
  RunInWorld(options, [&] {
    auto cfg = make();
    try {
      body(cfg);
    } catch (...) {
      cfg->Cleanup(/*quiet=*/true);
      throw;
    }
    cfg->Cleanup();
  });
}

}  // namespace raftlab_test

#endif  // RAFTLAB_TESTS_TEST_WORLD_H_
