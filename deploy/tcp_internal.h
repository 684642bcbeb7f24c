// Internal to deploy_tcp (tcp_transport.cc, tcp_connection.cc): the state a
// TcpTransport shares with its I/O task and its connections. Two kinds of
// code touch it:
//
//   callers (any task): TcpState::Call registers a PendingCall under mu,
//     posts the encoded request to the io_context and waits on the call's
//     CondVar until a reply, a failure, the filter, Close or call_timeout
//     ends the wait.
//   the I/O task: runs the io_context; owns every socket, the listener and
//     the connection table; completes PendingCalls under mu and starts one
//     labrpc task per incoming request.
//
// Everything marked "io only" is touched by the I/O task alone (or by a
// caller before it hands the object over with asio::post), so it needs no
// lock; mu guards what callers and the I/O task share.
#ifndef RAFTLAB_DEPLOY_TCP_INTERNAL_H_
#define RAFTLAB_DEPLOY_TCP_INTERNAL_H_

#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "deploy/frame.h"
#include "deploy/tcp_transport.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"

namespace deploy {
namespace internal {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class Connection;

// One call waiting for its reply. Guarded by TcpState::mu.
struct PendingCall {
  explicit PendingCall(std::string to) : peer(std::move(to)) {}
  const std::string peer;  // the host:port it was made for
  labrpc::CondVar cv{"tcp.call"};
  bool done = false;  // a reply came, or its connection failed
  bool ok = false;    // done with a reply (not an error frame)
  labrpc::Bytes reply;
  // The connection the request went out on, once the I/O task sent it;
  // only compared, never dereferenced (Connection::Fail clears it).
  const Connection* conn = nullptr;
};

struct TcpState : std::enable_shared_from_this<TcpState> {
  explicit TcpState(TcpOptions o) : options(o) {}

  const TcpOptions options;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work =
      asio::make_work_guard(io);
  // Set by Close, and by the I/O task when it ends. Read without mu.
  std::atomic<bool> closed{false};
  std::atomic<int> port{0};
  std::atomic<bool> listening{false};
  std::atomic<uint64_t> next_id{0};  // request ids

  labrpc::Mutex mu{"tcp.transport"};
  // Guarded by mu.
  std::set<std::string> blocked;
  std::unordered_map<uint64_t, std::shared_ptr<PendingCall>> calls;  // by id
  // The I/O task has closed everything and drained the io_context; nothing
  // may be posted after that (it would never run, and a handler holding
  // this state would keep it alive for ever).
  bool io_done = false;
  labrpc::CondVar io_done_cv{"tcp.io_done"};

  // io only.
  std::shared_ptr<tcp::acceptor> acceptor;
  std::shared_ptr<labrpc::Server> server;
  std::string listen_name;  // "host:port" as bound, for messages
  std::map<std::string, std::shared_ptr<Connection>> outgoing;  // by peer
  std::map<Connection*, std::shared_ptr<Connection>> incoming;

  // The caller's side of one call (tcp_transport.h).
  bool Call(const std::string& peer, const tcp::endpoint& endpoint,
            labrpc::internal::Request req, labrpc::Bytes* reply);
  // io only: sends request `id` to `peer`, connecting first if needed.
  void SendRequest(const std::string& peer, const tcp::endpoint& endpoint,
                   uint64_t id, std::string bytes);
  void StartAccept();
  // The I/O task's body.
  void RunIo();
  // io only: closes the listener and every connection.
  void CloseAllOnIo();
  // Hands `fn` to the I/O task, unless it has ended; mu held.
  template <class F>
  bool PostLocked(F&& fn) {
    if (io_done) return false;
    asio::post(io, std::forward<F>(fn));
    return true;
  }
  // Wakes every waiting caller (after a change to blocked or closed).
  void WakeCallersLocked() {
    for (auto& [id, call] : calls) call->cv.NotifyAll();
  }
};

// "Address already in use" -> "address already in use", for messages
// that continue a sentence.
std::string Lowercased(std::string s);
// "127.0.0.1:7001", "[::1]:7001".
std::string EndpointName(const tcp::endpoint& e);

// One TCP connection, either way: an outgoing one carries this transport's
// requests to one peer and their replies back; an incoming one carries a
// peer's requests to the listener's server. io only.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class Side { kOutgoing, kIncoming };

  // `peer`: as given to MakeEnd (outgoing), or the remote address.
  Connection(std::shared_ptr<TcpState> state, Side side, std::string peer,
             tcp::socket socket);

  bool closed() const { return phase_ == Phase::kClosed; }

  // Outgoing: connects, failing after connect_timeout. Frames queued
  // meanwhile go out once connected.
  void Connect(const tcp::endpoint& endpoint);
  // Incoming (accepted) or outgoing (connected): starts reading and
  // writing.
  void Opened();
  // Queues one encoded frame; frames queued together go out in one write.
  void Send(std::string bytes);
  // Closes the connection. Outgoing: every call sent on it fails. `report`
  // also prints why, naming the peer, on stderr (for faults worth a
  // person's attention, not for a peer that is merely down).
  void Fail(const std::string& why, bool report);

 private:
  enum class Phase { kIdle, kConnecting, kOpen, kClosed };

  void Flush();
  void Read();
  void Deliver(Frame f);
  // Runs one incoming request in its own task (a handler may block), and
  // queues its reply when it returns.
  void Serve(Frame f);

  const std::shared_ptr<TcpState> state_;
  const Side side_;
  const std::string peer_;
  tcp::socket socket_;
  asio::steady_timer connect_timer_;
  Phase phase_ = Phase::kIdle;
  FrameDecoder decoder_;
  std::array<char, 64 * 1024> read_buf_;
  std::string queued_;       // frames waiting for the write in flight
  std::string writing_buf_;  // the write in flight
  bool writing_ = false;
};

}  // namespace internal
}  // namespace deploy

#endif  // RAFTLAB_DEPLOY_TCP_INTERNAL_H_
