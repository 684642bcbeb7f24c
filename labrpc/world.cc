// World and WorldOptions (labrpc/world.h): reading the options from the
// environment, choosing the backend, and which world the calling OS thread
// runs a task of.
#include "labrpc/world.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "labrpc/runtime_backend.h"
#include "labrpc/trace.h"

namespace labrpc {
namespace internal {
namespace {
thread_local World* current_world = nullptr;
}  // namespace

void SetCurrentWorld(World* world) { current_world = world; }

void ThrowNoWorld() {
  throw MisuseError(
      "labrpc runtime object used from an OS thread that is not running a "
      "task of its World. Lab code must run in tasks started with "
      "labrpc::Go inside World::Run; std::thread is not allowed (under "
      "sim every task is a fiber on the world's own thread).");
}

void CheckCaller(const World* world) {
  if (current_world == world) return;
  if (current_world == nullptr) ThrowNoWorld();
  throw MisuseError(
      "labrpc runtime object used by a task of another World; runtime "
      "objects belong to the world that was running when they were made.");
}

}  // namespace internal

const char* BackendName(Backend backend) {
  return backend == Backend::kReal ? "real" : "sim";
}

namespace {

uint64_t ParseUint(const char* name, const char* value) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(value, &end, 10);
  if (errno != 0 || end == value || *end != '\0' || value[0] == '-') {
    throw MisuseError(std::string(name) + "='" + value +
                      "' is not a non-negative integer");
  }
  return v;
}

}  // namespace

WorldOptions WorldOptions::FromEnv() {
  WorldOptions o;
  if (const char* rt = std::getenv("LAB_RUNTIME"); rt && *rt) {
    std::string v(rt);
    if (v == "real") {
      o.backend = Backend::kReal;
    } else if (v == "sim") {
      o.backend = Backend::kSim;
    } else {
      throw MisuseError("LAB_RUNTIME='" + v + "': expected real or sim");
    }
  }
  if (const char* seed = std::getenv("LAB_SEED"); seed && *seed) {
    o.seed = ParseUint("LAB_SEED", seed);
  } else {
    std::random_device rd;
    o.seed = (static_cast<uint64_t>(rd()) << 32 | rd()) % 1000000000000ULL;
  }
  if (const char* fuzz = std::getenv("LAB_FUZZ"); fuzz && *fuzz) {
    o.fuzz_schedule = ParseUint("LAB_FUZZ", fuzz) != 0;
  }
  if (const char* ms = std::getenv("LAB_MUTEX_LIMIT_MS"); ms && *ms) {
    o.mutex_hold_limit =
        std::chrono::milliseconds(ParseUint("LAB_MUTEX_LIMIT_MS", ms));
  }
  if (const char* us = std::getenv("LAB_SIM_LATENCY"); us && *us) {
    const uint64_t v = ParseUint("LAB_SIM_LATENCY", us);
    if (v > 10'000'000) {
      throw MisuseError("LAB_SIM_LATENCY='" + std::string(us) +
                        "': at most 10000000 (microseconds, i.e. 10 s)");
    }
    o.sim_latency = std::chrono::microseconds(v);
  }
  if (const char* v = std::getenv("LAB_SCHEDULE_VERSION"); v && *v) {
    o.recorded_schedule_version = ParseUint("LAB_SCHEDULE_VERSION", v);
    static std::atomic<bool> warned{false};
    if (o.backend == Backend::kSim &&
        o.recorded_schedule_version != kSimScheduleVersion &&
        !warned.exchange(true)) {
      std::fprintf(stderr,
                   "labrpc: WARNING: LAB_SCHEDULE_VERSION=%llu, but this "
                   "build's sim schedule version is %d: seed %llu will NOT "
                   "reproduce the recorded execution (the runtime, fabric or "
                   "harness changed what a seed does since). Running it as a "
                   "new execution.\n",
                   static_cast<unsigned long long>(o.recorded_schedule_version),
                   kSimScheduleVersion,
                   static_cast<unsigned long long>(o.seed));
    }
  }
  return o;
}

World::World(const WorldOptions& options) : options_(options) {
  impl_ = options.backend == Backend::kReal
              ? internal::NewRealBackend(this, options)
              : internal::NewSimBackend(this, options);
}

World::~World() = default;

void World::Run(std::function<void()> root) {
  if (ran_) throw MisuseError("World::Run may be called only once");
  if (internal::current_world != nullptr) {
    throw MisuseError("World::Run called from inside a running world");
  }
  ran_ = true;
  internal::SetCurrentWorld(this);
  struct Reset {
    ~Reset() { internal::SetCurrentWorld(nullptr); }
  } reset;
  internal::TraceWorldStart(*this);
  struct Footer {
    const World* world;
    ~Footer() { internal::TraceWorldEnd(*world); }
  } footer{this};
  impl_->Run(std::move(root));
}

uint64_t World::TraceHash() const { return impl_->TraceHash(); }

World* World::CurrentOrNull() { return internal::current_world; }

World& World::Current() {
  if (internal::current_world == nullptr) internal::ThrowNoWorld();
  return *internal::current_world;
}

}  // namespace labrpc
