// The helpers of the Go labs' src/kvraft/test_test.go, on the KvConfig
// harness (tests/kv_config.h): logged Get/Put/Append, the append checks,
// spawn_clients_and_wait, the linearizability check, GenericTest and
// GenericTestSpeed.
//
//   GenericTest({.part = "3A", .clients = 5, .unreliable = true});
//
//   RunKvTest({.servers = 3}, [](const KvConfigPtr& cfg) {
//     KvClerkPtr ck = cfg->MakeClient(cfg->All());
//     Put(cfg, ck, "k", "", nullptr, -1);
//     SpawnClientsAndWait(cfg, 5, [cfg](int me, const KvClerkPtr& myck) {
//       Append(cfg, myck, "k", "x " + std::to_string(me) + " 0 y", nullptr,
//              -1);
//     });
//     CheckConcurrentAppends(Get(cfg, ck, "k", nullptr, -1),
//                            {1, 1, 1, 1, 1});
//   });
#ifndef RAFTLAB_TESTS_KV_TEST_HELPERS_H_
#define RAFTLAB_TESTS_KV_TEST_HELPERS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "linearizability/info.h"
#include "tests/harness_history.h"
#include "tests/kv_config.h"
#include "tests/test_world.h"

namespace raftlab_test {

using OpLogPtr = std::shared_ptr<OpLog>;

// Logged clerk calls: time the call, count it (cfg->Op()), and if `log` is
// not null record it in the history with client id `cli`; then, under sim,
// let the client think (SimThink).
std::string Get(const KvConfigPtr& cfg, const KvClerkPtr& ck,
                const std::string& key, const OpLogPtr& log, int cli);
void Put(const KvConfigPtr& cfg, const KvClerkPtr& ck, const std::string& key,
         const std::string& value, const OpLogPtr& log, int cli);
void Append(const KvConfigPtr& cfg, const KvClerkPtr& ck,
            const std::string& key, const std::string& value,
            const OpLogPtr& log, int cli);

// An unlogged Get that must return `value`.
void Check(const KvConfigPtr& cfg, const KvClerkPtr& ck, const std::string& key,
           const std::string& value, Location where = Location::current());

// Client `clnt`'s appends "x clnt j y", j in [0, count), each occur in v
// exactly once and in order of j.
void CheckClntAppends(int clnt, const std::string& v, int count,
                      Location where = Location::current());
// The same for every client i with counts[i].
void CheckConcurrentAppends(const std::string& v,
                            const std::vector<int>& counts,
                            Location where = Location::current());

// Go's spawn_clients_and_wait: runs fn(cli, clerk) for cli in [0, ncli),
// each in its own task with its own clerk connected to every server, and
// waits for all of them.
void SpawnClientsAndWait(
    const KvConfigPtr& cfg, int ncli,
    const std::function<void(int cli, const KvClerkPtr& ck)>& fn);

// CheckKvHistory (harness_history.h) with the harness's title and faults:
// Illegal writes the picture and, if fail_if_illegal, fails the test;
// Unknown falls back to call-time prefixes. Returns the verdict.
linearizability::CheckResult CheckLinearizable(
    const KvConfigPtr& cfg, const std::vector<KvOperation>& history,
    bool fail_if_illegal = true);

// What Go's GenericTest(t, part, nclients, nservers, unreliable, crash,
// partitions, maxraftstate, randomkeys) runs, plus the negative control's
// knobs. The title says what is on: "Test: unreliable net, restarts, many
// clients (3A)".
struct GenericOptions {
  std::string part;  // "3A" or "3B", for the title
  int clients = 1;
  int servers = 5;
  // The network drops and delays RPCs.
  bool unreliable = false;
  // Every iteration ends by shutting down and restarting every server.
  bool crash = false;
  // A partitioner splits the servers at random while the clients run.
  bool partitions = false;
  // Passed to the servers (-1: no snapshots); checked against the log size.
  int maxraftstate = -1;
  // Clients use random keys (and Put too), for the linearizability check,
  // instead of one key each.
  bool randomkeys = false;
  // Negative control only: servers serve stale reads, and the test passes
  // only if the checker finds the history not linearizable.
  bool stale_reads = false;
  int iterations = 3;
};

// Go's GenericTest (kvraft test_test.go).
void GenericTest(const GenericOptions& options);
// As GenericTest, in a world with the given options.
void GenericTest(const labrpc::WorldOptions& world,
                 const GenericOptions& options);

// What Go's GenericTestSpeed(t, part, maxraftstate) runs.
struct SpeedOptions {
  std::string part;  // "3A" or "3B", for the title
  int maxraftstate = -1;
};
// Go's GenericTestSpeed (kvraft test_test.go): 1000 appends by one client
// must take at most a third of a heartbeat (100 ms) each.
void GenericTestSpeed(const SpeedOptions& options);

}  // namespace raftlab_test

#endif  // RAFTLAB_TESTS_KV_TEST_HELPERS_H_
