// The runtime's front end: World, the free functions and the Mutex, CondVar
// and WaitGroup wrappers, all forwarding to the world's backend.
#include "labrpc/runtime.h"

#include <atomic>
#include <cinttypes>
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

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Rng::Rng(uint64_t seed) {
  for (uint64_t& s : s_) s = SplitMix64(seed);
}

uint64_t Rng::Next() {
  uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

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

std::string FormatDuration(Duration d) {
  long long ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%03llds", ms / 1000,
                (ms < 0 ? -ms : ms) % 1000);
  return buf;
}

void ReportStuck(const WorldOptions& options, const std::string& report) {
  if (options.on_stuck) options.on_stuck(report);
  std::fprintf(stderr, "%s\n", report.c_str());
  std::fflush(stderr);
  std::abort();
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

void Go(std::string name, std::function<void()> fn) {
  World::Current().backend_impl().Go(std::move(name), std::move(fn));
}

void AfterFunc(Duration delay, std::function<void()> fn) {
  World::Current().backend_impl().AfterFunc(delay, std::move(fn));
}

void Sleep(Duration d) { World::Current().backend_impl().Sleep(d); }

void Yield() { World::Current().backend_impl().Yield(); }

CpuBoundSection::CpuBoundSection() {
  if (World* w = World::CurrentOrNull()) w->backend_impl().EnterCpuBound();
}

CpuBoundSection::~CpuBoundSection() {
  if (World* w = World::CurrentOrNull()) w->backend_impl().LeaveCpuBound();
}

Duration Now() { return World::Current().backend_impl().Now(); }

uint64_t RandUint64() { return World::Current().backend_impl().RandUint64(); }

int64_t RandInt(int64_t n) {
  if (n <= 0) throw MisuseError("RandInt(n) needs n > 0");
  // Rejection sampling keeps the draw exactly uniform.
  uint64_t un = static_cast<uint64_t>(n);
  uint64_t limit = UINT64_MAX - UINT64_MAX % un;
  uint64_t r;
  do {
    r = RandUint64();
  } while (r >= limit);
  return static_cast<int64_t>(r % un);
}

std::string CurrentTaskName() {
  return World::Current().backend_impl().CurrentTaskName();
}

bool Stopping() { return World::Current().backend_impl().Stopping(); }

Mutex::Mutex(std::string name)
    : impl_(World::Current().backend_impl().NewMutex(std::move(name))) {}
Mutex::~Mutex() = default;
void Mutex::Lock() { impl_->Lock(); }
void Mutex::Unlock() { impl_->Unlock(); }
bool Mutex::TryLock() { return impl_->TryLock(); }
bool Mutex::HeldByMe() const { return impl_->HeldByMe(); }

void Mutex::FailNotHeld(const char* who) const {
  throw MisuseError(std::string(who) + " requires mutex \"" + impl_->name() +
                    "\", but the calling task (" + CurrentTaskName() +
                    ") does not hold it: lock it before the call");
}

CondVar::CondVar(std::string name)
    : impl_(World::Current().backend_impl().NewCondVar(std::move(name))) {}
CondVar::~CondVar() = default;
void CondVar::Wait(Mutex& mu) { impl_->Wait(*mu.impl_); }
bool CondVar::WaitFor(Mutex& mu, Duration timeout) {
  return impl_->WaitFor(*mu.impl_, timeout);
}
void CondVar::NotifyOne() { impl_->NotifyOne(); }
void CondVar::NotifyAll() { impl_->NotifyAll(); }

WaitGroup::WaitGroup() : mu_("waitgroup"), cv_("waitgroup") {}

void WaitGroup::Add(int n) {
  MutexLock l(mu_);
  count_ += n;
  if (count_ < 0) throw MisuseError("WaitGroup counter went negative");
  if (count_ == 0) cv_.NotifyAll();
}

void WaitGroup::Done() { Add(-1); }

void WaitGroup::Wait() {
  MutexLock l(mu_);
  while (count_ > 0) cv_.Wait(mu_);
}

}  // namespace labrpc
