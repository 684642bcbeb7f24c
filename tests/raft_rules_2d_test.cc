// Rule tests, stage 2D: the InstallSnapshot receiver of Figure 13 of the
// Raft paper and the lab's snapshot delivery, each checked on one real peer
// against a leader the test plays itself (see tests/raft_rules_harness.h).
// The snapshots here carry the encoded index they cover.
#include <gtest/gtest.h>

#include <string>

#include "labrpc/codec.h"
#include "labrpc/runtime.h"
#include "labrpc/trace.h"
#include "tests/raft_rules_harness.h"
#include "tests/test_world.h"

namespace raftlab_test::rules {
namespace {

using labrpc::Sprintf;

const char kDeliver[] =
    "Figure 13, InstallSnapshot receiver, rule 8: \"reset state machine using "
    "snapshot contents\" (the lab: send the snapshot on the apply channel)";
const char kRetain[] =
    "Figure 13, InstallSnapshot receiver, rule 6: \"if existing log entry has "
    "same index and term as snapshot's last included entry, retain log "
    "entries following it\"";

void MustInstall(Harness& h, int from, int term, int index, int last_term) {
  raft::InstallSnapshotReply r =
      h.InstallSnapshot(from, SnapArgs(term, from, index, last_term));
  if (r.term != term) {
    Fatal(
        Sprintf("Figure 13, InstallSnapshot results: term is \"currentTerm, "
                "for leader to update itself\": S%d's InstallSnapshot of "
                "term %d got term %d",
                from, term, r.term));
  }
}

// Checks that ApplyMsg number `pos` is the snapshot through `index`.
// (Its snapshot_term is not checked: the lab's services never read it.)
void ExpectSnapshotAt(Harness& h, size_t pos, int index, int term) {
  h.AwaitApplied(pos + 1, kApplyBound, kDeliver);
  // A copy: ApplyLog() returns a temporary vector.
  const raft::ApplyMsg m = h.ApplyLog()[pos].msg;
  if (!m.snapshot_valid || m.snapshot_index != index ||
      m.snapshot != labrpc::Encode(index)) {
    Fatal(Sprintf("%s: after InstallSnapshot through index %d (term %d), "
                  "ApplyMsg #%zu should be that snapshot, with its data; the "
                  "service got ",
                  kDeliver, index, term, pos + 1) +
          h.DescribeApplied());
  }
}

TEST(RaftRules2D, InstallSnapshotDeliveredBeforeLaterCommands) {
  RunRules(3, [](Harness& h) {
    MustInstall(h, 1, 1, 5, 1);
    h.StartHeartbeats(1, 1);
    ExpectSnapshotAt(h, 0, 5, 1);
    MustAppend(h, 1, 1, 5, 1, {Entry(1, 106)}, 6,
               "Figure 13, rule 7: after installing a snapshot through index "
               "5 of term 1, the log continues from that entry");
    h.AwaitApplied(2, kApplyBound, kDeliver);
    h.ExpectCommands(6, {106}, kDeliver);
  });
}

// Sends S1's InstallSnapshot through `index` (term 1), delayed: the peer
// has applied `applied` entries, more than it covers. Checks that nothing
// changes. (The harness fails the test if the peer hands the snapshot to
// the service, which would take the service back to `index`.)
void ExpectOlderSnapshotIgnored(Harness& h, int index, size_t applied,
                                const std::string& situation) {
  const int commit = h.Status().commit_index;
  MustInstall(h, 1, 1, index, 1);
  labrpc::Sleep(kQuietPeriod);
  const int now = h.Status().commit_index;
  if (h.ApplyLog().size() != applied || now < commit) {
    Fatal(Sprintf("Figure 13, InstallSnapshot receiver: %s, a snapshot "
                  "through index %d, older than what the peer has applied "
                  "(%zu), must be ignored (hint: ignore one whose "
                  "lastIncludedIndex <= commitIndex); commitIndex went from "
                  "%d to %d and the service got ",
                  situation.c_str(), index, applied, commit, now) +
          h.DescribeApplied());
  }
}

TEST(RaftRules2D, OlderSnapshotIgnored) {
  RunRules(3, [](Harness& h) {
    MustAppend(h, 1, 1, 0, 0, Entries(1, {101, 102, 103, 104, 105, 106}), 6,
               "the first entries (prevLogIndex 0)");
    h.StartHeartbeats(1, 1);
    h.AwaitApplied(6, kApplyBound, "Figure 2, AppendEntries receiver, rule 5");
    // The service snapshots through 6; the peer may discard entries 1..6.
    // A delayed snapshot through 3 must not bring back a log that ends at 3.
    h.Snapshot(6);
    ExpectOlderSnapshotIgnored(h, 3, 6, "after the service's Snapshot(6)");
    MustAppend(h, 1, 1, 6, 1, Entries(1, {107, 108, 109}), 9,
               std::string(kRetain) +
                   " (and an older snapshot changes nothing): the log must "
                   "still end with entry 6 of term 1 (or a snapshot "
                   "through it), yet the peer rejects prevLogIndex 6");
    h.AwaitApplied(9, kApplyBound, "Figure 2, AppendEntries receiver, rule 5");
    // Again, for entries still in the log (7..9).
    ExpectOlderSnapshotIgnored(h, 8, 9, "with entries 7..9 in the log");
    MustAppend(h, 1, 1, 9, 1, {Entry(1, 110)}, 10,
               std::string(kRetain) +
                   " (and an older snapshot changes nothing): entry 9 of "
                   "term 1 is gone");
    h.AwaitApplied(10, kApplyBound, "Figure 2, AppendEntries receiver, rule 5");
    h.ExpectCommands(1, {101, 102, 103, 104, 105, 106, 107, 108, 109, 110},
                     "Figure 2, AppendEntries receiver, rule 5");
  });
}

TEST(RaftRules2D, SnapshotOfPrefixKeepsLaterEntries) {
  RunRules(3, [](Harness& h) {
    MustAppend(h, 1, 1, 0, 0, Entries(1, {101, 102, 103, 104, 105, 106}), 2,
               "the first entries (prevLogIndex 0)");
    h.StartHeartbeats(1, 1);
    h.AwaitApplied(2, kApplyBound, "Figure 2, AppendEntries receiver, rule 5");
    MustInstall(h, 1, 1, 4, 1);
    ExpectSnapshotAt(h, 2, 4, 1);
    MustAppend(h, 1, 1, 6, 1, {}, 6,
               std::string(kRetain) +
                   ": entries 5..6 (term 1) were dropped "
                   "by a snapshot through 4 (term 1)");
    h.AwaitApplied(5, kApplyBound, kRetain);
    h.ExpectCommands(5, {105, 106}, kRetain);
  });
}

TEST(RaftRules2D, ConflictingSnapshotDiscardsLog) {
  RunRules(5, [](Harness& h) {
    // S1, leader of term 1, left entries 1..6 that never committed; S2,
    // leader of term 2, has a snapshot through index 4 of term 2.
    MustAppend(h, 1, 1, 0, 0, Entries(1, {101, 102, 103, 104, 105, 106}), 0,
               "the first entries (prevLogIndex 0)");
    MustInstall(h, 2, 2, 4, 2);
    ExpectSnapshotAt(h, 0, 4, 2);
    // S1 campaigns with its old log (last entry 6 of term 1). The peer's log
    // now ends with the snapshot's entry 4 of term 2, which is more up to
    // date; had it kept entries 5..6 of term 1, the logs would compare
    // equal.
    raft::RequestVoteReply r = h.RequestVote(1, VoteArgs(3, 1, 6, 1));
    if (r.vote_granted) {
      Fatal(
          "Figure 13, InstallSnapshot receiver, rule 7: \"discard the "
          "entire log\" unless an entry matches the snapshot's last "
          "included index and term: after a snapshot through 4 of term 2 "
          "replaced entries 1..6 of term 1, the peer voted for S1, whose "
          "log ends with entry 6 of term 1, as if those entries were still "
          "there");
    }
    MustAppend(h, 2, 10, 4, 2, {Entry(10, 205)}, 5,
               "Figure 13, rule 7: the log continues from the snapshot's "
               "last included entry (4, term 2)");
    h.AwaitApplied(2, kApplyBound, kDeliver);
    h.ExpectCommands(5, {205}, kDeliver);
  });
}

TEST(RaftRules2D, StaleTermInstallSnapshotRejectedWithoutResettingTimer) {
  RunRules(3, [](Harness& h) {
    raft::AppendEntriesReply a = h.Append(1, 5, 0, 0, {}, 0);
    if (!a.success || a.term != 5) {
      Fatal(
          "Figure 2, AppendEntries receiver: a heartbeat from S1 in term 5 "
          "must succeed in term 5");
    }
    const labrpc::Duration since = labrpc::Now();
    // S2, deposed leader of term 3, keeps sending its snapshot.
    while (!h.AwaitVoteRequest(6, since, 0ns)) {
      if (labrpc::Now() - since > kElectionBound) {
        Fatal(
            "Figure 2, Rules for Servers, Followers: no election within 5 "
            "s of the last AppendEntries from the current leader, while S2 "
            "sent InstallSnapshot of the stale term 3 every 50 ms (those "
            "must not reset the election timer)");
      }
      raft::InstallSnapshotReply r =
          h.InstallSnapshot(2, SnapArgs(3, 2, 10, 3));
      if (r.term < 5) {
        Fatal(
            Sprintf("Figure 13, InstallSnapshot receiver, rule 1: \"reply "
                    "immediately if term < currentTerm\" (with term = "
                    "currentTerm): S2's InstallSnapshot of term 3 in term 5 "
                    "got term %d",
                    r.term));
      }
      labrpc::Sleep(kScriptedHeartbeat);
    }
    if (!h.ApplyLog().empty()) {
      Fatal(
          "Figure 13, InstallSnapshot receiver, rule 1: installed a "
          "snapshot of the stale term 3; the service got " +
          h.DescribeApplied());
    }
  });
}

TEST(RaftRules2D, InstalledSnapshotSurvivesCrash) {
  RunRules(3, [](Harness& h) {
    MustInstall(h, 1, 1, 5, 1);
    ExpectSnapshotAt(h, 0, 5, 1);
    MustAppend(h, 1, 1, 5, 1, {Entry(1, 106)}, 0,
               "Figure 13, rule 7: after installing a snapshot through index "
               "5 of term 1, the log continues from that entry");
    h.Restart();
    if (h.PersistedSnapshot() != labrpc::Encode(5)) {
      Fatal(
          "Figure 13, InstallSnapshot receiver, rule 5: \"save snapshot "
          "file\": after a restart the Persister does not hold the "
          "snapshot through index 5 that the peer installed before the "
          "crash");
    }
    MustAppend(h, 1, 1, 6, 1, {}, 6,
               "after a restart, the log must still hold entry 6 after the "
               "snapshot through 5 (Figure 2: the log is persistent)");
    // The service restarts from the persisted snapshot; applying resumes
    // after it (the harness fails the test on anything else).
    if (!h.WaitUntil(kApplyBound, [&] {
          for (const Applied& x : h.ApplyLog())
            if (x.msg.command_valid) return true;
          return false;
        })) {
      Fatal(
          "Figure 2, AppendEntries receiver, rule 5: after a restart, entry "
          "6 committed by leaderCommit 6 was not applied within 2 s; the "
          "service got " +
          h.DescribeApplied());
    }
    h.ExpectCommands(6, {106}, "Figure 2, AppendEntries receiver, rule 5");
  });
}

}  // namespace
}  // namespace raftlab_test::rules
