// The calls a task makes (labrpc/task.h), each forwarded to the calling
// task's world's backend.
#include "labrpc/task.h"

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "labrpc/runtime_backend.h"
#include "labrpc/world.h"

namespace labrpc {

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

}  // namespace labrpc
