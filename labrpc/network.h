// The labrpc network fabric: an in-process RPC network that the tests can
// disconnect, slow down, make lossy and reorder (the C++ form of the Go labs'
// labrpc, src/labrpc/labrpc.go, with the same semantics).
//
// Usage:
//
//   labrpc::Network net;                           // inside a running World
//
//   // A server is a set of named services; a service maps method names to
//   // handlers of the shape void(const Args&, Reply*).
//   auto svc = std::make_shared<labrpc::Service>("Raft");
//   svc->Register("RequestVote", raft, &Raft::RequestVote);
//   svc->Register("AppendEntries", raft, &Raft::AppendEntries);
//   auto srv = std::make_shared<labrpc::Server>();
//   srv->AddService(svc);
//   net.AddServer("server-1", srv);
//
//   // A client end is one client's connection to one server. It starts
//   // disabled and unconnected.
//   std::shared_ptr<labrpc::ClientEnd> end = net.MakeEnd("end-0-1");
//   net.Connect("end-0-1", "server-1");
//   net.Enable("end-0-1", true);
//
//   RequestVoteReply reply;
//   bool ok = end->Call("Raft.RequestVote", args, &reply);
//
// Call returns true if a reply arrived, and then *reply holds the handler's
// reply. It returns false if the request was lost, the reply was lost, the
// server is unreachable (end disabled or unconnected, server deleted) or was
// deleted or replaced while the call was in flight, or the network was
// cleaned up; *reply is then untouched. A false return does not mean the
// handler did not run: a lost reply comes from a handler that did. Call may
// take a while before returning false (up to 7 s with LongDelays), and does
// not return at all while a handler on a live, enabled server blocks.
//
// Args and replies always travel through the codec (labrpc/codec.h), a deep
// copy, so a field missing from serialize() arrives default-initialised. The
// caller's Args and Reply types must be exactly the handler's.
//
// Latency: under sim, each reliable call's request and reply each take a
// seeded random virtual delay of up to WorldOptions::sim_latency (default
// 5 ms, LAB_SIM_LATENCY in microseconds, 0 for none), mostly short. Under
// real the delay is whatever the threads' scheduling gives.
//
// Failure injection, all from the world's seeded random source, on top:
//   Reliable(false)     each request: 0-26 ms delay, then 10 % dropped;
//                       each reply: 10 % dropped (after the handler ran).
//   LongDelays(true)    a call to an unreachable server fails after 0-7 s
//                       (else after 0-99 ms).
//   LongReordering(true) 2/3 of replies arrive 200-2199 ms late.
//
// Servers and ends are named by strings; the int overloads name them by
// their decimal form, so server 99 and server "99" are the same server.
#ifndef RAFTLAB_LABRPC_NETWORK_H_
#define RAFTLAB_LABRPC_NETWORK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <utility>

#include "labrpc/codec.h"
#include "labrpc/runtime.h"

namespace labrpc {

namespace internal {
struct NetState;

// One request as it reaches a server.
struct Request {
  std::string svc_meth;  // "Service.Method"
  const std::type_info* args_type = nullptr;
  const std::type_info* reply_type = nullptr;
  Bytes args;
};

// What a server made of a request: a reply, or a failure (already reported
// on stderr) that makes the call return false.
struct DispatchResult {
  bool ok = false;
  Bytes reply;
};

// Where a ClientEnd's requests go: the fabric's own link, or another
// transport's (deploy/tcp_transport.h), made into an end with
// ClientEnd::OverLink. One virtual call per Call.
class EndLink {
 public:
  virtual ~EndLink() = default;
  // The life of one request. True: *reply holds the handler's encoded
  // reply. False: no reply, with the meaning ClientEnd::Call documents.
  // May block; must throw Cancelled when the world stops meanwhile. A link
  // whose requests cross a process boundary sends them with null
  // args_type and reply_type, which makes the server skip its type check.
  virtual bool CallBytes(Request req, Bytes* reply) = 0;
};

// Deduces Args and Reply from a callable's void(const Args&, Reply*).
template <class F>
struct HandlerTraits : HandlerTraits<decltype(&F::operator())> {};
template <class C, class A, class R>
struct HandlerTraits<void (C::*)(const A&, R*) const> {
  using Args = A;
  using Reply = R;
};
template <class C, class A, class R>
struct HandlerTraits<void (C::*)(const A&, R*)> {
  using Args = A;
  using Reply = R;
};
template <class A, class R>
struct HandlerTraits<void (*)(const A&, R*)> {
  using Args = A;
  using Reply = R;
};
}  // namespace internal

// One named service (e.g. "Raft", "KVServer") and its handlers, keyed by
// method name. Register every method before the service handles requests;
// registration is not synchronised with dispatch.
class Service {
 public:
  explicit Service(std::string name);
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  const std::string& name() const { return name_; }

  // Registers `handler` for `method`. Each request decodes a fresh Args,
  // calls the handler with a fresh value-initialised Reply, and encodes that
  // Reply. Registering a method twice throws MisuseError.
  template <class Args, class Reply>
  void Register(const std::string& method,
                std::function<void(const Args&, Reply*)> handler) {
    static_assert(std::is_default_constructible_v<Args> &&
                      std::is_default_constructible_v<Reply>,
                  "RPC Args and Reply must be default-constructible");
    Method m;
    m.args_type = std::type_index(typeid(Args));
    m.reply_type = std::type_index(typeid(Reply));
    m.invoke = [handler = std::move(handler), this_name = name_, method](
                   const Bytes& args_bytes, Bytes* reply_bytes) {
      Args args{};
      try {
        Decode(args_bytes, &args);
      } catch (const DecodeError& e) {
        ReportUndecodableArgs(this_name, method, e.what());
        return false;
      }
      Reply reply{};
      handler(args, &reply);
      *reply_bytes = Encode(reply);
      return true;
    };
    AddMethod(method, std::move(m));
  }

  // Registers obj->fn for `method`. obj must outlive every request to this
  // service (including handlers still running after their server was
  // deleted); when in doubt, register a lambda that holds a shared_ptr.
  template <class T, class Args, class Reply>
  void Register(const std::string& method, T* obj,
                void (T::*fn)(const Args&, Reply*)) {
    Register<Args, Reply>(
        method, [obj, fn](const Args& a, Reply* r) { (obj->*fn)(a, r); });
  }

  // Registers any callable of the shape void(const Args&, Reply*), with Args
  // and Reply deduced: svc->Register("Get", [kv](const GetArgs& a,
  // GetReply* r) { kv->Get(a, r); }).
  template <class F, class Traits = internal::HandlerTraits<std::decay_t<F>>>
  void Register(const std::string& method, F&& handler) {
    Register<typename Traits::Args, typename Traits::Reply>(
        method,
        std::function<void(const typename Traits::Args&,
                           typename Traits::Reply*)>(std::forward<F>(handler)));
  }

  // Runs the handler for `method` on `req` (internal; used by Server).
  internal::DispatchResult Dispatch(const std::string& method,
                                    const internal::Request& req) const;

 private:
  struct Method {
    std::type_index args_type = std::type_index(typeid(void));
    std::type_index reply_type = std::type_index(typeid(void));
    // Decodes args, runs the handler, encodes the reply. False if the args
    // could not be decoded (already reported).
    std::function<bool(const Bytes& args, Bytes* reply)> invoke;
  };

  void AddMethod(const std::string& method, Method m);
  static void ReportUndecodableArgs(const std::string& service,
                                    const std::string& method,
                                    const char* what);

  std::string name_;
  std::map<std::string, Method> methods_;
};

// A server: the services reachable through one network address. Several
// services share a server (the KV service and Raft do).
class Server {
 public:
  Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Adds `service` under service->name(), replacing one of the same name.
  void AddService(std::shared_ptr<Service> service);

  // The number of requests dispatched to this server (handlers run, plus
  // requests naming an unknown service or method).
  int GetCount() const;

  // Routes `req` to its service and method (internal; used by the network).
  internal::DispatchResult Dispatch(const internal::Request& req);

 private:
  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<Service>> services_;  // by name
  int count_ = 0;
};

// One client's end of a connection. Made by Network::MakeEnd; which server
// it reaches, and whether it works at all, is the network's business (or,
// for an end made by OverLink, its link's).
class ClientEnd {
 public:
  ClientEnd(const ClientEnd&) = delete;
  ClientEnd& operator=(const ClientEnd&) = delete;

  // An end whose calls go through `link` rather than the fabric: how
  // another transport (deploy/tcp_transport.h) makes ends that lab code
  // uses unchanged. `name` appears in error messages.
  static std::shared_ptr<ClientEnd> OverLink(
      std::string name, std::shared_ptr<internal::EndLink> link);

  // Sends svc_meth ("Service.Method", split at the last dot) with args and
  // waits for the outcome. True: *reply holds the handler's reply. False:
  // no reply (see the header comment); *reply is untouched. Safe to call
  // concurrently; concurrent calls may be delivered out of order.
  template <class Args, class Reply>
  bool Call(const std::string& svc_meth, const Args& args, Reply* reply) {
    internal::Request req;
    req.svc_meth = svc_meth;
    req.args_type = &typeid(Args);
    req.reply_type = &typeid(Reply);
    req.args = Encode(args);
    Bytes reply_bytes;
    if (!link_->CallBytes(std::move(req), &reply_bytes)) return false;
    Reply fresh{};
    try {
      Decode(reply_bytes, &fresh);
    } catch (const DecodeError& e) {
      ReportUndecodableReply(svc_meth, e.what());
      return false;
    }
    *reply = std::move(fresh);
    return true;
  }

  // A string literal argument travels as std::string (a handler cannot
  // take a char array).
  template <class Reply>
  bool Call(const std::string& svc_meth, const char* args, Reply* reply) {
    return Call(svc_meth, std::string(args), reply);
  }

  const std::string& name() const { return name_; }

 private:
  friend class Network;
  ClientEnd(std::string name, std::shared_ptr<internal::EndLink> link);

  void ReportUndecodableReply(const std::string& svc_meth,
                              const char* what) const;

  const std::string name_;
  // The untyped part of Call: the fabric's (the life of one request, as
  // processReq in the Go labrpc.go) or another transport's.
  const std::shared_ptr<internal::EndLink> link_;
};

// The network: ends, servers, the wiring between them, failure injection
// and traffic counters. Create it inside a running World. Every method is
// safe to call concurrently with Calls in flight.
class Network {
 public:
  Network();
  // Calls Cleanup() and drops every server, so that services holding ends
  // (which hold the network's state) are freed. Ends and in-flight calls
  // keep the network's state alive, so they may outlive this object.
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // From now on, Calls return false at once. Calls already in flight finish
  // normally. Safe to call more than once, and from outside a world.
  void Cleanup();

  // false: requests are delayed 0-26 ms and 10 % of requests and of replies
  // are dropped. Default true.
  void Reliable(bool yes);
  // true: calls to unreachable servers fail after 0-6999 ms instead of
  // 0-99 ms. Default false.
  void LongDelays(bool yes);
  // true: 2/3 of replies are delayed 200-2199 ms. Default false.
  void LongReordering(bool yes);

  // Makes a new end, disabled and unconnected. A duplicate name throws
  // MisuseError.
  std::shared_ptr<ClientEnd> MakeEnd(const std::string& name);
  std::shared_ptr<ClientEnd> MakeEnd(int name) {
    return MakeEnd(std::to_string(name));
  }

  // Adds a server under `name`, or replaces the one there (calls in flight
  // to the old one then fail).
  void AddServer(const std::string& name, std::shared_ptr<Server> server);
  void AddServer(int name, std::shared_ptr<Server> server) {
    AddServer(std::to_string(name), std::move(server));
  }

  // Removes the server: calls in flight to it fail at once (Go: within
  // 100 ms), later calls find it unreachable. Its handlers still running
  // run to the end; their replies are discarded.
  void DeleteServer(const std::string& name);
  void DeleteServer(int name) { DeleteServer(std::to_string(name)); }

  // Routes `end_name` to `server_name` (the server need not exist yet).
  void Connect(const std::string& end_name, const std::string& server_name);
  void Connect(const std::string& end_name, int server_name) {
    Connect(end_name, std::to_string(server_name));
  }
  void Connect(int end_name, int server_name) {
    Connect(std::to_string(end_name), std::to_string(server_name));
  }

  // Enables or disables an end. Calls in flight through an end that is
  // disabled fail; calls started while it was disabled stay failed.
  void Enable(const std::string& end_name, bool enabled);
  void Enable(int end_name, bool enabled) {
    Enable(std::to_string(end_name), enabled);
  }

  // Requests dispatched to the named server; 0 if there is none.
  int GetCount(const std::string& server_name);
  int GetCount(int server_name) {
    return GetCount(std::to_string(server_name));
  }

  // Calls that entered the network (including ones that then failed).
  int GetTotalCount();
  // Encoded args of every call that entered the network plus encoded
  // replies actually delivered.
  int64_t GetTotalBytes();

 private:
  std::shared_ptr<internal::NetState> state_;
};

}  // namespace labrpc

#endif  // RAFTLAB_LABRPC_NETWORK_H_
