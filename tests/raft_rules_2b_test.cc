// Rule tests, stage 2B: the log rules of Figure 2 of the Raft paper (the
// AppendEntries receiver, commitment, the election restriction), each
// checked on one real peer against peers the test plays itself (see
// tests/raft_rules_harness.h). Each failure quotes the rule it breaks.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "labrpc/runtime.h"
#include "labrpc/trace.h"
#include "tests/raft_rules_harness.h"
#include "tests/test_world.h"

namespace raftlab_test::rules {
namespace {

using labrpc::Sprintf;

const char kRule2[] =
    "Figure 2, AppendEntries receiver, rule 2: \"reply false if log doesn't "
    "contain an entry at prevLogIndex whose term matches prevLogTerm\"";
const char kRule5[] =
    "Figure 2, AppendEntries receiver, rule 5: \"if leaderCommit > "
    "commitIndex, set commitIndex = min(leaderCommit, index of last new "
    "entry)\"";
const char kUpToDate[] =
    "Figure 2, RequestVote receiver, rule 2, with section 5.4.1: grant only "
    "if the \"candidate's log is at least as up-to-date as receiver's log\"";
const char kLeaderCommit[] =
    "Figure 2, Rules for Servers, Leaders: \"if there exists an N such that "
    "N > commitIndex, a majority of matchIndex[i] >= N, and log[N].term == "
    "currentTerm: set commitIndex = N\"";

// Sends an AppendEntries that the consistency check must reject.
void MustReject(Harness& h, int from, int term, int prev, int prev_term,
                std::vector<raft::LogEntry> entries, int commit,
                const std::string& why) {
  raft::AppendEntriesReply r =
      h.Append(from, term, prev, prev_term, std::move(entries), commit);
  if (r.success) {
    Fatal(
        Sprintf("S%d's AppendEntries (term %d, prevLogIndex %d, "
                "prevLogTerm %d) succeeded: %s",
                from, term, prev, prev_term, why.c_str()));
  }
}

// The ApplyMsg of command index `index`, if it was applied.
std::optional<Applied> AppliedAt(Harness& h, int index) {
  for (const Applied& a : h.ApplyLog())
    if (a.msg.command_valid && a.msg.command_index == index) return a;
  return std::nullopt;
}

TEST(RaftRules2B, AppendEntriesRejectsMismatchedPrevLog) {
  RunRules(3, [](Harness& h) {
    // S1 leads term 2; its log holds two entries of term 1, one of term 2.
    MustAppend(h, 1, 2, 0, 0, {Entry(1, 101), Entry(1, 102), Entry(2, 103)}, 0,
               "the first entries from the leader (prevLogIndex 0)");
    h.StartHeartbeats(1, 2);
    std::string log = "the log is 1:t1 2:t1 3:t2";
    MustReject(h, 1, 2, 4, 2, {Entry(2, 901)}, 4,
               std::string(kRule2) + ": " + log + ", nothing at index 4");
    MustReject(h, 1, 2, 3, 1, {Entry(2, 902)}, 4,
               std::string(kRule2) + ": " + log + ", entry 3 is of term 2");
    MustReject(h, 1, 2, 2, 2, {Entry(2, 903)}, 4,
               std::string(kRule2) + ": " + log + ", entry 2 is of term 1");
    // The rejected entries must not have been stored.
    MustReject(h, 1, 2, 4, 2, {}, 0,
               std::string(kRule2) +
                   ": the entries of rejected "
                   "AppendEntries were stored anyway");
    MustAppend(h, 1, 2, 3, 2, {}, 3, "entry 3 is of term 2, so this matches");
    h.AwaitApplied(3, kApplyBound, kRule5);
    h.ExpectCommands(1, {101, 102, 103}, kRule5);
  });
}

TEST(RaftRules2B, FollowerAppliesCommittedEntriesInOrder) {
  // Under sim, schedule fuzzing (a random ready task runs next, still
  // seeded) shakes out applies that nothing orders, e.g. one task per send.
  labrpc::WorldOptions options = labrpc::WorldOptions::FromEnv();
  options.fuzz_schedule = true;
  RunRules(options, 3, [](Harness& h) {
    MustAppend(h, 1, 1, 0, 0, Entries(1, {101, 102}), 0, "the first entries");
    h.StartHeartbeats(1, 1);
    const std::vector<int> later = {103, 104, 105, 106, 107, 108, 109, 110};
    MustAppend(h, 1, 1, 2, 1, Entries(1, later), 2,
               "Figure 2, AppendEntries receiver, rule 4: \"append any new "
               "entries not already in the log\"");
    h.AwaitApplied(2, kApplyBound, kRule5);
    labrpc::Sleep(kQuietPeriod / 2);
    if (h.ApplyLog().size() != 2) {
      Fatal(std::string(kRule5) + ": leaderCommit was 2, yet the service got " +
            h.DescribeApplied());
    }
    // Eight entries commit at once; the harness fails the test as soon as
    // one is applied out of order.
    MustAppend(h, 1, 1, 10, 1, {}, 10, "entries 1..10 are all there");
    h.AwaitApplied(10, kApplyBound, kRule5);
    h.ExpectCommands(1, {101, 102, 103, 104, 105, 106, 107, 108, 109, 110},
                     "Figure 2, Rules for Servers, All Servers: apply "
                     "log[lastApplied] in order (hint: send on the apply "
                     "channel from one task, in index order)");
  });
}

TEST(RaftRules2B, ConflictingEntriesReplaced) {
  RunRules(5, [](Harness& h) {
    // S1, leader of term 1, left three entries that never committed.
    MustAppend(h, 1, 1, 0, 0, Entries(1, {101, 102, 103}), 0,
               "the first entries");
    // S2, leader of term 2, has 1:t1 2:t2; entry 2 conflicts.
    MustAppend(h, 2, 2, 1, 1, {Entry(2, 202)}, 0, "entry 1 (term 1) matches");
    // S1 campaigns in term 3 with its old log, last entry 3 of term 1. The
    // peer's log now ends with entry 2 of term 2, which is more up to date;
    // had it kept entry 3 of term 1, the logs would compare equal.
    raft::RequestVoteReply r = h.RequestVote(1, VoteArgs(3, 1, 3, 1));
    if (r.vote_granted) {
      Fatal(
          "Figure 2, AppendEntries receiver, rule 3: \"if an existing entry "
          "conflicts with a new one (same index but different terms), "
          "delete the existing entry and all that follow it\": after S2 "
          "replaced entry 2 with one of term 2, the peer voted for S1, "
          "whose log ends with entry 3 of term 1, as if that entry, or the "
          "old entry 2, were still there");
    }
    // S2 leads term 10 and commits its own entry at index 3.
    MustAppend(h, 2, 10, 2, 2, {Entry(10, 203)}, 3,
               "entry 2 is S2's entry of term 2");
    h.AwaitApplied(3, kApplyBound, kRule5);
    h.ExpectCommands(1, {101, 202, 203},
                     "Figure 2, AppendEntries receiver, rules 3 and 4");
  });
}

TEST(RaftRules2B, StaleAppendDoesNotTruncate) {
  RunRules(3, [](Harness& h) {
    MustAppend(h, 1, 1, 0, 0, Entries(1, {101, 102, 103, 104, 105}), 0,
               "the first entries");
    h.StartHeartbeats(1, 1);
    // A delayed copy of an earlier AppendEntries of the same leader.
    MustAppend(h, 1, 1, 0, 0, Entries(1, {101, 102, 103}), 0,
               "a delayed AppendEntries whose entries all match");
    MustAppend(h, 1, 1, 5, 1, {Entry(1, 106)}, 6,
               "Figure 2, AppendEntries receiver, rule 3 deletes entries only "
               "on a conflict (same index, different terms): a delayed "
               "AppendEntries carrying entries 1..3, which match, must not "
               "remove entries 4..5");
    h.AwaitApplied(6, kApplyBound, kRule5);
    h.ExpectCommands(1, {101, 102, 103, 104, 105, 106}, kRule5);
  });
}

TEST(RaftRules2B, CommitIndexLimitedToLastNewEntry) {
  RunRules(3, [](Harness& h) {
    // S1, leader of term 1, left entries 1..5; only 1..2 made it to a
    // majority. S2, leader of term 2, holds 1:t1 2:t1 3:t2 4:t2, committed
    // through 4.
    MustAppend(h, 1, 1, 0, 0, Entries(1, {101, 102, 103, 104, 105}), 0,
               "the first entries");
    MustAppend(h, 2, 2, 2, 1, {}, 4,
               "S2 probes at index 2 (term 1), which matches");
    h.StartHeartbeats(2, 2);
    labrpc::Sleep(kQuietPeriod);
    if (std::optional<Applied> a = AppliedAt(h, 3)) {
      Fatal(std::string(kRule5) +
            ": after an AppendEntries with prevLogIndex 2, no entries and "
            "leaderCommit 4, the peer applied its own stale entry 3 (from "
            "the old leader S1, never committed; the index of the last new "
            "entry is 2); the service got " +
            h.DescribeApplied());
    }
    MustAppend(h, 2, 2, 2, 1, {Entry(2, 203), Entry(2, 204)}, 4,
               "prevLogIndex 2 (term 1) matches");
    h.AwaitApplied(4, kApplyBound, kRule5);
    h.ExpectCommands(1, {101, 102, 203, 204}, kRule5);
  });
}

TEST(RaftRules2B, VoterRefusesCandidateWithOlderLastTerm) {
  RunRules(5, [](Harness& h) {
    MustAppend(h, 1, 1, 0, 0, Entries(1, {101, 102}), 0, "the first entries");
    MustAppend(h, 2, 2, 2, 1, {Entry(2, 203)}, 0, "entry 2 matches");
    // The peer's log: 1:t1 2:t1 3:t2.
    const int t = h.State().first + 10;
    raft::RequestVoteReply r = h.RequestVote(3, VoteArgs(t, 3, 10, 1));
    if (r.vote_granted) {
      Fatal(
          Sprintf("%s: \"if the logs have last entries with different "
                  "terms, then the log with the later term is more "
                  "up-to-date\": granted S3 a vote in term %d though its "
                  "last entry is of term 1 and the peer's of term 2 (S3's "
                  "log is longer, 10 entries against 3, which does not "
                  "matter)",
                  kUpToDate, t));
    }
    if (r.term != t) {
      Fatal(
          Sprintf("Figure 2, Rules for Servers, All Servers: a refused "
                  "candidate's newer term is still adopted: S3 asked in "
                  "term %d, the reply says %d",
                  t, r.term));
    }
    // Later last term, shorter log: up to date.
    r = h.RequestVote(4, VoteArgs(t + 10, 4, 1, 3));
    if (!r.vote_granted) {
      Fatal(
          Sprintf("%s: refused S4 in term %d, whose last entry (index 1) "
                  "is of term 3, later than the peer's last entry (index "
                  "3, term 2)",
                  kUpToDate, t + 10));
    }
  });
}

TEST(RaftRules2B, VoterRefusesCandidateWithShorterLog) {
  RunRules(5, [](Harness& h) {
    MustAppend(h, 1, 1, 0, 0, Entries(1, {101, 102, 103}), 0,
               "the first entries");
    // The peer's log: 1:t1 2:t1 3:t1.
    const int t = h.State().first + 10;
    raft::RequestVoteReply r = h.RequestVote(2, VoteArgs(t, 2, 2, 1));
    if (r.vote_granted) {
      Fatal(
          Sprintf("%s: \"if the logs end with the same term, then whichever "
                  "log is longer is more up-to-date\": granted S2 a vote "
                  "in term %d with lastLogIndex 2, lastLogTerm 1, while the "
                  "peer's log ends at index 3 of term 1",
                  kUpToDate, t));
    }
    // As long, same last term: at least as up to date.
    r = h.RequestVote(3, VoteArgs(t + 10, 3, 3, 1));
    if (!r.vote_granted) {
      Fatal(
          Sprintf("%s: refused S3 in term %d, whose log ends like the "
                  "peer's (index 3, term 1)",
                  kUpToDate, t + 10));
    }
  });
}

TEST(RaftRules2B, LeaderCommitsOnlyWithMajority) {
  RunRules(5, [](Harness& h) {
    const int t = h.ElectMe("with empty logs");
    for (int p = 2; p < 5; p++) h.SetReachable(p, false);
    raft::Raft::StartResult s = h.Start(31);
    if (!s.is_leader || s.term != t) {
      Fatal(
          Sprintf("Start() on the leader of term %d returned is_leader=%d "
                  "term=%d",
                  t, s.is_leader, s.term));
    }
    auto stored_on = [&h, &s](int peer) {
      for (const AppendExchange& e : h.Appends()) {
        if (e.peer == peer && e.replied && e.reply.success &&
            e.args.prev_log_index + static_cast<int>(e.args.entries.size()) >=
                s.index)
          return true;
      }
      return false;
    };
    if (!h.WaitUntil(kApplyBound, [&] { return stored_on(1); })) {
      Fatal(
          Sprintf("Figure 2, Rules for Servers, Leaders: the entry Start() "
                  "put at index %d never reached S1 within 2 s",
                  s.index));
    }
    // Long enough for a leader that counts wrong to commit (it would do so
    // on S1's reply), short enough that a leader which steps down after an
    // election timeout without hearing from a majority (section 6.2 of
    // Ongaro's dissertation) still leads when S2 comes back.
    labrpc::Sleep(kMinorityPeriod);
    if (!h.ApplyLog().empty()) {
      Fatal(std::string(kLeaderCommit) + ": index " + std::to_string(s.index) +
            " is stored on the leader and S1 only, 2 of 5 peers, yet the "
            "service got " +
            h.DescribeApplied());
    }
    // With S2 back, 3 of 5 store it.
    h.SetReachable(2, true);
    if (!h.WaitUntil(kApplyBound,
                     [&] { return AppliedAt(h, s.index).has_value(); })) {
      Fatal(std::string(kLeaderCommit) + ": index " + std::to_string(s.index) +
            " of the current term is stored on the leader, S1 and S2, 3 of "
            "5, yet within 2 s the service got " +
            h.DescribeApplied());
    }
    h.ExpectCommands(s.index, {31}, kLeaderCommit);
  });
}

TEST(RaftRules2B, NeverCommitsOlderTermEntryByCounting) {
  RunRules(3, [](Harness& h) {
    // S1 led term 1 and stored entry 1 on every peer, but fell before it
    // could commit it.
    h.SetLog(1, {Entry(1, 11)});
    h.SetLog(2, {Entry(1, 11)});
    MustAppend(h, 1, 1, 0, 0, {Entry(1, 11)}, 0, "the first entry");
    const int t = h.ElectMe("all logs are 1:t1");
    // When a majority (the leader and one follower) first stored an entry
    // of term t.
    auto first_own_term_ack = [&h, t]() -> std::optional<labrpc::Duration> {
      std::optional<labrpc::Duration> first;
      for (const AppendExchange& e : h.Appends()) {
        if (e.args.term != t || !e.replied || !e.reply.success) continue;
        for (const raft::LogEntry& x : e.args.entries) {
          if (x.term == t && (!first || e.at < *first)) first = e.at;
        }
      }
      return first;
    };
    auto check = [&] {
      std::optional<Applied> a = AppliedAt(h, 1);
      if (!a) return;
      std::optional<labrpc::Duration> ack = first_own_term_ack();
      if (!ack || a->at < *ack) {
        Fatal(std::string(kLeaderCommit) +
              " (section 5.4.2, Figure 8: never commit an entry of an "
              "earlier term by counting replicas): the leader of term " +
              std::to_string(t) +
              " applied index 1, of term 1, before any entry of its own term "
              "was stored on a majority; the service got " +
              h.DescribeApplied());
      }
    };
    // Every follower acknowledges entry 1 within a heartbeat or two.
    labrpc::Sleep(kQuietPeriod);
    check();
    raft::Raft::StartResult s = h.Start(12);
    if (!s.is_leader || s.term != t) {
      Fatal(
          Sprintf("Start() on the leader of term %d returned is_leader=%d "
                  "term=%d",
                  t, s.is_leader, s.term));
    }
    if (!h.WaitUntil(kApplyBound,
                     [&] { return AppliedAt(h, s.index).has_value(); })) {
      Fatal(std::string(kLeaderCommit) + ": the followers store index " +
            std::to_string(s.index) +
            " of the current term, yet within 2 s "
            "the service got " +
            h.DescribeApplied());
    }
    check();
    h.ExpectCommands(1, {11}, kLeaderCommit);
    h.ExpectCommands(s.index, {12}, kLeaderCommit);
  });
}

TEST(RaftRules2B, LeaderIgnoresAppendSuccessFromOlderTerm) {
  RunRules(3, [](Harness& h) {
    // From term `old` on, the followers' replies are late: those of term
    // `old` come once `release` is set, later ones never.
    struct Script {
      std::atomic<int> old{0};
      std::atomic<bool> release{false};
    };
    auto sc = std::make_shared<Script>();
    h.OnAppendEntries([sc](Harness& h, int peer,
                           const raft::AppendEntriesArgs& a,
                           raft::AppendEntriesReply* r) {
      Harness::Follow(h, peer, a, r);
      const int old = sc->old.load();
      if (old == 0 || a.term < old) return;
      if (a.term == old) {
        h.HoldUntil([sc] { return sc->release.load(); }, 60s);
      } else {
        h.HoldUntil([] { return false; }, 60s);
      }
    });
    const int t1 = h.ElectMe("with empty logs");
    sc->old = t1;
    for (int cmd : {21, 22, 23}) {
      if (!h.Start(cmd).is_leader) {
        Fatal("Start() on the leader returned is_leader=false");
      }
    }
    auto got_entry = [&h](int peer, int term, int index) {
      for (const AppendExchange& e : h.Appends()) {
        if (e.peer == peer && e.args.term == term &&
            e.args.prev_log_index + static_cast<int>(e.args.entries.size()) >=
                index &&
            !e.args.entries.empty())
          return true;
      }
      return false;
    };
    if (!h.WaitUntil(kApplyBound, [&] {
          return got_entry(1, t1, 3) && got_entry(2, t1, 3);
        })) {
      Fatal(
          "Figure 2, Rules for Servers, Leaders: the entries 1..3 from "
          "Start() did not reach both followers within 2 s");
    }
    // S2 leads term t1+1 and overwrites entries 2..3 on the peer, which
    // steps down.
    MustAppend(h, 2, t1 + 1, 1, t1, {Entry(t1 + 1, 202)}, 0,
               "entry 1 (of term " + std::to_string(t1) + ") matches");
    if (!h.WaitUntil(kReactBound, [&] { return !h.State().second; })) {
      Fatal(
          "Figure 2, Rules for Servers, All Servers: still leads after "
          "answering AppendEntries of a later term");
    }
    // Re-elected in t2, the peer appends after 1:t1 2:t(t1+1).
    const int t2 = h.ElectMe("re-election after stepping down");
    for (int cmd : {24, 25}) {
      raft::Raft::StartResult s2 = h.Start(cmd);
      if (!s2.is_leader || s2.term != t2) {
        Fatal("Start() on the re-elected leader returned is_leader=false");
      }
    }
    if (!h.WaitUntil(kApplyBound, [&] {
          return got_entry(1, t2, 3) && got_entry(2, t2, 3);
        })) {
      Fatal(
          "Figure 2, Rules for Servers, Leaders: the entries from Start() did "
          "not reach both followers within 2 s");
    }
    // Now the successes of term t1 arrive, for entries 1..3 of term t1, of
    // which 2..3 are gone; nobody has acknowledged anything sent in term t2,
    // yet index 3 now holds an entry of term t2.
    sc->release = true;
    labrpc::Sleep(kQuietPeriod);
    if (!h.ApplyLog().empty()) {
      Fatal(Sprintf("Figure 2, Rules for Servers, Leaders: \"if successful: "
                    "update nextIndex and matchIndex for follower\" holds for "
                    "replies to the current term's AppendEntries only: the "
                    "successes of term %d, arriving in term %d, made the "
                    "leader commit, though no follower acknowledged anything "
                    "sent in term %d (set matchIndex from what the request "
                    "carried, and ignore replies of older terms); the service "
                    "got ",
                    t1, t2, t2) +
            h.DescribeApplied());
    }
  });
}

TEST(RaftRules2B, KilledPeerStopsApplying) {
  RunRules(3, [](Harness& h) {
    MustAppend(h, 1, 1, 0, 0, Entries(1, {101, 102}), 2, "the first entries");
    h.AwaitApplied(2, kApplyBound, kRule5);
    h.Kill();
    labrpc::Sleep(500ms);
    // Whether a killed peer still answers is its own business; if it takes
    // this entry and the commit, it must not apply it.
    h.TryAppend(1, 1, 2, 1, {Entry(1, 103)}, 3);
    labrpc::Sleep(kQuietPeriod);
    if (h.ApplyLog().size() != 2) {
      Fatal(
          "raft.h, Kill(): \"background tasks exit soon after\": the "
          "killed peer still applies; the service got " +
          h.DescribeApplied());
    }
  });
}

}  // namespace
}  // namespace raftlab_test::rules
