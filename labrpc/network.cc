// The labrpc network fabric: dispatch to services, and the life of one
// request (processReq in the Go labrpc.go), run in the calling task. Only the
// handler runs in a task of its own, so that a caller can stop waiting for a
// server that was deleted while its handler still runs.
#include "labrpc/network.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <list>
#include <map>
#include <unordered_map>

#include "labrpc/trace.h"

namespace labrpc {

namespace internal {

// How often a caller waiting for a handler re-checks that the server is
// still alive, as Go's labrpc does. Every change to an end or a server also
// wakes waiting callers (NetState::NotifyWaitersLocked), so a deleted
// server's calls fail at once rather than up to 100 ms later; that keeps
// TestKilled's "within 100 ms" free of a race between the poll and the
// test's own timer.
constexpr Duration kDeadCheckInterval = std::chrono::milliseconds(100);

// A caller waiting for its handler's result. Shared by the caller and the
// handler task, since either may finish first. Guarded by NetState::mu.
struct Waiter {
  CondVar cv{"labrpc.call"};
  bool replied = false;
  DispatchResult result;
  std::list<Waiter*>::iterator pos;  // in NetState::waiters, while in it
};

// The callers waiting for a handler, in the order they began to wait. The
// order in which they are woken is the order in which the sim runs them, so
// it must not depend on heap addresses, as a set of pointers' order does:
// that would let another allocator or address layout change what a seed
// does. insert/erase are O(1) and named like a set's.
class WaiterList {
 public:
  void insert(Waiter* w) { w->pos = list_.insert(list_.end(), w); }
  void erase(Waiter* w) { list_.erase(w->pos); }
  void NotifyAll() const {
    for (Waiter* w : list_) w->cv.NotifyAll();
  }

 private:
  std::list<Waiter*> list_;
};

struct EndInfo {
  bool made = false;  // by MakeEnd (Enable/Connect may come first)
  bool enabled = false;
  bool connected = false;
  std::string server;  // meaningful if connected
};

// The network's state, shared by the Network, its ends and calls in flight.
struct NetState {
  Mutex mu{"labrpc.Network"};
  // Set by Cleanup. Atomic so that Cleanup needs no runtime lock and works
  // from a destructor outside any world.
  std::atomic<bool> done{false};

  // Everything below is guarded by mu.
  bool reliable = true;
  bool long_delays = false;
  bool long_reordering = false;
  // Only looked up, never walked, so its hash order is never seen.
  std::unordered_map<std::string, EndInfo> ends;
  // nullptr once deleted (kept, as Go keeps the nil entry). Ordered, since
  // ~Network destroys the servers in its order.
  std::map<std::string, std::shared_ptr<Server>> servers;
  int count = 0;      // calls that entered the network
  int64_t bytes = 0;  // args of those calls + replies delivered
  // Callers waiting for a handler, woken whenever an end or server changes
  // so that a deleted server's calls fail promptly.
  WaiterList waiters;

  // Go's isServerDead: the end was disabled, or the server registered under
  // the name is no longer the one the call went to.
  bool IsDeadLocked(const std::string& end_name, const std::string& server_name,
                    const std::shared_ptr<Server>& server) const {
    auto e = ends.find(end_name);
    if (e == ends.end() || !e->second.enabled) return true;
    auto s = servers.find(server_name);
    return s == servers.end() || s->second != server;
  }

  void NotifyWaitersLocked() { waiters.NotifyAll(); }
};

namespace {

std::string JoinKeys(const auto& map) {
  std::string out;
  for (const auto& [key, value] : map) {
    if (!out.empty()) out += ' ';
    out += key;
  }
  return out;
}

Duration Millis(int64_t ms) { return std::chrono::milliseconds(ms); }

// One leg (request or reply) of a call's trip under sim: a delay in [0,
// max] drawn as max * u^2 for a uniform u, so short delays are common
// (median max/4, mean max/3) and the occasional slow one still happens, the
// way a loaded machine's scheduler delays threads under real. Zero under
// real, where the OS scheduler supplies the jitter, and when max is zero.
//
// Why any latency at all: with zero-time delivery, peers whose timers fire
// at the same virtual instant never see each other's RPCs in flight, so
// split votes, a fixed election timeout and the old-term entry still in
// flight when a new leader takes office (Figure 8) would never happen
// under sim, though they do under real.
Duration SimLegLatency() {
  const World& world = World::Current();
  const Duration max = world.options().sim_latency;
  if (world.backend() != labrpc::Backend::kSim || max <= Duration::zero()) {
    return Duration::zero();
  }
  constexpr int64_t kSteps = 1000;
  const int64_t u = RandInt(kSteps + 1);
  return max * (u * u) / (kSteps * kSteps);
}

}  // namespace

// The fabric's end: a named end of a Network, routed by the network's
// state at each call.
class FabricLink : public EndLink {
 public:
  FabricLink(std::string name, std::shared_ptr<NetState> net)
      : name_(std::move(name)), net_(std::move(net)) {}
  bool CallBytes(Request req, Bytes* reply) override;

 private:
  const std::string name_;
  const std::shared_ptr<NetState> net_;
};

}  // namespace internal

using internal::DispatchResult;
using internal::Request;

// ---- Service ----

Service::Service(std::string name) : name_(std::move(name)) {}

void Service::AddMethod(const std::string& method, Method m) {
  if (!methods_.emplace(method, std::move(m)).second) {
    throw MisuseError("labrpc::Service " + name_ + ": method " + method +
                      " registered twice");
  }
}

void Service::ReportUndecodableArgs(const std::string& service,
                                    const std::string& method,
                                    const char* what) {
  std::fprintf(stderr,
               "labrpc: %s.%s: cannot decode the request's args (%s); the "
               "call fails\n",
               service.c_str(), method.c_str(), what);
}

DispatchResult Service::Dispatch(const std::string& method,
                                 const Request& req) const {
  auto it = methods_.find(method);
  if (it == methods_.end()) {
    std::fprintf(stderr,
                 "labrpc.Service.dispatch(): unknown method %s in %s; "
                 "expecting one of [%s]; the call fails\n",
                 method.c_str(), req.svc_meth.c_str(),
                 internal::JoinKeys(methods_).c_str());
    return {};
  }
  const Method& m = it->second;
  // A request from another process (null types) cannot be checked here; a
  // mismatch shows up as a decode failure, which is reported.
  if (req.args_type != nullptr &&
      std::type_index(*req.args_type) != m.args_type) {
    std::fprintf(stderr,
                 "labrpc: %s called with args of type %s, but its handler "
                 "takes %s; the call fails\n",
                 req.svc_meth.c_str(), TypeName(*req.args_type).c_str(),
                 boost::core::demangle(m.args_type.name()).c_str());
    return {};
  }
  if (req.reply_type != nullptr &&
      std::type_index(*req.reply_type) != m.reply_type) {
    std::fprintf(stderr,
                 "labrpc: %s called with a reply of type %s, but its handler "
                 "replies with %s; the call fails\n",
                 req.svc_meth.c_str(), TypeName(*req.reply_type).c_str(),
                 boost::core::demangle(m.reply_type.name()).c_str());
    return {};
  }
  DispatchResult r;
  r.ok = m.invoke(req.args, &r.reply);
  return r;
}

// ---- Server ----

Server::Server() : mu_("labrpc.Server") {}

void Server::AddService(std::shared_ptr<Service> service) {
  MutexLock l(mu_);
  std::string name = service->name();
  services_[name] = std::move(service);
}

int Server::GetCount() const {
  MutexLock l(mu_);
  return count_;
}

DispatchResult Server::Dispatch(const Request& req) {
  const size_t dot = req.svc_meth.rfind('.');
  std::string service_name;
  std::string method;
  if (dot != std::string::npos) {
    service_name = req.svc_meth.substr(0, dot);
    method = req.svc_meth.substr(dot + 1);
  }
  std::shared_ptr<Service> service;
  std::string known;
  {
    MutexLock l(mu_);
    count_++;
    auto it = services_.find(service_name);
    if (it != services_.end()) {
      service = it->second;
    } else {
      known = internal::JoinKeys(services_);
    }
  }
  if (!service) {
    std::fprintf(stderr,
                 "labrpc.Server.dispatch(): unknown service %s in %s; "
                 "expecting one of [%s]; the call fails\n",
                 dot == std::string::npos ? "(no '.' in the name)"
                                          : service_name.c_str(),
                 req.svc_meth.c_str(), known.c_str());
    return {};
  }
  return service->Dispatch(method, req);
}

// ---- ClientEnd ----

ClientEnd::ClientEnd(std::string name, std::shared_ptr<internal::EndLink> link)
    : name_(std::move(name)), link_(std::move(link)) {}

std::shared_ptr<ClientEnd> ClientEnd::OverLink(
    std::string name, std::shared_ptr<internal::EndLink> link) {
  if (link == nullptr) {
    throw MisuseError("labrpc::ClientEnd::OverLink: end " + name +
                      " needs a link");
  }
  return std::shared_ptr<ClientEnd>(
      new ClientEnd(std::move(name), std::move(link)));
}

void ClientEnd::ReportUndecodableReply(const std::string& svc_meth,
                                       const char* what) const {
  std::fprintf(stderr,
               "labrpc: %s via end %s: cannot decode the reply (%s); the "
               "call fails\n",
               svc_meth.c_str(), name_.c_str(), what);
}

// ---- FabricLink ----

bool internal::FabricLink::CallBytes(Request req, Bytes* reply) {
  NetState& net = *net_;
  const std::string svc_meth = req.svc_meth;

  // 1. Enter the network and snapshot the state. Whether the server is
  // reachable is decided once, here (TestRegression1).
  bool reachable = false;
  bool reliable = true;
  bool long_reordering = false;
  bool long_delays = false;
  std::string server_name;
  std::shared_ptr<Server> server;
  int call = 0;  // names the call in the trace (topic rpc)
  {
    MutexLock l(net.mu);
    if (net.done.load()) return false;
    call = ++net.count;
    net.bytes += static_cast<int64_t>(req.args.size());
    reliable = net.reliable;
    long_reordering = net.long_reordering;
    long_delays = net.long_delays;
    auto e = net.ends.find(name_);
    if (e != net.ends.end() && e->second.connected) {
      server_name = e->second.server;
      auto s = net.servers.find(server_name);
      if (s != net.servers.end()) server = s->second;
      reachable = e->second.enabled && server != nullptr;
    }
  }

  LAB_TRACE("rpc", -1, "#%d send %s from end %s to %s%s", call,
            svc_meth.c_str(), name_.c_str(),
            server_name.empty() ? "?" : server_name.c_str(),
            reachable ? "" : " unreachable");

  // 3. Unreachable: no reply, and an eventual timeout.
  if (!reachable) {
    Sleep(internal::Millis(long_delays ? RandInt(7000) : RandInt(100)));
    LAB_TRACE("rpc", -1, "#%d lost: unreachable", call);
    return false;
  }

  // The request's trip (sim only), then, on an unreliable network, the
  // original's short delay and maybe the loss of the request.
  Sleep(internal::SimLegLatency());
  if (!reliable) {
    Sleep(internal::Millis(RandInt(27)));
    if (RandInt(1000) < 100) {
      LAB_TRACE("drop", -1, "end %s: request %s dropped", name_.c_str(),
                svc_meth.c_str());
      LAB_TRACE("rpc", -1, "#%d lost: request dropped", call);
      return false;
    }
  }

  // 2.3 Run the handler in its own task and wait for it, giving up if the
  // server dies meanwhile.
  auto waiter = std::make_shared<internal::Waiter>();
  Go("labrpc handler " + svc_meth,
     [net_state = net_, server, waiter, call, req = std::move(req)] {
       LAB_TRACE("rpc", -1, "#%d deliver", call);
       DispatchResult result = server->Dispatch(req);
       MutexLock l(net_state->mu);
       waiter->result = std::move(result);
       waiter->replied = true;
       waiter->cv.NotifyAll();
     });

  DispatchResult result;
  {
    MutexLock l(net.mu);
    net.waiters.insert(waiter.get());
    bool dead = false;
    try {
      while (!waiter->replied && !dead) {
        waiter->cv.WaitFor(net.mu, internal::kDeadCheckInterval);
        if (!waiter->replied) {
          dead = net.IsDeadLocked(name_, server_name, server);
        }
      }
    } catch (...) {
      // WaitFor holds the lock again when it throws (e.g. Cancelled).
      net.waiters.erase(waiter.get());
      throw;
    }
    net.waiters.erase(waiter.get());
    // 2.4 Even if the handler ran, a server deleted or an end disabled
    // meanwhile means no reply: the tester may have replaced the server's
    // Persister, so a success here could report an append that was lost.
    if (!waiter->replied || net.IsDeadLocked(name_, server_name, server)) {
      LAB_TRACE("drop", -1, "end %s: %s to dead server %s fails", name_.c_str(),
                svc_meth.c_str(), server_name.c_str());
      LAB_TRACE("rpc", -1, "#%d lost: server dead", call);
      return false;
    }
    result = std::move(waiter->result);
  }
  if (!result.ok) {  // dispatch failed; reported on stderr
    LAB_TRACE("rpc", -1, "#%d lost: dispatch failed", call);
    return false;
  }

  // 2.5 Maybe lose the reply, maybe delay it a long time.
  if (!reliable && RandInt(1000) < 100) {
    LAB_TRACE("drop", -1, "end %s: reply to %s dropped", name_.c_str(),
              svc_meth.c_str());
    LAB_TRACE("rpc", -1, "#%d lost: reply dropped", call);
    return false;
  }
  // The reply's trip (sim only), on top of the original's long
  // reordering.
  Sleep(internal::SimLegLatency());
  if (long_reordering && RandInt(900) < 600) {
    Sleep(internal::Millis(200 + RandInt(1 + RandInt(2000))));
  }
  {
    MutexLock l(net.mu);
    net.bytes += static_cast<int64_t>(result.reply.size());
  }
  LAB_TRACE("rpc", -1, "#%d reply", call);
  *reply = std::move(result.reply);
  return true;
}

// ---- Network ----

Network::Network() : state_(std::make_shared<internal::NetState>()) {}

Network::~Network() {
  Cleanup();
  // Drop the servers: a service usually holds an object that holds ends,
  // and every end holds this state, so keeping them would be a reference
  // cycle that never frees the peers. Destroy them outside the lock.
  std::map<std::string, std::shared_ptr<Server>> servers;
  if (World::CurrentOrNull() != nullptr) {
    MutexLock l(state_->mu);
    servers.swap(state_->servers);
  } else {
    servers.swap(state_->servers);  // no world, so no task can race us
  }
}

void Network::Cleanup() { state_->done.store(true); }

void Network::Reliable(bool yes) {
  MutexLock l(state_->mu);
  state_->reliable = yes;
}

void Network::LongDelays(bool yes) {
  MutexLock l(state_->mu);
  state_->long_delays = yes;
}

void Network::LongReordering(bool yes) {
  MutexLock l(state_->mu);
  state_->long_reordering = yes;
}

std::shared_ptr<ClientEnd> Network::MakeEnd(const std::string& name) {
  MutexLock l(state_->mu);
  internal::EndInfo& e = state_->ends[name];
  if (e.made) {
    throw MisuseError("labrpc::Network::MakeEnd: " + name + " already exists");
  }
  e.made = true;
  return std::shared_ptr<ClientEnd>(new ClientEnd(
      name, std::make_shared<internal::FabricLink>(name, state_)));
}

void Network::AddServer(const std::string& name,
                        std::shared_ptr<Server> server) {
  MutexLock l(state_->mu);
  state_->servers[name] = std::move(server);
  state_->NotifyWaitersLocked();
}

void Network::DeleteServer(const std::string& name) {
  MutexLock l(state_->mu);
  state_->servers[name] = nullptr;
  state_->NotifyWaitersLocked();
}

void Network::Connect(const std::string& end_name,
                      const std::string& server_name) {
  MutexLock l(state_->mu);
  internal::EndInfo& e = state_->ends[end_name];
  e.connected = true;
  e.server = server_name;
  state_->NotifyWaitersLocked();
}

void Network::Enable(const std::string& end_name, bool enabled) {
  MutexLock l(state_->mu);
  state_->ends[end_name].enabled = enabled;
  state_->NotifyWaitersLocked();
}

int Network::GetCount(const std::string& server_name) {
  std::shared_ptr<Server> server;
  {
    MutexLock l(state_->mu);
    auto it = state_->servers.find(server_name);
    if (it == state_->servers.end() || it->second == nullptr) return 0;
    server = it->second;
  }
  return server->GetCount();
}

int Network::GetTotalCount() {
  MutexLock l(state_->mu);
  return state_->count;
}

int64_t Network::GetTotalBytes() {
  MutexLock l(state_->mu);
  return state_->bytes;
}

}  // namespace labrpc
