// The sim backend's timed calls: Sleep and AfterFunc put a timer on the
// scheduler's heap (scheduler.cc), which fires it once no task is ready and
// the virtual clock has jumped to it.
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "labrpc/runtime.h"
#include "labrpc/runtime_backend.h"
#include "labrpc/sanitizer_fiber.h"
#include "labrpc/sim/backend.h"

namespace labrpc {
namespace internal {
namespace sim {

std::optional<Duration> Deadline(Duration now, Duration d) {
  d = std::max(d, Duration::zero());
  if (d >= Duration::max() - now) return std::nullopt;
  return now + d;
}

void SimBackend::AfterFunc(Duration delay, std::function<void()> fn) {
  TsanIgnoreScope ignore;
  Enter();
  std::optional<Duration> when = Deadline(now_, delay);
  if (!when) return;  // never
  if constexpr (kTsanFibers) {
    // The caller happens before fn starts. The timer fires in the
    // scheduler, which must not pass that on to the tasks it runs, so fn
    // acquires it itself.
    auto sync = std::make_shared<char>(0);
    TsanRelease(sync.get());
    fn = [sync, fn = std::move(fn)] {
      TsanAcquire(sync.get());
      fn();
    };
  }
  timers_.push(Timer{*when, next_timer_seq_++, 0, 0, std::move(fn)});
}

void SimBackend::Sleep(Duration d) {
  TsanIgnoreScope ignore;
  SimTask* me = Enter();
  if (stopping_) throw Cancelled{};
  if (d <= Duration::zero()) return;
  std::optional<Duration> until = Deadline(now_, d);
  if (until) AddWakeTimer(*until, me, me->token + 1);
  Block(until ? "Sleep until " + FormatDuration(*until)
              : std::string("Sleep forever"),
        true);
  if (me->cancelled) throw Cancelled{};
}

}  // namespace sim
}  // namespace internal
}  // namespace labrpc
