// The harness of a service of n replicated servers named 0..n-1 and its
// clerks: what the Go labs' src/kvraft/config.go and src/shardctrler/
// config.go share (they are copies of each other), for tests/kv_config and
// tests/shardctrler_config.
//
//   class KvConfig : public ServiceCluster {
//    public:
//     KvClerkPtr MakeClient(const std::vector<int>& to) {
//       return MakeClerk<kvraft::Clerk>(to);
//     }
//    protected:
//     StartedReplica StartReplica(const std::vector<EndPtr>& ends, int i,
//                                 const PersisterPtr& persister) override {
//       return Replicate(kvraft::StartKVServer(ends, i, persister, -1));
//     }
//   };
//
// Servers start, shut down, connect and partition as in Go's config.go; the
// harness records partitions and servers down (between shutdown and
// restart) as faults for the history picture, and traces them (topic
// "test"). Thread-safe: every public method may be called from any task.
#ifndef RAFTLAB_TESTS_SERVICE_CLUSTER_H_
#define RAFTLAB_TESTS_SERVICE_CLUSTER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "labrpc/runtime.h"
#include "tests/harness_cluster.h"

namespace raftlab_test {

class ServiceCluster : public Cluster {
 public:
  int n() const { return servers_.n(); }
  // [0, 1, ..., n-1].
  std::vector<int> All() const { return servers_.All(); }

  // --- Servers ---
  // Starts server i on a copy of its persisted state, with fresh end names,
  // and serves it under name i. Does not connect it (use ConnectAll).
  void StartServer(int i);
  // Disconnects server i, deletes it from the network, keeps a copy of
  // what it persisted (so the dead instance can no longer change what the
  // next one reads) and kills it.
  void ShutdownServer(int i);
  // Enables the ends between every pair of servers.
  void ConnectAll();
  // Servers in p1 can reach each other but none in p2, and vice versa.
  void Partition(const std::vector<int>& p1, const std::vector<int>& p2);
  // The first running server that believes it is the leader, if any.
  std::optional<int> Leader() { return servers_.Leader(All()); }
  // The same among `among` only (e.g. the majority's new leader while the
  // old one, cut off in a minority, still believes it leads).
  std::optional<int> Leader(const std::vector<int>& among) {
    return servers_.Leader(among);
  }

  // --- Clerks (made by the lab harness's MakeClient) ---
  // Forgets the clerk (its ends stay as they are, as in Go).
  template <class Clerk>
  void DeleteClient(const std::shared_ptr<Clerk>& ck) {
    ForgetClerk(ck.get());
  }
  // Enables / disables the clerk's ends to the given servers.
  template <class Clerk>
  void ConnectClient(const std::shared_ptr<Clerk>& ck,
                     const std::vector<int>& to) {
    EnableClerkEnds(ck.get(), to, true);
  }
  template <class Clerk>
  void DisconnectClient(const std::shared_ptr<Clerk>& ck,
                        const std::vector<int>& from) {
    EnableClerkEnds(ck.get(), from, false);
  }

  // --- Measurements ---
  // The largest persisted Raft state among the servers, bytes.
  size_t LogSize() { return servers_.MaxRaftStateSize(); }

 protected:
  // n servers; `mutex_name` names the harness's mutex.
  ServiceCluster(int n, const std::string& mutex_name);

  // Makes server i's instance on its ends and persister (the lab's
  // StartKVServer, ...), without the harness's mutex.
  virtual StartedReplica StartReplica(const std::vector<EndPtr>& ends, int i,
                                      const PersisterPtr& persister) = 0;

  // A clerk with fresh ends to every server, enabled only towards `to`,
  // handed to the clerk in a shuffled order (Go's makeClient).
  template <class Clerk>
  std::shared_ptr<Clerk> MakeClerk(const std::vector<int>& to) {
    std::vector<std::string> names;
    std::vector<EndPtr> ends;
    {
      labrpc::MutexLock l(mu_);
      ends = servers_.EndsToAll(/*enable=*/false, &names);
    }
    auto ck = std::make_shared<Clerk>(RandomHandles(ends));
    AddClerk(ck.get(), std::move(names), to);
    return ck;
  }

  ReplicaGroup servers_;

 private:
  // Remembers `names` as the clerk's ends and enables those to `to`.
  void AddClerk(const void* clerk, std::vector<std::string> names,
                const std::vector<int>& to);
  void ForgetClerk(const void* clerk);
  void EnableClerkEnds(const void* clerk, const std::vector<int>& to,
                       bool enable);

  // Keyed by address: only looked up, never walked, since its order would
  // differ between processes and so between runs of one seed.
  std::map<const void*, std::vector<std::string>> clerks_;
  // Fault handles (-1: none open): the partition in force, and per server
  // the time it is down.
  int partition_fault_ = -1;
  std::vector<int> down_fault_;
};

}  // namespace raftlab_test

#endif  // RAFTLAB_TESTS_SERVICE_CLUSTER_H_
