// The real backend's time: AfterFunc's timers, which run on one Boost.Asio
// io_context thread started on first use, and Sleep, a futex wait with a
// deadline that a stop request cuts short.
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>
#include <utility>

#include "labrpc/real/backend.h"
#include "labrpc/real/futex.h"
#include "labrpc/runtime.h"

namespace labrpc {
namespace internal {
namespace real {

void RealBackend::AfterFunc(Duration delay, std::function<void()> fn) {
  Check();
  std::lock_guard<std::mutex> l(timer_mu_);
  if (stop_.stop_requested()) return;
  if (!io_) {
    io_.emplace();
    work_.emplace(boost::asio::make_work_guard(*io_));
    io_thread_ = std::thread([this] { io_->run(); });
  }
  auto timer =
      std::make_shared<boost::asio::steady_timer>(*io_, ClampWait(delay));
  // A timer still pending when the world stops is dropped by StopTimers.
  timer->async_wait([this, timer, fn = std::move(fn)](
                        const boost::system::error_code& ec) mutable {
    if (ec || stop_.stop_requested()) return;
    Go("afterfunc", std::move(fn));
  });
}

void RealBackend::Sleep(Duration d) {
  Check();
  if (stop_requested()) throw Cancelled{};
  if (d <= Duration::zero()) return;
  const Clock::time_point deadline = Clock::now() + ClampWait(d);
  BlockedOn blocked(WaitKind::kSleep, nullptr, nullptr, d);
  std::atomic<uint32_t> stopped{0};
  std::stop_callback on_stop(stop_token_, [&stopped] {
    stopped.store(1);
    FutexWake(&stopped, 1);
  });
  while (stopped.load() == 0 && FutexWait(&stopped, 0, &deadline)) {
  }
  if (stop_requested()) throw Cancelled{};
}

void RealBackend::StopTimers() {
  std::lock_guard<std::mutex> l(timer_mu_);
  if (!io_) return;
  work_.reset();
  io_->stop();
  if (io_thread_.joinable()) io_thread_.join();
  io_.reset();
}

}  // namespace real
}  // namespace internal
}  // namespace labrpc
