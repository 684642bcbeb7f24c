// Channel<T>: Go-style channels built on the runtime's Mutex and CondVar, so
// they behave the same under both backends.
//
//   labrpc::Channel<int> ch;        // unbuffered: Send waits for a receiver
//   labrpc::Channel<int> q(16);     // buffered: Send waits only when full
//   labrpc::Go([&] { ch.Send(1); ch.Close(); });
//   while (auto v = ch.Receive()) use(*v);   // nullopt once closed and empty
#ifndef RAFTLAB_LABRPC_CHANNEL_H_
#define RAFTLAB_LABRPC_CHANNEL_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "labrpc/runtime.h"

namespace labrpc {

enum class RecvStatus { kOk, kTimeout, kClosed };

template <typename T>
class Channel {
 public:
  // capacity 0 makes an unbuffered channel.
  explicit Channel(size_t capacity = 0, std::string name = "channel")
      : capacity_(capacity),
        mu_(name),
        readable_(name + ".recv"),
        writable_(name + ".send") {}

  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Sends v. Unbuffered: returns once a receiver has taken it. Buffered:
  // returns once it is in the buffer. Sending on a closed channel throws
  // MisuseError, as Go panics.
  void Send(T v) {
    MutexLock l(mu_);
    if (capacity_ > 0) {
      while (!closed_ && items_.size() >= capacity_) writable_.Wait(mu_);
    }
    if (closed_) throw MisuseError("send on closed channel");
    items_.push_back(std::move(v));
    uint64_t ticket = ++pushed_;
    readable_.NotifyOne();
    if (capacity_ == 0) {
      while (popped_ < ticket) writable_.Wait(mu_);
    }
  }

  // Receives the next value, waiting for one; nullopt once the channel is
  // closed and drained.
  std::optional<T> Receive() {
    MutexLock l(mu_);
    while (items_.empty() && !closed_) readable_.Wait(mu_);
    return PopLocked();
  }

  // As Receive, but waits at most `timeout`.
  RecvStatus ReceiveFor(Duration timeout, T* out) {
    MutexLock l(mu_);
    // Saturate: a timeout near Duration::max() means "no deadline" and must
    // not wrap around into the past.
    Duration now = Now();
    Duration deadline =
        timeout >= Duration::max() - now ? Duration::max() : now + timeout;
    while (items_.empty() && !closed_) {
      Duration left = deadline - Now();
      if (left <= Duration::zero() || !readable_.WaitFor(mu_, left)) {
        if (items_.empty() && !closed_) return RecvStatus::kTimeout;
      }
    }
    std::optional<T> v = PopLocked();
    if (!v) return RecvStatus::kClosed;
    *out = std::move(*v);
    return RecvStatus::kOk;
  }

  // Receives without waiting; nullopt if nothing is ready.
  std::optional<T> TryReceive() {
    MutexLock l(mu_);
    return PopLocked();
  }

  // Closes the channel: receivers drain what is left and then get nullopt.
  void Close() {
    MutexLock l(mu_);
    if (closed_) throw MisuseError("close of closed channel");
    closed_ = true;
    readable_.NotifyAll();
    writable_.NotifyAll();
  }

  bool closed() {
    MutexLock l(mu_);
    return closed_;
  }

  size_t size() {
    MutexLock l(mu_);
    return items_.size();
  }

 private:
  std::optional<T> PopLocked() {
    LAB_ASSERT_HELD(mu_);
    if (items_.empty()) return std::nullopt;
    std::optional<T> v(std::move(items_.front()));
    items_.pop_front();
    popped_++;
    writable_.NotifyAll();
    return v;
  }

  const size_t capacity_;
  Mutex mu_;
  CondVar readable_;  // signalled when an item arrives or on close
  CondVar writable_;  // signalled when an item leaves or on close
  std::deque<T> items_;
  bool closed_ = false;
  uint64_t pushed_ = 0;  // items ever sent; an unbuffered sender's ticket
  uint64_t popped_ = 0;  // items ever received; FIFO, so ticket <= popped_
                         // means that sender's item was taken
};

}  // namespace labrpc

#endif  // RAFTLAB_LABRPC_CHANNEL_H_
