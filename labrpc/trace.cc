// Debug tracing: topic filter, formatting and the output sink.
#include "labrpc/trace.h"

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "labrpc/runtime.h"
#include "labrpc/runtime_backend.h"

namespace labrpc {
namespace internal {
bool trace_any_enabled = false;
}  // namespace internal

namespace {

struct TraceState {
  bool all = false;
  std::set<std::string, std::less<>> topics;
  std::function<void(const std::string&)> sink;
  FILE* file = nullptr;
  internal::RawLock lock;  // serialises writers under the real backend
};

TraceState& State() {
  static TraceState* state = [] {
    auto* s = new TraceState;
    return s;
  }();
  return *state;
}

struct EnvInit {
  EnvInit() { TraceConfigureFromEnv(); }
} env_init;

}  // namespace

bool TraceEnabled(std::string_view topic) {
  TraceState& s = State();
  return s.all || s.topics.count(topic) > 0;
}

void TraceConfigure(std::string_view topics) {
  TraceState& s = State();
  s.all = false;
  s.topics.clear();
  size_t start = 0;
  while (start <= topics.size()) {
    size_t comma = topics.find(',', start);
    if (comma == std::string_view::npos) comma = topics.size();
    std::string_view t = topics.substr(start, comma - start);
    if (t == "all" || t == "1") {
      s.all = true;
    } else if (!t.empty()) {
      s.topics.emplace(t);
    }
    start = comma + 1;
  }
  internal::trace_any_enabled = s.all || !s.topics.empty();
}

void TraceConfigureFromEnv() {
  const char* topics = std::getenv("LAB_DEBUG");
  TraceConfigure(topics ? topics : "");
  TraceState& s = State();
  const char* path = std::getenv("LAB_DEBUG_FILE");
  if (path != nullptr && *path != '\0' && s.file == nullptr) {
    s.file = std::fopen(path, "w");
    if (s.file == nullptr) std::perror(path);
  }
}

void SetTraceSink(std::function<void(const std::string& line)> sink) {
  State().sink = std::move(sink);
}

namespace {

void Emit(const std::string& line) {
  TraceState& s = State();
  internal::RawLockGuard g(s.lock);
  if (s.sink) {
    s.sink(line);
  } else {
    FILE* out = s.file ? s.file : stderr;
    std::fputs(line.c_str(), out);
    std::fflush(out);
  }
}

}  // namespace

namespace internal {

void TraceWorldStart(const World& world) {
  if (!TraceAnyEnabled()) return;
  const WorldOptions& o = world.options();
  if (o.backend != labrpc::Backend::kSim) {
    Emit(Sprintf("# world: runtime=real seed=%llu\n",
                 static_cast<unsigned long long>(o.seed)));
    return;
  }
  std::string recorded;
  if (o.recorded_schedule_version != 0 &&
      o.recorded_schedule_version != kSimScheduleVersion) {
    recorded =
        Sprintf(" (replaying schedule %llu: will not reproduce)",
                static_cast<unsigned long long>(o.recorded_schedule_version));
  }
  Emit(Sprintf(
      "# world: runtime=sim seed=%llu schedule=%d sim_latency_us=%lld "
      "fuzz=%d%s\n",
      static_cast<unsigned long long>(o.seed), kSimScheduleVersion,
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::microseconds>(o.sim_latency)
              .count()),
      o.fuzz_schedule ? 1 : 0, recorded.c_str()));
}

void TraceWorldEnd(const World& world) {
  if (!TraceAnyEnabled() || world.backend() != labrpc::Backend::kSim) return;
  Emit(Sprintf("# world end: schedule hash %016llx\n",
               static_cast<unsigned long long>(world.TraceHash())));
}

}  // namespace internal

void TraceLineAt(Duration now, std::string_view topic, int peer,
                 const std::string& message) {
  long long us =
      std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  std::string p = peer < 0 ? std::string("--") : Sprintf("S%d", peer);
  std::string line = Sprintf("%06lld.%03lld %-8.*s %s %s\n", us / 1000,
                             us % 1000, static_cast<int>(topic.size()),
                             topic.data(), p.c_str(), message.c_str());
  Emit(line);
}

void TraceLine(std::string_view topic, int peer, const std::string& message) {
  World* world = World::CurrentOrNull();
  TraceLineAt(world ? world->backend_impl().Now() : Duration{}, topic, peer,
              message);
}

std::string Sprintf(const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(nullptr, 0, format, ap);
  va_end(ap);
  std::string out(n > 0 ? n : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), n + 1, format, ap2);
  va_end(ap2);
  return out;
}

}  // namespace labrpc
