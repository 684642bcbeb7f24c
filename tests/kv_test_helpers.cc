// The helpers of Go's kvraft test_test.go; see kv_test_helpers.h.
#include "tests/kv_test_helpers.h"

#include <atomic>
#include <cstdio>

#include "labrpc/channel.h"
#include "labrpc/runtime.h"
#include "labrpc/trace.h"
#include "linearizability/checker.h"
#include "tests/harness_cluster.h"

namespace raftlab_test {

using namespace std::chrono_literals;
using linearizability::CheckResult;
using linearizability::KvInput;
using linearizability::KvOp;
using linearizability::KvOutput;

// ---------------------------------------------------------------------------
// Logged clerk calls and checks.

namespace {

// Records a finished clerk call in `log` (if any; traced either way), then
// lets the client think (sim only; see kSimThinkMaxMs).
void Record(const OpLogPtr& log, int cli, KvOp op, const std::string& key,
            const std::string& value, const std::string& output, int64_t start,
            int64_t end) {
  KvOperation o;
  o.client_id = cli;
  o.input = KvInput{op, key, value};
  o.output = KvOutput{output, false};
  o.call = start;
  o.ret = end;
  if (log != nullptr) {
    log->Append(o);
  } else {
    TraceKvOperation(o);
  }
  SimThink();
}

}  // namespace

std::string Get(const KvConfigPtr& cfg, const KvClerkPtr& ck,
                const std::string& key, const OpLogPtr& log, int cli) {
  const int64_t start = cfg->Stamp();
  std::string v = ck->Get(key);
  const int64_t end = cfg->Stamp();
  cfg->Op();
  Record(log, cli, KvOp::kGet, key, "", v, start, end);
  return v;
}

void Put(const KvConfigPtr& cfg, const KvClerkPtr& ck, const std::string& key,
         const std::string& value, const OpLogPtr& log, int cli) {
  const int64_t start = cfg->Stamp();
  ck->Put(key, value);
  const int64_t end = cfg->Stamp();
  cfg->Op();
  Record(log, cli, KvOp::kPut, key, value, "", start, end);
}

void Append(const KvConfigPtr& cfg, const KvClerkPtr& ck,
            const std::string& key, const std::string& value,
            const OpLogPtr& log, int cli) {
  const int64_t start = cfg->Stamp();
  ck->Append(key, value);
  const int64_t end = cfg->Stamp();
  cfg->Op();
  Record(log, cli, KvOp::kAppend, key, value, "", start, end);
}

void Check(const KvConfigPtr& cfg, const KvClerkPtr& ck, const std::string& key,
           const std::string& value, Location where) {
  std::string v = Get(cfg, ck, key, nullptr, -1);
  if (v != value) {
    Fatal(labrpc::Sprintf("Get(%s): expected:\n%s\nreceived:\n%s", key.c_str(),
                          value.c_str(), v.c_str()),
          where);
  }
}

void CheckClntAppends(int clnt, const std::string& v, int count,
                      Location where) {
  std::string::size_type lastoff = std::string::npos;
  for (int j = 0; j < count; j++) {
    const std::string wanted =
        "x " + std::to_string(clnt) + " " + std::to_string(j) + " y";
    const std::string::size_type off = v.find(wanted);
    if (off == std::string::npos) {
      Fatal(labrpc::Sprintf("%d missing element %s in Append result %s", clnt,
                            wanted.c_str(), v.c_str()),
            where);
    }
    if (v.rfind(wanted) != off) {
      Fatal(labrpc::Sprintf("duplicate element %s in Append result",
                            wanted.c_str()),
            where);
    }
    if (lastoff != std::string::npos && off <= lastoff) {
      Fatal(labrpc::Sprintf("wrong order for element %s in Append result",
                            wanted.c_str()),
            where);
    }
    lastoff = off;
  }
}

void CheckConcurrentAppends(const std::string& v,
                            const std::vector<int>& counts, Location where) {
  for (size_t i = 0; i < counts.size(); i++) {
    CheckClntAppends(static_cast<int>(i), v, counts[i], where);
  }
}

void SpawnClientsAndWait(
    const KvConfigPtr& cfg, int ncli,
    const std::function<void(int cli, const KvClerkPtr& ck)>& fn) {
  auto wg = std::make_shared<labrpc::WaitGroup>();
  for (int cli = 0; cli < ncli; cli++) {
    wg->Add(1);
    labrpc::Go("kv-client-" + std::to_string(cli), [cfg, cli, fn, wg] {
      KvClerkPtr ck = cfg->MakeClient(cfg->All());
      fn(cli, ck);
      cfg->DeleteClient(ck);
      wg->Done();
    });
  }
  wg->Wait();
}

// ---------------------------------------------------------------------------
// The linearizability check.

CheckResult CheckLinearizable(const KvConfigPtr& cfg,
                              const std::vector<KvOperation>& history,
                              bool fail_if_illegal) {
  return CheckKvHistory(history, cfg->title(), cfg->Faults(), "kvraft-history",
                        fail_if_illegal);
}

// ---------------------------------------------------------------------------
// GenericTest and GenericTestSpeed.

namespace {

// Go's partitioner: until *done, splits the servers at random into two
// groups (either may be empty) every electionTimeout + 0-199 ms.
void Partitioner(const KvConfigPtr& cfg,
                 const std::shared_ptr<labrpc::Channel<bool>>& ch,
                 const std::shared_ptr<std::atomic<bool>>& done) {
  while (!done->load()) {
    std::vector<int> pa[2];
    for (int i = 0; i < cfg->n(); i++) pa[labrpc::RandInt(2)].push_back(i);
    cfg->Partition(pa[0], pa[1]);
    labrpc::Sleep(kKvElectionTimeout +
                  std::chrono::milliseconds(labrpc::RandInt(200)));
  }
  ch->Send(true);
}

std::string GenericTitle(const GenericOptions& p) {
  std::string title = "Test: ";
  if (p.unreliable) title += "unreliable net, ";  // the network drops RPCs
  if (p.crash) title += "restarts, ";  // peers re-start, and thus persistence
  if (p.partitions) title += "partitions, ";  // the network may partition
  if (p.maxraftstate != -1) title += "snapshots, ";
  if (p.randomkeys) title += "random keys, ";
  title += p.clients > 1 ? "many clients" : "one client";
  title += " (" + p.part + ")";
  return title;
}

}  // namespace

void GenericTest(const GenericOptions& p) {
  GenericTest(labrpc::WorldOptions::FromEnv(), p);
}

void GenericTest(const labrpc::WorldOptions& world, const GenericOptions& p) {
  const std::string title = GenericTitle(p);
  RunKvTest(
      world,
      {.servers = p.servers,
       .unreliable = p.unreliable,
       .maxraftstate = p.maxraftstate},
      [&](const KvConfigPtr& cfg) {
        if (p.stale_reads) cfg->SetStaleReadsForTesting(true);
        cfg->Begin(title);
        auto log = std::make_shared<OpLog>();
        KvClerkPtr ck = cfg->MakeClient(cfg->All());

        auto done_partitioner = std::make_shared<std::atomic<bool>>(false);
        auto done_clients = std::make_shared<std::atomic<bool>>(false);
        auto ch_partitioner = std::make_shared<labrpc::Channel<bool>>(1);
        // clnts[i] receives how many appends (and puts) client i made.
        std::vector<std::shared_ptr<labrpc::Channel<int>>> clnts;
        for (int i = 0; i < p.clients; i++) {
          clnts.push_back(std::make_shared<labrpc::Channel<int>>(1));
        }
        const int nclients = p.clients;
        const bool randomkeys = p.randomkeys;

        for (int i = 0; i < p.iterations; i++) {
          done_clients->store(false);
          done_partitioner->store(false);
          auto client = [cfg, log, done_clients, clnts, nclients, randomkeys](
                            int cli, const KvClerkPtr& myck) {
            int j = 0;
            std::string last;  // only used when not randomkeys
            if (!randomkeys)
              Put(cfg, myck, std::to_string(cli), last, log, cli);
            while (!done_clients->load()) {
              const std::string key =
                  randomkeys ? std::to_string(labrpc::RandInt(nclients))
                             : std::to_string(cli);
              const std::string nv =
                  "x " + std::to_string(cli) + " " + std::to_string(j) + " y";
              if (labrpc::RandInt(1000) < 500) {
                Append(cfg, myck, key, nv, log, cli);
                if (!randomkeys) last += nv;  // NextValue
                j++;
              } else if (randomkeys && labrpc::RandInt(1000) < 100) {
                // Only with random keys: it would break the check after Get.
                Put(cfg, myck, key, nv, log, cli);
                j++;
              } else {
                std::string v = Get(cfg, myck, key, log, cli);
                // Only makes sense when we're not using random keys.
                if (!randomkeys && v != last) {
                  Fatal(labrpc::Sprintf(
                      "get wrong value, key %s, wanted:\n%s\n, got\n%s\n",
                      key.c_str(), last.c_str(), v.c_str()));
                }
              }
            }
            clnts[cli]->Send(j);
          };
          labrpc::Go("kv-spawn-clients", [cfg, nclients, client] {
            SpawnClientsAndWait(cfg, nclients, client);
          });

          if (p.partitions) {
            // Allow the clients to perform some operations without
            // interruption.
            labrpc::Sleep(1s);
            labrpc::Go("kv-partitioner",
                       [cfg, ch_partitioner, done_partitioner] {
                         Partitioner(cfg, ch_partitioner, done_partitioner);
                       });
          }
          labrpc::Sleep(5s);

          done_clients->store(true);      // tell clients to quit
          done_partitioner->store(true);  // tell partitioner to quit

          if (p.partitions) {
            ch_partitioner->Receive();
            // Reconnect the network and submit a request. A client may have
            // submitted a request in a minority. That request won't return
            // until that server discovers a new term has started.
            cfg->ConnectAll();
            // Wait for a while so that we have a new term.
            labrpc::Sleep(kKvElectionTimeout);
          }

          if (p.crash) {
            for (int s = 0; s < p.servers; s++) cfg->ShutdownServer(s);
            // Wait for a while for servers to shut down, since shutdown isn't
            // a real crash and isn't instantaneous.
            labrpc::Sleep(kKvElectionTimeout);
            // Crash and re-start all.
            for (int s = 0; s < p.servers; s++) cfg->StartServer(s);
            cfg->ConnectAll();
          }

          for (int c = 0; c < nclients; c++) {
            const int j = *clnts[c]->Receive();
            const std::string key = std::to_string(c);
            std::string v = Get(cfg, ck, key, log, 0);
            if (!randomkeys) CheckClntAppends(c, v, j);
          }

          if (p.maxraftstate > 0) {
            // Check maximum after the servers have processed all client
            // requests and had time to checkpoint.
            const size_t sz = cfg->LogSize();
            if (sz > 8 * static_cast<size_t>(p.maxraftstate)) {
              Fatal(labrpc::Sprintf("logs were not trimmed (%zu > 8*%d)", sz,
                                    p.maxraftstate));
            }
            cfg->CheckSnapshotted();
          }
          if (p.maxraftstate < 0) {
            // Check that snapshots are not used.
            const size_t ssz = cfg->SnapshotSize();
            if (ssz > 0) {
              Fatal(labrpc::Sprintf(
                  "snapshot too large (%zu), should not be used when "
                  "maxraftstate = %d",
                  ssz, p.maxraftstate));
            }
          }
        }

        const std::vector<KvOperation> history = log->Read();
        if (p.stale_reads) {
          // The negative control: the checker must catch the stale reads.
          const CheckResult res = CheckLinearizable(cfg, history, false);
          if (res != CheckResult::kIllegal) {
            Fatal(labrpc::Sprintf(
                "negative control: a server serving stale reads produced a "
                "history of %zu operations that the checker found %s, not "
                "Illegal",
                history.size(), linearizability::ToString(res)));
          }
          std::printf(
              "info: stale reads caught: history of %zu operations is "
              "not linearizable\n",
              history.size());
        } else {
          CheckLinearizable(cfg, history);
        }
        cfg->End();
      });
}

void GenericTestSpeed(const SpeedOptions& options) {
  constexpr int kNumOps = 1000;
  RunKvTest(
      {.servers = 3, .maxraftstate = options.maxraftstate},
      [&](const KvConfigPtr& cfg) {
        KvClerkPtr ck = cfg->MakeClient(cfg->All());
        cfg->Begin("Test: ops complete fast enough (" + options.part + ")");

        // Wait until the first op completes, so we know a leader is elected and
        // the KV servers are ready to process client requests.
        ck->Get("x");

        const labrpc::Duration start = labrpc::Now();
        for (int i = 0; i < kNumOps; i++) {
          ck->Append("x", "x 0 " + std::to_string(i) + " y");
        }
        const labrpc::Duration dur = labrpc::Now() - start;

        std::string v = ck->Get("x");
        CheckClntAppends(0, v, kNumOps);
        cfg->CheckSnapshotted();  // does nothing without snapshots (3A)

        // The heartbeat interval should be ~100 ms; require at least 3 ops per
        // interval.
        constexpr labrpc::Duration kHeartbeatInterval = 100ms;
        constexpr int kOpsPerInterval = 3;
        constexpr labrpc::Duration kTimePerOp =
            kHeartbeatInterval / kOpsPerInterval;
        if (dur > kNumOps * kTimePerOp) {
          Fatal(labrpc::Sprintf(
              "Operations completed too slowly %.3fms/op > %.3fms/op\n",
              std::chrono::duration<double, std::milli>(dur / kNumOps).count(),
              std::chrono::duration<double, std::milli>(kTimePerOp).count()));
        }
        cfg->End();
      });
}

}  // namespace raftlab_test
