// LAB_TIMELINE: the trace of each test in memory, and its timeline page
// when the test fails; see timeline_hook.h.
#include "tests/timeline_hook.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "labrpc/runtime.h"
#include "labrpc/trace.h"
#include "tests/test_world.h"

#ifndef RAFTLAB_SOURCE_DIR
#define RAFTLAB_SOURCE_DIR "."
#endif

namespace raftlab_test {
namespace {

enum class Mode { kOff, kOnFailure, kAlways };

struct Recorder {
  Mode mode = Mode::kOff;
  // The topics LAB_DEBUG asked for, which still go to the user's
  // destination: `all_topics`, or those in `topics`.
  bool all_topics = false;
  std::set<std::string, std::less<>> topics;
  FILE* forward = nullptr;  // nullptr: forward nothing
  std::mutex mu;            // real runtime: tasks trace from many threads
  std::string lines;        // the current test's trace
};

Recorder& State() {
  static Recorder* r = new Recorder;
  return *r;
}

// The topic of a trace line "<time> <topic> <peer> ...", or "" for a
// header or footer line ("# world ...").
std::string_view TopicOf(std::string_view line) {
  if (line.empty() || line[0] == '#') return "";
  const size_t a = line.find(' ');
  if (a == std::string_view::npos) return "";
  const size_t b = line.find(' ', a + 1);
  return line.substr(a + 1, b == std::string_view::npos ? b : b - a - 1);
}

void Record(const std::string& line) {
  Recorder& r = State();
  std::lock_guard<std::mutex> g(r.mu);
  r.lines += line;
  if (r.forward == nullptr) return;
  const std::string_view topic = TopicOf(line);
  if (r.all_topics || topic.empty() || r.topics.count(topic) > 0) {
    std::fputs(line.c_str(), r.forward);
    std::fflush(r.forward);
  }
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string OutputDir() {
  for (const char* var : {"LAB_TIMELINE_DIR", "TMPDIR"}) {
    const char* v = std::getenv(var);
    if (v != nullptr && *v != '\0') return v;
  }
  return "/tmp";
}

void WritePage(const ::testing::TestInfo& info) {
  Recorder& r = State();
  std::string trace;
  {
    std::lock_guard<std::mutex> g(r.mu);
    trace = r.lines;
  }
  const labrpc::WorldOptions& o = LastWorldOptions();
  const std::string stem = std::string(info.test_suite_name()) + "." +
                           info.name() + "-" + labrpc::BackendName(o.backend) +
                           "-s" + std::to_string(o.seed);
  const std::string html = FreshHtmlPath(OutputDir(), stem);
  if (html.empty()) {
    std::printf("info: failed to create a file for the timeline in %s: %s\n",
                OutputDir().c_str(), std::strerror(errno));
    std::fflush(stdout);
    return;
  }
  const std::string trace_path = html.substr(0, html.size() - 5) + ".trace";
  FILE* f = std::fopen(trace_path.c_str(), "w");
  if (f == nullptr ||
      std::fwrite(trace.data(), 1, trace.size(), f) != trace.size()) {
    std::printf("info: failed to write the trace to %s: %s\n",
                trace_path.c_str(), std::strerror(errno));
    if (f != nullptr) std::fclose(f);
    std::fflush(stdout);
    return;
  }
  std::fclose(f);
  // The page is drawn by the same script a student runs by hand, so there
  // is one reading of the trace, not two.
  const std::string script =
      std::string(RAFTLAB_SOURCE_DIR) + "/scripts/timeline.py";
  const std::string title =
      std::string(info.test_suite_name()) + "." + info.name() + " (" +
      labrpc::BackendName(o.backend) + ", seed " + std::to_string(o.seed) + ")";
  const std::string cmd = "python3 " + ShellQuote(script) + " " +
                          ShellQuote(trace_path) + " -o " + ShellQuote(html) +
                          " --title " + ShellQuote(title) + " --quiet";
  std::fflush(stdout);
  const int status = std::system(cmd.c_str());
  if (status == 0) {
    std::printf("info: wrote timeline to %s\n", html.c_str());
  } else {
    std::printf(
        "info: failed to write the timeline (%s exited with status %d); "
        "the trace is in %s\n",
        script.c_str(), status, trace_path.c_str());
  }
  std::fflush(stdout);
}

class TimelineWriter : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo& /*info*/) override {
    Recorder& r = State();
    std::lock_guard<std::mutex> g(r.mu);
    r.lines.clear();
  }
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (State().mode == Mode::kAlways || info.result()->Failed()) {
      WritePage(info);
    }
  }
};

}  // namespace

void InstallTimelineHook() {
  const char* v = std::getenv("LAB_TIMELINE");
  const std::string_view mode = v == nullptr ? "" : v;
  if (mode.empty() || mode == "0") return;
  if (mode != "1" && mode != "all") {
    std::fprintf(stderr,
                 "LAB_TIMELINE='%s': use 1 (a failing test writes its "
                 "timeline) or all (every test does)\n",
                 std::string(mode).c_str());
    std::exit(2);
  }
  Recorder& r = State();
  r.mode = mode == "all" ? Mode::kAlways : Mode::kOnFailure;
  const char* debug = std::getenv("LAB_DEBUG");
  std::string_view topics = debug == nullptr ? "" : debug;
  while (!topics.empty()) {
    const size_t comma = topics.find(',');
    const std::string_view t = topics.substr(0, comma);
    topics = comma == std::string_view::npos ? "" : topics.substr(comma + 1);
    if (t == "all" || t == "1") {
      r.all_topics = true;
    } else if (!t.empty()) {
      r.topics.emplace(t);
    }
  }
  if (r.all_topics || !r.topics.empty()) {
    const char* file = std::getenv("LAB_DEBUG_FILE");
    // The trace module opened (and truncated) that file already; append.
    r.forward =
        file != nullptr && *file != '\0' ? std::fopen(file, "a") : stderr;
    if (r.forward == nullptr) std::perror(file);
  }
  labrpc::TraceConfigure("all");
  labrpc::SetTraceSink(Record);
  ::testing::UnitTest::GetInstance()->listeners().Append(new TimelineWriter);
}

void WriteTimelineNow(const ::testing::TestInfo& info) {
  if (State().mode != Mode::kOff) WritePage(info);
}

}  // namespace raftlab_test
