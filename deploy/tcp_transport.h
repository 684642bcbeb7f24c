// TcpTransport: labrpc calls between processes over TCP, so that the
// unchanged Raft and KV service run one server per process. An end made
// here is an ordinary labrpc::ClientEnd (end->Call(...) as over the
// in-process fabric); a labrpc::Server is served on a host:port.
//
//   labrpc::World world(options);        // options.backend = kReal
//   world.Run([&] {
//     deploy::TcpTransport net;          // one per process
//     auto srv = std::make_shared<labrpc::Server>();
//     srv->AddService(rf->service());
//     net.Listen("127.0.0.1:7001", srv); // throws deploy::TcpError
//     std::shared_ptr<labrpc::ClientEnd> end = net.MakeEnd("127.0.0.1:7002");
//     bool ok = end->Call("Raft.RequestVote", args, &reply);
//     net.SetBlocked({"127.0.0.1:7002"});  // a partition, seen from here
//   });
//
// What a Call does, and how it can fail (it returns false, *reply
// untouched, exactly as a lost call over the fabric):
//
// Connections and concurrency. Each transport keeps at most one outgoing
// TCP connection per peer (per host:port string given to MakeEnd; all ends
// to that string share it). Every Call on it is multiplexed by request id:
// calls from any number of tasks are in flight at once, each frame carries
// its call's id (deploy/frame.h), and replies are matched by id in whatever
// order they come. One connection rather than a pool: a loopback socket is
// not the bottleneck of a lab cluster, and one connection keeps "is the
// peer up" a single fact. On the serving side every request is run in its
// own labrpc::Go task, so a handler that blocks (a KV Get waiting for its
// entry to commit) holds up neither the connection nor other requests;
// replies are written in the order the handlers finish.
//
// Reconnect policy. Connections are made lazily by the first Call that
// needs one. When a connection fails (connect refused or timed out, a read
// or write error, the peer closed it, a malformed frame), every call in
// flight on it fails at once and the connection is dropped; the next Call
// makes a new one. There is no backoff: concurrent calls share one connect
// attempt, and a refused connect on loopback costs one syscall, which
// Raft's heartbeat rate affords. A restarted peer is therefore reached by
// the first call after it listens again.
//
// Timeouts. A call fails once connect_timeout passes without a connection
// (a peer that does not answer SYN), and once call_timeout passes without a
// reply (a peer that is up but stopped, e.g. SIGSTOP, or a handler that
// never returns). A late reply is discarded. call_timeout must exceed the
// longest a KV handler can wait for its op to commit (kvraft/server.cc
// waits at most 500 ms), else a slow but successful Put would be retried as
// if lost; the 3 s default leaves room for a loaded machine.
//
// A peer that dies (killed, or its transport closed) mid-call: the kernel
// closes its sockets, our read fails, and every call in flight to it fails
// at once, whether or not its handler ran (as a lost reply over the
// fabric). A peer whose machine vanishes without a FIN is noticed only by
// call_timeout.
//
// The partition filter (SetBlocked). Calls through this transport's ends to
// a blocked host:port fail at once, without touching the network; calls
// already in flight to it fail at once too (like labrpc's Enable(false)).
// Names are compared as given to MakeEnd, not resolved. Incoming requests
// are never filtered: a partition sets the filter on every node, so a
// blocked peer does not send to us either, and a node's filter can always be
// changed through its own Admin service.
//
// Errors. Frames over max_frame_bytes are refused: a request too large to
// send fails its call (with a message on stderr); an incoming frame over the
// limit, or bytes that are not frames, close that one connection with a
// message on stderr naming the peer, and the listener keeps serving others.
// An unknown service or method, or args that do not decode, fail the call
// promptly: the server reports it on its stderr and answers with an error
// frame, whose message the caller prints on its own.
// Wire requests carry no C++ type, so the server skips labrpc's type check;
// both sides run the same code, and a mismatch is a decode failure.
//
// Threads. The transport runs Asio's io_context in one labrpc::Go task of
// the world, in short slices, so that it notices a stopping world within
// kIoSlice; callers wait on a labrpc::CondVar, so a stopping world cancels
// them (Cancelled) like any other blocking call. Real backend only: the sim
// backend's virtual time cannot wait for a socket, so the constructor
// throws TcpError under sim.
#ifndef RAFTLAB_DEPLOY_TCP_TRANSPORT_H_
#define RAFTLAB_DEPLOY_TCP_TRANSPORT_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "deploy/frame.h"
#include "labrpc/network.h"
#include "labrpc/runtime.h"

namespace deploy {

struct TcpOptions {
  // A connect that has not completed after this fails its calls.
  labrpc::Duration connect_timeout = std::chrono::seconds(1);
  // A call with no reply after this fails (returns false). Must exceed the
  // longest a KV handler can wait for its op to commit (read
  // kvraft/server.cc).
  labrpc::Duration call_timeout = std::chrono::seconds(3);
  // The largest frame sent or accepted (deploy/frame.h).
  size_t max_frame_bytes = kMaxFrameBytes;
};

// A transport that cannot be set up: a bad address, a port in use, the
// wrong backend. what() names the address and what is wrong.
class TcpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace internal {
struct TcpState;
}  // namespace internal

// One per process, made inside a running real World (labrpc::World::Run
// with Backend::kReal), and destroyed inside it. Every method is safe to
// call concurrently from any task of that world.
class TcpTransport {
 public:
  // How often the I/O task checks whether the world is stopping.
  static constexpr labrpc::Duration kIoSlice = std::chrono::milliseconds(20);

  // Throws TcpError outside a running real world.
  explicit TcpTransport(TcpOptions options = {});
  ~TcpTransport();  // Close()
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  // Serves `server`'s services on "host:port" (port 0 picks one; see
  // port()). host is a numeric IPv4/IPv6 address or a name, resolved here,
  // once (as MakeEnd resolves its). Throws TcpError with a clear message,
  // e.g. "127.0.0.1:7001: address already in use". At most one Listen per
  // transport.
  void Listen(const std::string& host_port,
              std::shared_ptr<labrpc::Server> server);
  // The bound port after Listen; 0 before.
  int port() const;

  // An end reaching host:port. Connects lazily, reconnects after a failure
  // (above). Throws TcpError if host_port is not of the form host:port. The
  // end's calls fail at once once this transport is closed.
  std::shared_ptr<labrpc::ClientEnd> MakeEnd(const std::string& host_port);

  // The partition filter: calls through this process's ends to these
  // host:ports fail at once (returning false) until unblocked; incoming
  // requests are not filtered (a partition sets the filter on every node).
  // Replaces the whole set; {} unblocks everything.
  void SetBlocked(std::set<std::string> host_ports);
  std::set<std::string> Blocked() const;

  // Closes the listener and every connection; calls in flight fail, later
  // calls fail at once, handlers still running finish but their replies are
  // dropped. Returns once the sockets are closed (the port is free again).
  // Safe to call more than once.
  void Close();

 private:
  const std::shared_ptr<internal::TcpState> state_;
};

// Splits "host:port" (IPv6 as "[::1]:7001") into its parts; throws TcpError
// saying what is wrong. Exposed for the binaries' flag checks.
std::pair<std::string, int> SplitHostPort(const std::string& host_port);

}  // namespace deploy

#endif  // RAFTLAB_DEPLOY_TCP_TRANSPORT_H_
