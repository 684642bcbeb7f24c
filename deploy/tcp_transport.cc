// TcpTransport (see tcp_transport.h; the shared state is in
// tcp_internal.h): the callers' side of a call, the I/O task, the listener.
#include "deploy/tcp_transport.h"

#include <cstdio>
#include <optional>

#include "deploy/tcp_internal.h"

namespace deploy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace internal {
namespace {

// host:port to an endpoint, resolving names ("localhost") once, here.
tcp::endpoint Resolve(const std::string& host_port) {
  auto [host, port] = SplitHostPort(host_port);
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(address, static_cast<uint16_t>(port));
  asio::io_context io;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) {
    throw TcpError(host_port + ": cannot resolve host " + host + " (" +
                   (ec ? Lowercased(ec.message()) : "no address") + ")");
  }
  return results.begin()->endpoint();
}

}  // namespace

bool TcpState::Call(const std::string& peer, const tcp::endpoint& endpoint,
                    labrpc::internal::Request req, labrpc::Bytes* reply) {
  const uint64_t id = next_id.fetch_add(1) + 1;
  std::string bytes;
  try {
    bytes = EncodeFrame(
        Frame{id, FrameKind::kRequest, req.svc_meth, std::move(req.args)},
        options.max_frame_bytes);
  } catch (const FrameError& e) {
    std::fprintf(stderr, "tcp transport: %s to %s not sent: %s\n",
                 req.svc_meth.c_str(), peer.c_str(), e.what());
    return false;
  }
  const labrpc::Duration deadline = labrpc::Now() + options.call_timeout;
  auto call = std::make_shared<PendingCall>(peer);
  labrpc::MutexLock l(mu);
  if (closed.load() || blocked.count(peer) != 0) return false;
  if (!PostLocked([self = shared_from_this(), peer, endpoint, id,
                   bytes = std::move(bytes)]() mutable {
        self->SendRequest(peer, endpoint, id, std::move(bytes));
      })) {
    return false;
  }
  calls.emplace(id, call);
  try {
    while (!call->done && !closed.load() && blocked.count(peer) == 0) {
      const labrpc::Duration left = deadline - labrpc::Now();
      if (left <= labrpc::Duration::zero()) break;
      call->cv.WaitFor(mu, left);
    }
  } catch (...) {  // Cancelled: the world is stopping
    calls.erase(id);
    throw;
  }
  calls.erase(id);
  if (!call->done || !call->ok) return false;
  *reply = std::move(call->reply);
  return true;
}

void TcpState::SendRequest(const std::string& peer,
                           const tcp::endpoint& endpoint, uint64_t id,
                           std::string bytes) {
  if (closed.load()) return;
  // A failed connection leaves the table (Connection::Fail); the next call
  // to its peer makes a new one.
  std::shared_ptr<Connection>& slot = outgoing[peer];
  if (slot == nullptr || slot->closed()) {
    slot = std::make_shared<Connection>(
        shared_from_this(), Connection::Side::kOutgoing, peer, tcp::socket(io));
    slot->Connect(endpoint);
  }
  {
    labrpc::MutexLock l(mu);
    auto it = calls.find(id);
    if (it == calls.end() || it->second->done) return;  // gave up already
    it->second->conn = slot.get();  // so that its failure fails this call
  }
  slot->Send(std::move(bytes));
}

void TcpState::StartAccept() {
  acceptor->async_accept(
      [self = shared_from_this()](const boost::system::error_code& ec,
                                  tcp::socket socket) {
        if (self->closed.load() || ec == asio::error::operation_aborted) return;
        if (ec) {
          // Out of file descriptors, say: report it, keep serving the
          // connections already open, try again shortly.
          std::fprintf(stderr, "tcp transport %s: accept failed: %s\n",
                       self->listen_name.c_str(), ec.message().c_str());
          auto timer = std::make_shared<asio::steady_timer>(
              self->io, std::chrono::milliseconds(100));
          timer->async_wait([self, timer](const boost::system::error_code& e) {
            if (!e && !self->closed.load()) self->StartAccept();
          });
          return;
        }
        boost::system::error_code peer_ec;
        tcp::endpoint remote = socket.remote_endpoint(peer_ec);
        auto conn = std::make_shared<Connection>(
            self, Connection::Side::kIncoming,
            peer_ec ? std::string("an unknown peer") : EndpointName(remote),
            std::move(socket));
        self->incoming.emplace(conn.get(), conn);
        conn->Opened();
        self->StartAccept();
      });
}

void TcpState::RunIo() {
  try {
    while (!closed.load() && !labrpc::Stopping())
      io.run_for(TcpTransport::kIoSlice);
  } catch (...) {
    // An exception out of a handler (a bug): close everything so that no
    // caller waits for a reply that cannot come, then let the world see it.
    closed.store(true);
    CloseAllOnIo();
    throw;
  }
  closed.store(true);
  CloseAllOnIo();
}

void TcpState::CloseAllOnIo() {
  if (acceptor != nullptr) {
    boost::system::error_code ignored;
    acceptor->close(ignored);
    acceptor = nullptr;
  }
  server = nullptr;  // services hold ends, which must not keep us alive
  while (!outgoing.empty()) {
    const std::string peer = outgoing.begin()->first;
    std::shared_ptr<Connection> c = outgoing.begin()->second;
    c->Fail("the transport is closed", false);
    outgoing.erase(peer);  // if Fail did not (a closed connection's slot)
  }
  while (!incoming.empty()) {
    std::shared_ptr<Connection> c = incoming.begin()->second;
    c->Fail("the transport is closed", false);
    incoming.erase(c.get());
  }
  {
    labrpc::MutexLock l(mu);
    io_done = true;  // nothing is posted from now on
  }
  // Run what is left (the aborted operations' handlers, posted requests),
  // each of which finds the transport closed, so that none is left holding
  // this state.
  work.reset();
  io.restart();
  io.poll();
  labrpc::MutexLock l(mu);
  io_done_cv.NotifyAll();
  WakeCallersLocked();
}

// A ClientEnd's link to one peer through a transport. Holds the transport
// weakly: an end outliving its transport fails its calls at once, and a
// service holding ends cannot keep the transport alive in a cycle.
class TcpLink : public labrpc::internal::EndLink {
 public:
  TcpLink(std::weak_ptr<TcpState> state, std::string peer,
          tcp::endpoint endpoint)
      : state_(std::move(state)),
        peer_(std::move(peer)),
        endpoint_(std::move(endpoint)) {}

  bool CallBytes(labrpc::internal::Request req, labrpc::Bytes* reply) override {
    std::shared_ptr<TcpState> state = state_.lock();
    if (state == nullptr || state->closed.load()) return false;
    return state->Call(peer_, endpoint_, std::move(req), reply);
  }

 private:
  const std::weak_ptr<TcpState> state_;
  const std::string peer_;
  const tcp::endpoint endpoint_;
};

}  // namespace internal

std::pair<std::string, int> SplitHostPort(const std::string& host_port) {
  const std::string what = "'" + host_port + "' is not host:port";
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) {
    throw TcpError(what + " (no ':'; e.g. 127.0.0.1:7001)");
  }
  std::string host = host_port.substr(0, colon);
  const std::string port_text = host_port.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    throw TcpError(what + " (write an IPv6 address as [::1]:7001)");
  }
  if (host.empty()) throw TcpError(what + " (the host is missing)");
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port_text) > 65535) {
    throw TcpError(what + " (the port must be a number from 0 to 65535)");
  }
  return {host, std::stoi(port_text)};
}

TcpTransport::TcpTransport(TcpOptions options)
    : state_(std::make_shared<internal::TcpState>(options)) {
  labrpc::World* world = labrpc::World::CurrentOrNull();
  if (world == nullptr || world->backend() != labrpc::Backend::kReal) {
    throw TcpError(
        "deploy::TcpTransport needs a running world with the real backend "
        "(LAB_RUNTIME=real): under sim, virtual time cannot wait for a "
        "socket");
  }
  labrpc::Go("tcp io", [state = state_] { state->RunIo(); });
}

TcpTransport::~TcpTransport() {
  try {
    Close();
  } catch (const labrpc::Cancelled&) {
    // The world is stopping: the I/O task closes everything by itself. A
    // destructor cannot rethrow; the task's next blocking call will.
  }
}

void TcpTransport::Listen(const std::string& host_port,
                          std::shared_ptr<labrpc::Server> server) {
  if (state_->closed.load())
    throw TcpError(host_port + ": the transport is closed");
  if (state_->listening.exchange(true)) {
    throw TcpError(host_port + ": this transport already listens on port " +
                   std::to_string(port()));
  }
  tcp::endpoint endpoint;
  try {
    endpoint = internal::Resolve(host_port);
  } catch (...) {
    state_->listening.store(false);
    throw;
  }
  // Opened and bound here, so that the error reaches the caller; a new
  // socket is not yet shared with the I/O task.
  auto acceptor = std::make_shared<tcp::acceptor>(state_->io);
  boost::system::error_code ec;
  acceptor->open(endpoint.protocol(), ec);
  // A restarted server rebinds its port while old connections linger in
  // TIME_WAIT; Linux still refuses a port another socket listens on.
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    state_->listening.store(false);
    throw TcpError(host_port + ": " + internal::Lowercased(ec.message()));
  }
  const int bound = acceptor->local_endpoint().port();
  state_->port.store(bound);
  labrpc::MutexLock l(state_->mu);
  const bool posted =
      state_->PostLocked([state = state_, acceptor, server = std::move(server),
                          name = internal::EndpointName(
                              tcp::endpoint(endpoint.address(), bound))] {
        if (state->closed.load()) return;
        state->acceptor = acceptor;
        state->server = server;
        state->listen_name = name;
        state->StartAccept();
      });
  if (!posted) throw TcpError(host_port + ": the transport is closed");
}

int TcpTransport::port() const { return state_->port.load(); }

std::shared_ptr<labrpc::ClientEnd> TcpTransport::MakeEnd(
    const std::string& host_port) {
  tcp::endpoint endpoint = internal::Resolve(host_port);
  if (endpoint.port() == 0) {
    throw TcpError("'" + host_port + "': cannot call port 0");
  }
  return labrpc::ClientEnd::OverLink(
      host_port, std::make_shared<internal::TcpLink>(state_, host_port,
                                                     std::move(endpoint)));
}

void TcpTransport::SetBlocked(std::set<std::string> host_ports) {
  labrpc::MutexLock l(state_->mu);
  state_->blocked = std::move(host_ports);
  state_->WakeCallersLocked();
}

std::set<std::string> TcpTransport::Blocked() const {
  labrpc::MutexLock l(state_->mu);
  return state_->blocked;
}

void TcpTransport::Close() {
  state_->closed.store(true);
  state_->io.stop();  // thread-safe; the I/O task then closes everything
  if (labrpc::World::CurrentOrNull() == nullptr) return;
  labrpc::MutexLock l(state_->mu);
  state_->WakeCallersLocked();
  while (!state_->io_done) state_->io_done_cv.Wait(state_->mu);
}

}  // namespace deploy
