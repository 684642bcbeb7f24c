// Rule tests, stage 2C: Figure 2's persistent state (currentTerm, votedFor,
// log[]: "updated on stable storage before responding to RPCs"), each
// checked by crashing one real peer right after it answered a hand-made RPC
// and restarting it from a copy of its Persister (see
// tests/raft_rules_harness.h).
#include <gtest/gtest.h>

#include "labrpc/runtime.h"
#include "labrpc/trace.h"
#include "tests/raft_rules_harness.h"
#include "tests/test_world.h"

namespace raftlab_test::rules {
namespace {

using labrpc::Sprintf;

const char kPersistent[] =
    "Figure 2, State: currentTerm, votedFor and log[] are \"persistent state "
    "on all servers (updated on stable storage before responding to RPCs)\"";

TEST(RaftRules2C, VoteSurvivesCrash) {
  RunRules(3, [](Harness& h) {
    const int t = h.State().first + 10;
    raft::RequestVoteReply r = h.RequestVote(1, VoteArgs(t, 1, 0, 0));
    if (!r.vote_granted || r.term != t) {
      Fatal(
          Sprintf("Figure 2, RequestVote receiver, rule 2: votedFor is null "
                  "in the new term %d and both logs are empty: must grant "
                  "S1; got granted=%d term=%d",
                  t, r.vote_granted, r.term));
    }
    h.Restart();
    r = h.RequestVote(2, VoteArgs(t, 2, 0, 0));
    if (r.vote_granted) {
      Fatal(
          Sprintf("%s; RequestVote receiver, rule 2: granted a vote in term "
                  "%d to S2 after a restart, having voted for S1 in term %d "
                  "just before the crash (was votedFor persisted before the "
                  "reply?)",
                  kPersistent, t, t));
    }
    if (r.term < t) {
      Fatal(
          Sprintf("%s: refused S2 with term %d after a restart, having been "
                  "in term %d before the crash",
                  kPersistent, r.term, t));
    }
  });
}

TEST(RaftRules2C, TermSurvivesCrash) {
  RunRules(3, [](Harness& h) {
    raft::AppendEntriesReply r = h.Append(1, 7, 0, 0, {}, 0);
    if (!r.success || r.term != 7) {
      Fatal(
          Sprintf("Figure 2, AppendEntries receiver: a heartbeat from S1 in "
                  "term 7, newer than the peer's, must succeed in term 7; "
                  "got success=%d term=%d",
                  r.success, r.term));
    }
    h.Restart();
    const labrpc::Duration restarted = labrpc::Now();
    int term = h.State().first;
    if (term < 7) {
      Fatal(
          Sprintf("%s: in term %d after a restart, having answered S1's "
                  "AppendEntries of term 7 just before the crash",
                  kPersistent, term));
    }
    r = h.Append(2, 5, 0, 0, {}, 0);
    if (r.success || r.term < 7) {
      Fatal(
          Sprintf("%s; AppendEntries receiver, rule 1: after a restart, "
                  "S2's AppendEntries of term 5 got success=%d term=%d; the "
                  "peer was in term 7 before the crash",
                  kPersistent, r.success, r.term));
    }
    // Its next election is for a later term than any it has seen.
    std::optional<VoteExchange> rv =
        h.AwaitVoteRequest(0, restarted, kElectionBound);
    if (!rv) {
      Fatal(
          "Figure 2, Rules for Servers, Followers: no election within 5 s "
          "of a restart, with no leader about");
    }
    if (rv->args.term <= 7) {
      Fatal(
          Sprintf("%s: after a restart the peer campaigns in term %d, yet "
                  "it was in term 7 before the crash",
                  kPersistent, rv->args.term));
    }
  });
}

TEST(RaftRules2C, LogSurvivesCrash) {
  RunRules(3, [](Harness& h) {
    raft::AppendEntriesReply a =
        h.Append(1, 1, 0, 0, Entries(1, {101, 102, 103}), 0);
    if (!a.success) {
      Fatal(
          "Figure 2, AppendEntries receiver: the first entries from S1 "
          "(prevLogIndex 0) must be accepted");
    }
    h.Restart();
    // S2, whose log holds entry 1 only, campaigns: the restarted peer's log
    // is longer and must win the comparison.
    raft::RequestVoteReply r = h.RequestVote(2, VoteArgs(5, 2, 1, 1));
    if (r.vote_granted) {
      Fatal(
          Sprintf("%s; RequestVote receiver, rule 2 (section 5.4.1): after "
                  "a restart, granted S2 (last entry 1 of term 1) a vote, "
                  "though the peer stored entries 1..3 of term 1 just "
                  "before the crash (was the log persisted before the "
                  "reply?)",
                  kPersistent));
    }
    // S1 wins term 6 and commits what it sent.
    a = h.Append(1, 6, 3, 1, {}, 3);
    if (!a.success) {
      Fatal(
          Sprintf("%s; AppendEntries receiver, rule 2: after a restart, "
                  "rejected prevLogIndex 3 of term 1, an entry it had "
                  "stored (and acknowledged) before the crash",
                  kPersistent));
    }
    h.AwaitApplied(3, kApplyBound, kPersistent);
    h.ExpectCommands(1, {101, 102, 103}, kPersistent);
  });
}

}  // namespace
}  // namespace raftlab_test::rules
