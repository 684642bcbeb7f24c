// The scripted-peer harness of the Raft rule tests (raft_rules_*_test.cc).
//
// One real raft::Raft, the peer under test (index kMe), lives in a cluster
// whose other members are played by the test: each scripted peer is a labrpc
// server with a "Raft" service whose handlers answer as the test says (grant
// or refuse a vote, reply with another term, hold a reply back, follow the
// leader truthfully) and record every request with its arrival time. The
// test also sends hand-made RPCs to the peer under test, reads GetState(),
// watches its apply channel, and crashes and restarts it from a copy of its
// Persister. So each test can set up exactly the situation one rule of
// Figure 2 or 13 of the Raft paper is about, and check that rule alone.
//
// Only the lab API and the Figure 2/13 fields of raft/rpc.h are used, so the
// harness works with any Raft that implements the lab's interface.
//
//   RunRules(3, [](Harness& h) {
//     h.OnRequestVote(Harness::GrantVote);
//     int term = h.ElectMe();
//     ...
//   });
#ifndef RAFTLAB_TESTS_RAFT_RULES_HARNESS_H_
#define RAFTLAB_TESTS_RAFT_RULES_HARNESS_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "labrpc/network.h"
#include "labrpc/runtime.h"
#include "raft/apply_msg.h"
#include "raft/persister.h"
#include "raft/raft.h"
#include "raft/rpc.h"

namespace raftlab_test::rules {

using namespace std::chrono_literals;

// The index of the peer under test; every other index is a scripted peer.
inline constexpr int kMe = 0;

// Bounds, in world time (virtual under sim). They are generous, for a loaded
// two-core machine under the real runtime, yet every bug they are meant to
// catch breaks them by far.
//
// The lab requires a new leader within 5 s of a failure, so a follower that
// hears from no leader must start an election well within that.
inline constexpr labrpc::Duration kElectionBound = 5s;
// Reacting to a message the peer has already processed (its reply is out):
// nothing but scheduling stands in the way.
inline constexpr labrpc::Duration kReactBound = 500ms;
// From a commit the peer knows of to the ApplyMsg.
inline constexpr labrpc::Duration kApplyBound = 2s;
// How long something forbidden must stay absent. A buggy Raft does the
// forbidden thing within one round trip or one heartbeat.
inline constexpr labrpc::Duration kQuietPeriod = 1s;
// How long a leader is kept with only a minority of peers reachable: less
// than an election timeout (which spans a few 100 ms heartbeats), since a
// leader may step down when it has not heard from a majority for that
// long. Still a few heartbeats and round trips.
inline constexpr labrpc::Duration kMinorityPeriod = 250ms;
// A scripted leader's heartbeat period: faster than the lab's limit for the
// peer's own heartbeats (10/s), so no election timeout may be this short.
inline constexpr labrpc::Duration kScriptedHeartbeat = 50ms;

// One request a scripted peer received, and the reply it gave.
template <class Args, class Reply>
struct Exchange {
  int peer = 0;           // the scripted peer that received it
  labrpc::Duration at{};  // when it arrived
  Args args;
  bool replied = false;  // the handler has returned
  labrpc::Duration replied_at{};
  Reply reply;
};
using VoteExchange = Exchange<raft::RequestVoteArgs, raft::RequestVoteReply>;
using AppendExchange =
    Exchange<raft::AppendEntriesArgs, raft::AppendEntriesReply>;
using SnapExchange =
    Exchange<raft::InstallSnapshotArgs, raft::InstallSnapshotReply>;

// One message from the peer's apply channel.
struct Applied {
  labrpc::Duration at{};
  raft::ApplyMsg msg;
};

// A log entry whose command is the int `cmd` (as the test's commands are).
raft::LogEntry Entry(int term, int cmd);
// The entries for commands `cmds`, all of term `term`.
std::vector<raft::LogEntry> Entries(int term, const std::vector<int>& cmds);
raft::RequestVoteArgs VoteArgs(int term, int candidate, int last_log_index,
                               int last_log_term);
// A snapshot through `index` whose data is the encoded int `index` (so the
// harness knows where a restarted peer resumes applying).
raft::InstallSnapshotArgs SnapArgs(int term, int leader, int index,
                                   int last_term);

class Harness : public std::enable_shared_from_this<Harness> {
 public:
  // A scripted handler: runs in the fabric's handler task for a request to
  // scripted peer `peer`; it may block (a late reply) and fills *reply.
  template <class Args, class Reply>
  using Handler =
      std::function<void(Harness& h, int peer, const Args& args, Reply* reply)>;
  using VoteHandler = Handler<raft::RequestVoteArgs, raft::RequestVoteReply>;
  using AppendHandler =
      Handler<raft::AppendEntriesArgs, raft::AppendEntriesReply>;
  using SnapHandler =
      Handler<raft::InstallSnapshotArgs, raft::InstallSnapshotReply>;

  // A cluster of n peers: the peer under test started afresh, and n-1
  // scripted peers that refuse votes, follow AppendEntries truthfully on an
  // empty log and accept snapshots.
  static std::shared_ptr<Harness> Make(int n);
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;
  ~Harness();

  // Kills the peer and shuts the network; with quiet, never throws.
  void Cleanup(bool quiet = false);
  int n() const { return n_; }

  // --- The peer under test ---

  // Cuts the peer off (its ends and its server), takes a Copy() of its
  // Persister, and Kills it: a crash, as the lab's crash1 does it.
  void Crash();
  // Crash() if it is running, then Make()s a fresh instance on the saved
  // copy, with a fresh apply channel.
  void Restart();
  // Kill() only: the instance stays on the network, so the test can see
  // what a killed peer still does.
  void Kill();
  std::pair<int, bool> State();
  raft::Raft::StartResult Start(int cmd);
  // The service's Snapshot(index) call, with the test's snapshot data (the
  // encoded index). Call it only with nothing left to apply: a Raft may
  // hold its lock while it sends on the apply channel.
  void Snapshot(int index);
  // The peer's Status() (the tester's view of its state).
  raft::RaftStatus Status();

  // --- Hand-made RPCs to the peer, as scripted peer `from` ---
  // They fail the test if no reply comes (the network is reliable).
  raft::RequestVoteReply RequestVote(int from,
                                     const raft::RequestVoteArgs& args);
  raft::AppendEntriesReply AppendEntries(int from,
                                         const raft::AppendEntriesArgs& args);
  raft::InstallSnapshotReply InstallSnapshot(
      int from, const raft::InstallSnapshotArgs& args);
  // As AppendEntries, with the fields in Figure 2's order.
  raft::AppendEntriesReply Append(int from, int term, int prev_index,
                                  int prev_term,
                                  std::vector<raft::LogEntry> entries,
                                  int leader_commit);

  // As Append, but a missing reply is not a failure (e.g. a killed peer).
  std::optional<raft::AppendEntriesReply> TryAppend(
      int from, int term, int prev_index, int prev_term,
      std::vector<raft::LogEntry> entries, int leader_commit);

  // A task that sends `from`'s heartbeat (term, prev 0/0, no entries,
  // leaderCommit 0: it always matches and commits nothing) every
  // kScriptedHeartbeat, until StopHeartbeats(); any earlier one stops.
  void StartHeartbeats(int from, int term);
  void StopHeartbeats();

  // --- Scripted peers ---

  // Replace the handler of every scripted peer.
  void OnRequestVote(VoteHandler handler);
  void OnAppendEntries(AppendHandler handler);
  void OnInstallSnapshot(SnapHandler handler);
  // Enables or disables the peer's end to scripted `peer`: disabled, its
  // requests (and replies in flight) are lost.
  void SetReachable(int peer, bool yes);
  // Scripted `peer`'s log: entries 1..n (Follow and GrantVote use it).
  void SetLog(int peer, const std::vector<raft::LogEntry>& entries);

  // Standard behaviours.
  // Refuses, in the candidate's term.
  static void RefuseVote(Harness& h, int peer, const raft::RequestVoteArgs& a,
                         raft::RequestVoteReply* r);
  // Grants if the candidate's log is at least as up to date as the scripted
  // peer's (section 5.4.1), else refuses; in the candidate's term.
  static void GrantVote(Harness& h, int peer, const raft::RequestVoteArgs& a,
                        raft::RequestVoteReply* r);
  // Figure 2's AppendEntries receiver (rules 2-4) on the scripted peer's
  // log, replying in the leader's term: an honest follower.
  static void Follow(Harness& h, int peer, const raft::AppendEntriesArgs& a,
                     raft::AppendEntriesReply* r);
  // Replies in the leader's term.
  static void AcceptSnapshot(Harness& h, int peer,
                             const raft::InstallSnapshotArgs& a,
                             raft::InstallSnapshotReply* r);

  // For handlers: waits until pred() holds (true), `bound` passes or the
  // test ends (false).
  bool HoldUntil(const std::function<bool()>& pred, labrpc::Duration bound);
  // For handlers: true once the test has ended.
  bool Stopping() const;

  // --- What the scripted peers and the service saw ---
  std::vector<VoteExchange> Votes();
  std::vector<AppendExchange> Appends();
  std::vector<SnapExchange> Snaps();
  // The ApplyMsgs of the current instance, in order.
  std::vector<Applied> ApplyLog();
  // The snapshot in the current instance's Persister.
  labrpc::Bytes PersistedSnapshot();

  // --- Waiting ---

  // Polls pred every few ms; true as soon as it holds, false after `bound`.
  bool WaitUntil(labrpc::Duration bound, const std::function<bool()>& pred);
  // The first RequestVote (from the current instance) with term >= min_term
  // that arrives (or arrived) after `since`, waiting up to `bound`.
  std::optional<VoteExchange> AwaitVoteRequest(int min_term,
                                               labrpc::Duration since,
                                               labrpc::Duration bound);
  // Lets the scripted peers grant votes (GrantVote) and waits up to
  // kElectionBound for the peer to say it leads; returns its term. Fails the
  // test (naming `why`) if it does not.
  int ElectMe(const std::string& why);
  // Waits up to `bound` for at least `count` ApplyMsgs; fails the test,
  // quoting `rule`, with what was applied, if they do not come.
  void AwaitApplied(size_t count, labrpc::Duration bound,
                    const std::string& rule);
  // Checks that the command ApplyMsgs, in order, are exactly `cmds` at
  // indices first, first+1, ...; fails quoting `rule`.
  void ExpectCommands(int first, const std::vector<int>& cmds,
                      const std::string& rule);
  // The applied messages, for failure messages ("cmd 5@3, snap@4, ...").
  std::string DescribeApplied();

 private:
  struct Instance;
  explicit Harness(int n);
  void StartInstance();
  std::shared_ptr<Instance> Current();
  // Records the request in *log, runs the handler this->*handler (read
  // under mu_), records the reply.
  template <class Args, class Reply>
  void Serve(int peer, const Args& args, Reply* reply,
             std::vector<Exchange<Args, Reply>> Harness::*log,
             Handler<Args, Reply> Harness::*handler);
  void OnApply(int generation, raft::ApplyMsg msg);

  const int n_;
  labrpc::Network net_;
  // Ends the scripted peers use to reach the peer under test.
  std::vector<std::shared_ptr<labrpc::ClientEnd>> to_me_;

  mutable labrpc::Mutex mu_{"rules-harness"};
  // Guarded by mu_ from here on.
  std::shared_ptr<Instance> inst_;
  int generation_ = 0;  // incarnations of the peer started so far
  std::shared_ptr<raft::Persister> persister_;  // the current instance's
  VoteHandler vote_handler_;
  AppendHandler append_handler_;
  SnapHandler snap_handler_;
  std::vector<std::vector<raft::LogEntry>> logs_;  // [peer][index], [0] dummy
  std::vector<VoteExchange> votes_;
  std::vector<AppendExchange> appends_;
  std::vector<SnapExchange> snaps_;
  std::vector<Applied> applied_;  // current instance's
  int last_applied_ = 0;          // its last applied index (or snapshot's)
  int heartbeat_generation_ = 0;
  bool stopping_ = false;
};

// Sends `from`'s AppendEntries to the peer under test and fails the test
// unless it succeeds in `term`; `why` says which rule requires that.
void MustAppend(Harness& h, int from, int term, int prev, int prev_term,
                std::vector<raft::LogEntry> entries, int commit,
                const std::string& why);

// Runs `body` on a fresh n-peer harness in a fresh world (RunWithHarness),
// made from the environment (WorldOptions::FromEnv()) or from `options`
// (e.g. those with fuzz_schedule forced on).
void RunRules(int n, const std::function<void(Harness& h)>& body);
void RunRules(const labrpc::WorldOptions& options, int n,
              const std::function<void(Harness& h)>& body);

}  // namespace raftlab_test::rules

#endif  // RAFTLAB_TESTS_RAFT_RULES_HARNESS_H_
