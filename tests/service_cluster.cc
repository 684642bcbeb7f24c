// The harness of a service of n replicated servers; see service_cluster.h.
#include "tests/service_cluster.h"

#include "labrpc/trace.h"

namespace raftlab_test {

namespace {

std::string JoinInts(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); i++) {
    if (i > 0) s += ",";
    s += std::to_string(v[i]);
  }
  return s;
}

}  // namespace

ServiceCluster::ServiceCluster(int n, const std::string& mutex_name)
    : Cluster(mutex_name),
      servers_(
          *net_, mu_, n, [](int i) { return std::to_string(i); },
          /*enable_new_ends=*/false),
      down_fault_(n, -1) {
  AddGroup(&servers_);
}

void ServiceCluster::StartServer(int i) {
  servers_.Start(
      i,
      [&] {
        servers_.TraceEndsLocked(i);
        fault_log_.Close(&down_fault_[i]);
      },
      [&](const std::vector<EndPtr>& ends, int /*i*/,
          const PersisterPtr& persister) {
        LAB_TRACE("test", i,
                  "start server (%zu state bytes, %zu snapshot bytes)",
                  persister->RaftStateSize(), persister->SnapshotSize());
        return StartReplica(ends, i, persister);
      });
}

void ServiceCluster::ShutdownServer(int i) {
  servers_.Shutdown(i, [&] {
    LAB_TRACE("test", i, "shutdown server");
    servers_.ConnectLocked(i, All(), false);
    if (down_fault_[i] < 0) {
      down_fault_[i] = fault_log_.Open("S" + std::to_string(i) + " down");
    }
  });
}

void ServiceCluster::ConnectAll() {
  labrpc::MutexLock l(mu_);
  LAB_TRACE("test", -1, "connect all");
  servers_.ConnectAllLocked();
  fault_log_.Close(&partition_fault_);
}

void ServiceCluster::Partition(const std::vector<int>& p1,
                               const std::vector<int>& p2) {
  labrpc::MutexLock l(mu_);
  LAB_TRACE("test", -1, "partition [%s] [%s]", JoinInts(p1).c_str(),
            JoinInts(p2).c_str());
  servers_.PartitionLocked(p1, p2);
  fault_log_.Close(&partition_fault_);
  if (!p1.empty() && !p2.empty()) {
    partition_fault_ = fault_log_.Open("partition {" + JoinInts(p1) + "} | {" +
                                       JoinInts(p2) + "}");
  }
}

void ServiceCluster::AddClerk(const void* clerk, std::vector<std::string> names,
                              const std::vector<int>& to) {
  labrpc::MutexLock l(mu_);
  for (int j : to) net_->Enable(names[j], true);
  clerks_[clerk] = std::move(names);
}

void ServiceCluster::ForgetClerk(const void* clerk) {
  labrpc::MutexLock l(mu_);
  clerks_.erase(clerk);
}

void ServiceCluster::EnableClerkEnds(const void* clerk,
                                     const std::vector<int>& to, bool enable) {
  labrpc::MutexLock l(mu_);
  const std::vector<std::string>& names = clerks_.at(clerk);
  for (int j : to) net_->Enable(names[j], enable);
}

}  // namespace raftlab_test
