// One TCP connection of a TcpTransport (tcp_internal.h): connecting,
// framing, writing in batches, delivering replies to waiting calls and
// serving requests in tasks of their own.
#include <boost/asio/write.hpp>
#include <cctype>
#include <cstdio>
#include <optional>
#include <string_view>

#include "deploy/tcp_internal.h"

namespace deploy {
namespace internal {

std::string Lowercased(std::string s) {
  if (!s.empty()) {
    s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  }
  return s;
}

std::string EndpointName(const tcp::endpoint& e) {
  const asio::ip::address a = e.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" +
         std::to_string(e.port());
}

Connection::Connection(std::shared_ptr<TcpState> state, Side side,
                       std::string peer, tcp::socket socket)
    : state_(std::move(state)),
      side_(side),
      peer_(std::move(peer)),
      socket_(std::move(socket)),
      connect_timer_(state_->io),
      decoder_(state_->options.max_frame_bytes) {}

void Connection::Connect(const tcp::endpoint& endpoint) {
  phase_ = Phase::kConnecting;
  auto self = shared_from_this();
  connect_timer_.expires_after(state_->options.connect_timeout);
  connect_timer_.async_wait([self](const boost::system::error_code& ec) {
    if (ec || self->phase_ != Phase::kConnecting) return;
    self->Fail("no connection within the connect timeout", false);
  });
  socket_.async_connect(endpoint, [self](const boost::system::error_code& ec) {
    if (self->phase_ != Phase::kConnecting) return;
    self->connect_timer_.cancel();
    if (ec) {
      self->Fail(Lowercased(ec.message()), false);
      return;
    }
    self->Opened();
  });
}

void Connection::Opened() {
  phase_ = Phase::kOpen;
  boost::system::error_code ignored;
  // Small RPCs, each waited for: send them at once, not after Nagle's delay.
  socket_.set_option(tcp::no_delay(true), ignored);
  Read();
  Flush();
}

void Connection::Send(std::string bytes) {
  if (closed()) return;
  queued_ += bytes;
  if (phase_ == Phase::kOpen && !writing_) Flush();
}

void Connection::Fail(const std::string& why, bool report) {
  if (closed()) return;
  phase_ = Phase::kClosed;
  if (report) {
    std::fprintf(
        stderr, "tcp transport%s%s: closing the connection %s %s: %s\n",
        state_->listen_name.empty() ? "" : " ", state_->listen_name.c_str(),
        side_ == Side::kIncoming ? "from" : "to", peer_.c_str(), why.c_str());
  }
  boost::system::error_code ignored;
  connect_timer_.cancel();
  socket_.close(ignored);
  auto self = shared_from_this();  // the tables below may hold the last ref
  if (side_ == Side::kIncoming) {
    state_->incoming.erase(this);
    return;
  }
  auto it = state_->outgoing.find(peer_);
  if (it != state_->outgoing.end() && it->second.get() == this) {
    state_->outgoing.erase(it);
  }
  labrpc::MutexLock l(state_->mu);
  for (auto& [id, call] : state_->calls) {
    if (call->conn != this || call->done) continue;
    call->done = true;
    call->ok = false;
    call->conn = nullptr;
    call->cv.NotifyAll();
  }
}

void Connection::Flush() {
  if (queued_.empty() || closed()) return;
  writing_ = true;
  writing_buf_.swap(queued_);
  queued_.clear();
  auto self = shared_from_this();
  asio::async_write(socket_, asio::buffer(writing_buf_),
                    [self](const boost::system::error_code& ec, size_t) {
                      self->writing_ = false;
                      self->writing_buf_.clear();
                      if (ec) {
                        self->Fail("write failed: " + Lowercased(ec.message()),
                                   false);
                        return;
                      }
                      self->Flush();
                    });
}

void Connection::Read() {
  auto self = shared_from_this();
  socket_.async_read_some(
      asio::buffer(read_buf_),
      [self](const boost::system::error_code& ec, size_t n) {
        if (self->closed()) return;
        if (ec) {
          // A peer that closes between frames is an ordinary end (a
          // client done, a server stopped); in the middle of one, the
          // peer died or misbehaved, which the listener reports.
          const bool mid_frame = !self->decoder_.idle();
          self->Fail(ec == asio::error::eof
                         ? "the peer closed it in the middle of a frame"
                         : "read failed: " + Lowercased(ec.message()),
                     mid_frame && self->side_ == Side::kIncoming);
          return;
        }
        self->decoder_.Feed(std::string_view(self->read_buf_.data(), n));
        try {
          while (std::optional<Frame> f = self->decoder_.Next()) {
            self->Deliver(std::move(*f));
            if (self->closed()) return;
          }
        } catch (const FrameError& e) {
          self->Fail(e.what(), true);
          return;
        }
        self->Read();
      });
}

void Connection::Deliver(Frame f) {
  if (side_ == Side::kIncoming) {
    if (f.kind != FrameKind::kRequest) {
      Fail("it sent a reply frame (" + f.method + "), not a request", true);
      return;
    }
    Serve(std::move(f));
    return;
  }
  if (f.kind == FrameKind::kRequest) {
    Fail("it sent a request frame (" + f.method + ") on our connection", true);
    return;
  }
  if (f.kind == FrameKind::kError) {
    std::fprintf(stderr, "tcp transport: %s at %s failed: %s\n",
                 f.method.c_str(), peer_.c_str(), f.body.c_str());
  }
  labrpc::MutexLock l(state_->mu);
  auto it = state_->calls.find(f.request_id);
  // A call that gave up (timeout, filter) is gone: drop its late reply.
  if (it == state_->calls.end() || it->second->done) return;
  PendingCall& call = *it->second;
  call.done = true;
  call.ok = f.kind == FrameKind::kReply;
  call.reply = std::move(f.body);
  call.conn = nullptr;
  call.cv.NotifyAll();
}

void Connection::Serve(Frame f) {
  labrpc::Go("tcp serve " + f.method, [self = shared_from_this(),
                                       server = state_->server,
                                       f = std::move(f)]() mutable {
    labrpc::internal::Request req;
    req.svc_meth = f.method;  // null types: no type check (header)
    req.args = std::move(f.body);
    labrpc::internal::DispatchResult result = server->Dispatch(req);
    Frame reply{f.request_id, FrameKind::kReply, f.method,
                std::move(result.reply)};
    if (!result.ok) {
      reply.kind = FrameKind::kError;
      reply.body = "the server could not run it (see its log)";
    }
    std::string bytes;
    const size_t limit = self->state_->options.max_frame_bytes;
    try {
      bytes = EncodeFrame(reply, limit);
    } catch (const FrameError& e) {
      std::fprintf(stderr,
                   "tcp transport %s: reply to %s from %s not sent: %s\n",
                   self->state_->listen_name.c_str(), f.method.c_str(),
                   self->peer_.c_str(), e.what());
      reply.kind = FrameKind::kError;
      reply.body = "its reply is larger than the frame limit";
      bytes = EncodeFrame(reply, limit);
    }
    labrpc::MutexLock l(self->state_->mu);
    self->state_->PostLocked([self, bytes = std::move(bytes)]() mutable {
      self->Send(std::move(bytes));
    });
  });
}

}  // namespace internal
}  // namespace deploy
