// The pieces both backends share (labrpc/runtime_backend.h): the seeded
// generator, duration formatting for reports, and what a stuck world does.
#include "labrpc/runtime_backend.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "labrpc/runtime.h"

namespace labrpc {
namespace internal {
namespace {

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
}  // namespace labrpc
