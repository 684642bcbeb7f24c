// The `raftkv workload` load: concurrent clerks doing random Get, Put and
// Append on a few keys for a while, recording every operation for lincheck
// (deploy/history_log.h). The nemesis test (scripts/nemesis.py) runs several
// such processes while it kills, pauses and partitions the servers.
//
//   deploy::WorkloadOptions o;
//   o.clients = 3; o.keys = 2; o.duration = std::chrono::seconds(30);
//   o.record = "run/history-0.txt"; o.tag = "w0";
//   deploy::WorkloadStats s = deploy::RunWorkload(ends, o);  // in a world
//   std::cout << deploy::FormatWorkloadStats(o, s);
//
// Values. Every Put and Append writes a value used nowhere else,
// "<tag>.<client>.<n>;": a final value then reads as the sequence of writes
// that made it (split at ';'), which is how the nemesis test checks that no
// acknowledged write was lost, and equal values never let a wrong order
// pass the linearizability check. Keys are k0 .. k<keys-1>.
//
// Unknown outcomes. An operation that takes longer than op_timeout is
// written as pending (it may or may not take effect, later, when its clerk's
// retries get through) and its client ends there: that clerk is still busy
// with it and may not be used again (a Clerk makes one call at a time). The
// slot goes on with a fresh clerk under a new client number, so the load
// keeps its concurrency; client numbers are 0 .. clients-1 and then
// clients, clients+1, ... for the replacements.
//
// Ending early. A client process killed mid-operation would leave that
// operation out of its history, though it may have taken effect: a later
// read would then show a value nobody wrote. So a run that must end before
// its duration is asked to (options.stop; `raftkv workload` sets it on
// SIGTERM and SIGINT) and ends as at its deadline.
#ifndef RAFTLAB_DEPLOY_KV_WORKLOAD_H_
#define RAFTLAB_DEPLOY_KV_WORKLOAD_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "labrpc/network.h"
#include "labrpc/runtime.h"

namespace deploy {

struct WorkloadOptions {
  int clients = 3;
  int keys = 3;
  labrpc::Duration duration = std::chrono::seconds(10);
  labrpc::Duration op_timeout = std::chrono::seconds(5);
  std::string record;  // the history file
  std::string tag;     // makes this process's values unique
  // Set (e.g. from a signal handler) to end the run early, as at the end of
  // `duration`: no new operations start, those in flight finish or are
  // given up on after op_timeout, and the history is complete.
  const std::atomic<bool>* stop = nullptr;
};

struct WorkloadStats {
  int64_t gets = 0, puts = 0, appends = 0;  // completed
  int64_t unknown = 0;                      // gave up waiting
  double seconds = 0;                       // wall time of the run
};

// Runs the load against the KV servers behind `ends` (one end per server,
// any order). Throws CliError if the history cannot be written.
WorkloadStats RunWorkload(
    const std::vector<std::shared_ptr<labrpc::ClientEnd>>& ends,
    const WorkloadOptions& options);

// "workload: 3 clients, 2 keys, 30 s: 812 ops (get 280, put 121, append
// 411), 2 unknown, 27.1 ops/s; history run/history-0.txt\n"
std::string FormatWorkloadStats(const WorkloadOptions& options,
                                const WorkloadStats& stats);

}  // namespace deploy

#endif  // RAFTLAB_DEPLOY_KV_WORKLOAD_H_
