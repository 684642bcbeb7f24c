// Rule tests, stage 2A: the election rules of Figure 2 of the Raft paper,
// each checked on one real peer against peers the test plays itself (see
// tests/raft_rules_harness.h). Each failure quotes the rule it breaks.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>

#include "labrpc/runtime.h"
#include "labrpc/trace.h"
#include "tests/raft_rules_harness.h"
#include "tests/test_world.h"

namespace raftlab_test::rules {
namespace {

using labrpc::Sprintf;

const char kFollowersRule[] =
    "Figure 2, Rules for Servers, Followers: \"if election timeout elapses "
    "without receiving AppendEntries RPC from current leader or granting "
    "vote to candidate: convert to candidate\"";
const char kHigherTermRule[] =
    "Figure 2, Rules for Servers, All Servers: \"if RPC request or response "
    "contains term T > currentTerm: set currentTerm = T, convert to "
    "follower\"";

// Sets the peer's term to `term` with a heartbeat from scripted leader
// `from`, which must succeed.
void AdoptTermFrom(Harness& h, int from, int term) {
  raft::AppendEntriesReply r = h.Append(from, term, 0, 0, {}, 0);
  if (!r.success || r.term != term) {
    Fatal(
        Sprintf("Figure 2, AppendEntries receiver: a heartbeat (prevLogIndex "
                "0) from S%d in term %d, newer than the peer's term, must "
                "succeed in term %d; got success=%d term=%d",
                from, term, term, r.success, r.term));
  }
}

// Waits until the peer is a follower (or candidate) in term >= `term`.
void ExpectSteppedDown(Harness& h, int term, const std::string& what) {
  std::pair<int, bool> st;
  if (!h.WaitUntil(kReactBound, [&] {
        st = h.State();
        return !st.second && st.first >= term;
      })) {
    Fatal(Sprintf("%s: %s, yet 500 ms later the peer is in term %d and %s",
                  kHigherTermRule, what.c_str(), st.first,
                  st.second ? "still leads" : "a follower"));
  }
}

TEST(RaftRules2A, FollowerStartsElectionWithoutLeader) {
  RunRules(3, [](Harness& h) {
    std::optional<VoteExchange> rv = h.AwaitVoteRequest(1, 0ns, kElectionBound);
    if (!rv) {
      Fatal(std::string(kFollowersRule) +
            ": no RequestVote within 5 s of the start, with no leader about");
    }
    const int t = rv->args.term;
    const raft::RequestVoteArgs& a = rv->args;
    if (a.candidate_id != kMe || a.last_log_index != 0 ||
        a.last_log_term != 0) {
      Fatal(
          Sprintf("Figure 2, RequestVote arguments: a candidate with an "
                  "empty log sent candidateId %d, lastLogIndex %d, "
                  "lastLogTerm %d (want %d, 0, 0)",
                  a.candidate_id, a.last_log_index, a.last_log_term, kMe));
    }
    if (!h.WaitUntil(kReactBound, [&] {
          std::set<int> asked;
          for (const VoteExchange& v : h.Votes())
            if (v.args.term == t) asked.insert(v.peer);
          return static_cast<int>(asked.size()) == h.n() - 1;
        })) {
      Fatal(
          Sprintf("Figure 2, Rules for Servers, Candidates: \"send "
                  "RequestVote RPCs to all other servers\": in term %d not "
                  "every scripted peer was asked",
                  t));
    }
    // Candidates: "vote for self": so S1 cannot have its vote in term t.
    raft::RequestVoteReply r = h.RequestVote(1, VoteArgs(t, 1, 0, 0));
    if (r.vote_granted && r.term == t) {
      Fatal(
          Sprintf("Figure 2, Rules for Servers, Candidates: \"on conversion "
                  "to candidate ... vote for self\": granted S1 a vote in "
                  "term %d, the term it campaigns in itself",
                  t));
    }
    // Nobody votes for it, so once its timeout elapses it must try again.
    if (!h.AwaitVoteRequest(t + 1, rv->at, kElectionBound)) {
      Fatal(
          Sprintf("Figure 2, Rules for Servers, Candidates: \"if election "
                  "timeout elapses: start new election\": no RequestVote "
                  "for a term above %d within 5 s of the election for %d, "
                  "in which every vote was refused",
                  t, t));
    }
    if (h.State().second) {
      Fatal(
          "Figure 2, Rules for Servers, Candidates: leads without a "
          "single vote from the other peers");
    }
  });
}

TEST(RaftRules2A, RequestVoteRejectsOlderTerm) {
  RunRules(3, [](Harness& h) {
    AdoptTermFrom(h, 1, 5);
    h.StartHeartbeats(1, 5);
    raft::RequestVoteReply r = h.RequestVote(2, VoteArgs(4, 2, 10, 4));
    if (r.vote_granted) {
      Fatal(
          "Figure 2, RequestVote receiver, rule 1: \"reply false if term < "
          "currentTerm\": granted S2 a vote for term 4 while in term 5");
    }
    if (r.term < 5) {
      Fatal(
          Sprintf("Figure 2, RequestVote results: term is \"currentTerm, "
                  "for candidate to update itself\": refused S2 (term 4) "
                  "with term %d while in term 5",
                  r.term));
    }
    // The same candidate in a newer term, where nobody has the vote yet.
    h.StopHeartbeats();
    r = h.RequestVote(2, VoteArgs(6, 2, 10, 4));
    if (!r.vote_granted || r.term != 6) {
      Fatal(
          Sprintf("Figure 2, RequestVote receiver, rule 2: \"if votedFor is "
                  "null or candidateId, and candidate's log is at least as "
                  "up-to-date as receiver's log, grant vote\": S2 in term 6 "
                  "got granted=%d term=%d",
                  r.vote_granted, r.term));
    }
  });
}

TEST(RaftRules2A, RequestVoteGrantsOneVotePerTerm) {
  RunRules(3, [](Harness& h) {
    // Each attempt uses a fresh term; one is repeated only if the peer moved
    // to a newer term by itself in the middle (its own election timeout).
    for (int attempt = 0; attempt < 3; attempt++) {
      const int t = h.State().first + 10;
      raft::RequestVoteReply r1 = h.RequestVote(1, VoteArgs(t, 1, 0, 0));
      if (!r1.vote_granted || r1.term != t) {
        Fatal(
            Sprintf("Figure 2, RequestVote receiver, rule 2: votedFor is "
                    "null in the new term %d and S1's log is as up to date: "
                    "must grant; got granted=%d term=%d",
                    t, r1.vote_granted, r1.term));
      }
      raft::RequestVoteReply r2 = h.RequestVote(2, VoteArgs(t, 2, 0, 0));
      raft::RequestVoteReply r3 = h.RequestVote(1, VoteArgs(t, 1, 0, 0));
      if (r2.term != t || r3.term != t) continue;
      if (r2.vote_granted) {
        Fatal(
            Sprintf("Figure 2, RequestVote receiver, rule 2: granted a vote "
                    "in term %d to S2 after voting for S1 in the same term "
                    "(votedFor must hold until the term changes)",
                    t));
      }
      if (!r3.vote_granted) {
        Fatal(
            Sprintf("Figure 2, RequestVote receiver, rule 2: \"if votedFor "
                    "is null or candidateId ... grant vote\": refused S1 a "
                    "second time in term %d, although it voted for S1",
                    t));
      }
      return;
    }
    Fatal(
        "the peer changed term by itself during each of 3 attempts, each "
        "a few RPCs long, right after granting a vote (which resets the "
        "election timer)");
  });
}

TEST(RaftRules2A, FollowerStaysFollowerWhileLeaderHeartbeats) {
  RunRules(3, [](Harness& h) {
    AdoptTermFrom(h, 1, 3);
    h.StartHeartbeats(1, 3);
    labrpc::Duration since = labrpc::Now();
    labrpc::Sleep(3s);
    for (const VoteExchange& v : h.Votes()) {
      if (v.at >= since && v.args.term > 3) {
        Fatal(
            Sprintf("%s: started an election (RequestVote for term %d) "
                    "while S1, the leader of term 3, sent it heartbeats "
                    "every 50 ms (does AppendEntries from the current "
                    "leader reset the election timer?)",
                    kFollowersRule, v.args.term));
      }
    }
    std::pair<int, bool> st = h.State();
    if (st.first != 3 || st.second) {
      Fatal(
          Sprintf("a follower of S1 in term 3, hearing S1's heartbeats, is "
                  "in term %d%s",
                  st.first, st.second ? " and leads" : ""));
    }
  });
}

TEST(RaftRules2A, CandidateStepsDownOnAppendEntriesFromLeaderOfItsTerm) {
  RunRules(3, [](Harness& h) {
    // S1 refuses (it campaigns itself). S2 holds each vote until the test
    // releases that term, then grants only in term `grant`: a vote that
    // arrives after S1's AppendEntries of the same term.
    struct Script {
      std::atomic<int> released{0};
      std::atomic<int> grant{0};
    };
    auto sc = std::make_shared<Script>();
    h.OnRequestVote([sc](Harness& h, int peer, const raft::RequestVoteArgs& a,
                         raft::RequestVoteReply* r) {
      r->term = a.term;
      r->vote_granted = false;
      if (peer != 2) return;
      h.HoldUntil([&] { return sc->released.load() >= a.term; }, 60s);
      r->vote_granted = a.term == sc->grant.load();
    });
    int t = 0;
    labrpc::Duration since{};
    for (int attempt = 0;; attempt++) {
      std::optional<VoteExchange> rv =
          h.AwaitVoteRequest(t + 1, since, kElectionBound);
      if (!rv) Fatal(std::string(kFollowersRule) + ": no election within 5 s");
      t = rv->args.term;
      // S1 won term t (with S2's vote) and sends its first entry.
      raft::AppendEntriesReply r = h.Append(1, t, 0, 0, {Entry(t, 51)}, 0);
      if (r.term > t && attempt < 3) {  // already campaigning again: retry
        sc->released = t;
        since = labrpc::Now();
        continue;
      }
      if (!r.success || r.term != t) {
        Fatal(
            Sprintf("Figure 2, Rules for Servers, Candidates: \"if "
                    "AppendEntries RPC received from new leader: convert to "
                    "follower\" (and AppendEntries rule 1 rejects only term "
                    "< currentTerm): a candidate of term %d answered S1, "
                    "leader of term %d, with success=%d term=%d",
                    t, t, r.success, r.term));
      }
      break;
    }
    h.StartHeartbeats(1, t);
    // Now S2's vote for term t arrives, late: it must not count.
    sc->grant = t;
    sc->released = t;
    auto led = [&] {
      for (const AppendExchange& e : h.Appends())
        if (e.args.term == t) return true;
      std::pair<int, bool> st = h.State();
      return st.first == t && st.second;
    };
    if (h.WaitUntil(kQuietPeriod, led)) {
      Fatal(
          Sprintf("Figure 2, Rules for Servers, Candidates: \"if "
                  "AppendEntries RPC received from new leader: convert to "
                  "follower\": after answering S1, leader of term %d, the "
                  "peer counted S2's late vote and became a second leader of "
                  "term %d (Election Safety: at most one leader per term). "
                  "Hint: on AppendEntries of its own term a candidate must "
                  "become a follower, and count votes only while it is "
                  "still a candidate",
                  t, t));
    }
    since = labrpc::Now();
    labrpc::Sleep(3s);
    for (const VoteExchange& v : h.Votes()) {
      if (v.at >= since && v.args.term > t) {
        Fatal(
            Sprintf("Figure 2, Rules for Servers, Candidates: \"if "
                    "AppendEntries RPC received from new leader: convert to "
                    "follower\": still campaigns (RequestVote for term %d) "
                    "while S1, leader of its term %d, sends heartbeats",
                    v.args.term, t));
      }
    }
    std::pair<int, bool> st = h.State();
    if (st.first != t || st.second) {
      Fatal(Sprintf("a follower of S1 in term %d is in term %d%s", t, st.first,
                    st.second ? " and leads" : ""));
    }
  });
}

TEST(RaftRules2A, CandidateAdoptsHigherTermFromVoteReply) {
  RunRules(3, [](Harness& h) {
    // S1 answers the first RequestVote from a term 10 ahead (it heard of a
    // later election); every other request is refused in its own term.
    auto bumped = std::make_shared<std::atomic<bool>>(false);
    h.OnRequestVote([bumped](Harness&, int peer, const raft::RequestVoteArgs& a,
                             raft::RequestVoteReply* r) {
      r->term = a.term;
      r->vote_granted = false;
      if (peer == 1 && !bumped->exchange(true)) r->term = a.term + 10;
    });
    std::optional<VoteExchange> reply;
    if (!h.WaitUntil(kElectionBound, [&] {
          for (const VoteExchange& v : h.Votes()) {
            if (v.replied && v.reply.term > v.args.term) {
              reply = v;
              return true;
            }
          }
          return false;
        })) {
      Fatal(std::string(kFollowersRule) + ": no election within 5 s");
    }
    const int high = reply->reply.term;
    std::pair<int, bool> st;
    if (!h.WaitUntil(kReactBound, [&] {
          st = h.State();
          return st.first >= high;
        })) {
      Fatal(
          Sprintf("%s: S1 refused the vote for term %d with term %d, yet "
                  "500 ms later the candidate is in term %d",
                  kHigherTermRule, reply->args.term, high, st.first));
    }
    if (st.second) Fatal("leads although every vote was refused");
  });
}

TEST(RaftRules2A, CandidateIgnoresVotesFromOlderTerm) {
  RunRules(3, [](Harness& h) {
    // The votes of the first election are granted, but their replies arrive
    // only once the candidate has moved on to a later election; every later
    // election is refused at once. So the peer never has a majority of the
    // votes of the term it is in.
    auto first = std::make_shared<std::atomic<int>>(0);
    h.OnRequestVote([first](Harness& h, int, const raft::RequestVoteArgs& a,
                            raft::RequestVoteReply* r) {
      int expected = 0;
      first->compare_exchange_strong(expected, a.term);
      const int t = first->load();
      r->term = a.term;
      r->vote_granted = false;
      if (a.term != t) return;
      h.HoldUntil(
          [&h, t] {
            for (const VoteExchange& v : h.Votes())
              if (v.args.term > t) return true;
            return false;
          },
          kElectionBound);
      r->vote_granted = true;
    });
    std::optional<VoteExchange> rv = h.AwaitVoteRequest(1, 0ns, kElectionBound);
    if (!rv) Fatal(std::string(kFollowersRule) + ": no election within 5 s");
    const int t = rv->args.term;
    if (!h.AwaitVoteRequest(t + 1, 0ns, kElectionBound)) {
      Fatal(
          Sprintf("Figure 2, Rules for Servers, Candidates: \"if election "
                  "timeout elapses: start new election\": no RequestVote "
                  "for a term above %d within 5 s while the replies of "
                  "term %d's were outstanding (does the candidate wait for "
                  "its RequestVote calls?)",
                  t, t));
    }
    // A term in which the peer may lead: a majority granted it.
    auto has_majority = [&h](int term) {
      std::set<int> granted;
      for (const VoteExchange& v : h.Votes())
        if (v.replied && v.reply.vote_granted && v.args.term == term)
          granted.insert(v.peer);
      return 2 * (static_cast<int>(granted.size()) + 1) > h.n();
    };
    int bad_term = 0;
    h.WaitUntil(kElectionBound / 2 + kQuietPeriod, [&] {
      std::pair<int, bool> st = h.State();
      if (st.second && !has_majority(st.first)) bad_term = st.first;
      for (const AppendExchange& e : h.Appends())
        if (!has_majority(e.args.term)) bad_term = e.args.term;
      return bad_term != 0;
    });
    if (bad_term != 0) {
      Fatal(
          Sprintf("Figure 2, Rules for Servers, Candidates: \"if votes "
                  "received from majority of servers: become leader\" "
                  "counts votes of the current term only: leads in term %d, "
                  "in which every peer refused, after the votes granted in "
                  "term %d arrived late (check the reply's term, or the "
                  "request's, against currentTerm)",
                  bad_term, t));
    }
  });
}

TEST(RaftRules2A, LeaderSendsHeartbeats) {
  RunRules(3, [](Harness& h) {
    const int t = h.ElectMe("with empty logs");
    const labrpc::Duration elected = labrpc::Now();
    labrpc::Sleep(3s);
    const labrpc::Duration end = labrpc::Now();
    // The lab elects within 5 s, so followers time out well within that;
    // a leader whose heartbeats are a second apart could already let one
    // time out. Any Raft that heartbeats at all does far better.
    const labrpc::Duration max_gap = 1s;
    std::map<int, std::vector<labrpc::Duration>> at;
    for (const AppendExchange& e : h.Appends())
      if (e.args.term == t && e.args.leader_id == kMe)
        at[e.peer].push_back(e.at);
    for (int p = 1; p < h.n(); p++) {
      const std::vector<labrpc::Duration>& v = at[p];
      if (v.empty() || v.front() > elected + max_gap) {
        Fatal(
            Sprintf("Figure 2, Rules for Servers, Leaders: \"upon election: "
                    "send initial empty AppendEntries RPCs (heartbeat) to "
                    "each server\": S%d heard nothing within 1 s of the "
                    "election",
                    p));
      }
      labrpc::Duration prev = v.front();
      for (labrpc::Duration x : v) {
        if (x - prev > max_gap) break;
        prev = x;
      }
      if (end - prev > max_gap) {
        Fatal(
            Sprintf("Figure 2, Rules for Servers, Leaders: heartbeats "
                    "\"repeat during idle periods to prevent election "
                    "timeouts\": S%d heard no AppendEntries for more than "
                    "1 s, %.2f s after the election",
                    p, std::chrono::duration<double>(prev - elected).count()));
      }
    }
    std::pair<int, bool> st = h.State();
    if (st.first != t || !st.second) {
      Fatal(Sprintf("an undisturbed leader of term %d is in term %d%s", t,
                    st.first, st.second ? "" : " and no longer leads"));
    }
  });
}

TEST(RaftRules2A, LeaderStepsDownOnHigherTermRequestVote) {
  RunRules(3, [](Harness& h) {
    const int t = h.ElectMe("with empty logs");
    h.OnRequestVote(Harness::RefuseVote);
    raft::RequestVoteReply r = h.RequestVote(1, VoteArgs(t + 10, 1, 0, 0));
    if (r.term != t + 10 || !r.vote_granted) {
      Fatal(
          Sprintf("%s; then RequestVote rule 2 grants (votedFor is null in "
                  "the new term, both logs empty): S1 in term %d got "
                  "granted=%d term=%d",
                  kHigherTermRule, t + 10, r.vote_granted, r.term));
    }
    ExpectSteppedDown(h, t + 10,
                      Sprintf("the leader of term %d answered S1's "
                              "RequestVote for term %d",
                              t, t + 10));
  });
}

TEST(RaftRules2A, LeaderStepsDownOnHigherTermAppendEntries) {
  RunRules(3, [](Harness& h) {
    const int t = h.ElectMe("with empty logs");
    h.OnRequestVote(Harness::RefuseVote);
    raft::AppendEntriesReply r = h.Append(1, t + 10, 0, 0, {}, 0);
    if (r.term != t + 10 || !r.success) {
      Fatal(
          Sprintf("%s: S1's heartbeat in term %d (prevLogIndex 0) got "
                  "success=%d term=%d",
                  kHigherTermRule, t + 10, r.success, r.term));
    }
    ExpectSteppedDown(h, t + 10,
                      Sprintf("the leader of term %d answered S1's "
                              "AppendEntries for term %d",
                              t, t + 10));
  });
}

TEST(RaftRules2A, LeaderStepsDownOnHigherTermAppendReply) {
  RunRules(3, [](Harness& h) {
    // Once `bump` is set, S1 answers AppendEntries from that later term.
    auto bump = std::make_shared<std::atomic<int>>(0);
    h.OnAppendEntries([bump](Harness& h, int peer,
                             const raft::AppendEntriesArgs& a,
                             raft::AppendEntriesReply* r) {
      int b = bump->load();
      if (peer != 1 || b == 0) return Harness::Follow(h, peer, a, r);
      r->term = b;
      r->success = false;
    });
    const int t = h.ElectMe("with empty logs");
    h.OnRequestVote(Harness::RefuseVote);
    const labrpc::Duration since = labrpc::Now();
    bump->store(t + 10);
    // Heartbeats are at most a second apart (LeaderSendsHeartbeats).
    std::optional<AppendExchange> sent;
    if (!h.WaitUntil(2s, [&] {
          for (const AppendExchange& e : h.Appends())
            if (e.peer == 1 && e.at >= since && e.replied) sent = e;
          return sent.has_value();
        })) {
      Fatal(
          "Figure 2, Rules for Servers, Leaders: no AppendEntries to S1 "
          "for 2 s");
    }
    // Stepping down needs nothing but that reply, which is on its way; a
    // leader that ignores reply terms keeps leading for good.
    ExpectSteppedDown(h, t + 10,
                      Sprintf("S1 answered the leader's AppendEntries of term "
                              "%d with term %d",
                              t, t + 10));
  });
}

TEST(RaftRules2A, StaleAppendEntriesRejectedWithoutResettingTimer) {
  RunRules(3, [](Harness& h) {
    AdoptTermFrom(h, 1, 5);
    const labrpc::Duration since = labrpc::Now();
    // S2, deposed leader of term 3, keeps sending heartbeats.
    while (!h.AwaitVoteRequest(6, since, 0ns)) {
      if (labrpc::Now() - since > kElectionBound) {
        Fatal(
            Sprintf("%s: no election within 5 s of the last AppendEntries "
                    "from the current leader, while S2 sent AppendEntries "
                    "of the stale term 3 every 50 ms (those must not reset "
                    "the election timer)",
                    kFollowersRule));
      }
      raft::AppendEntriesReply r = h.Append(2, 3, 0, 0, {}, 0);
      if (r.success || r.term < 5) {
        Fatal(
            Sprintf("Figure 2, AppendEntries receiver, rule 1: \"reply false "
                    "if term < currentTerm\" (with term = currentTerm): S2's "
                    "AppendEntries of term 3 in term 5 got success=%d "
                    "term=%d",
                    r.success, r.term));
      }
      labrpc::Sleep(kScriptedHeartbeat);
    }
  });
}

TEST(RaftRules2A, KilledPeerStopsSendingRpcs) {
  RunRules(3, [](Harness& h) {
    h.ElectMe("with empty logs");
    h.Kill();
    // A short grace for RPCs already on their way.
    labrpc::Sleep(1s);
    const labrpc::Duration since = labrpc::Now();
    labrpc::Sleep(2s);
    int count = 0;
    std::string example;
    for (const VoteExchange& v : h.Votes())
      if (v.at > since && count++ == 0)
        example = Sprintf("RequestVote for term %d", v.args.term);
    for (const AppendExchange& e : h.Appends())
      if (e.at > since && count++ == 0)
        example = Sprintf("AppendEntries in term %d", e.args.term);
    if (count > 0) {
      Fatal(
          Sprintf("raft.h, Kill(): \"background tasks exit soon after\" "
                  "(the lab: long-running loops must check killed()): the "
                  "killed peer still sent %d RPCs between 1 s and 3 s after "
                  "Kill(), e.g. %s",
                  count, example.c_str()));
    }
  });
}

}  // namespace
}  // namespace raftlab_test::rules
