// Tests for raft::Persister (suite Persister: the Go labs'
// src/raft/persister.go, 2023 Save semantics), and for how raft::Raft uses it
// on restart (suite RaftRestart, which needs a Raft that passes 2C, and 2D
// for its snapshot test): a one-peer cluster (which needs no network) comes
// back with its term, log and snapshot.
// SOLUTION BEGIN
// Also, the reference Raft refuses a corrupt state in its own persisted
// format with a clear error (a kit-only test: a student's format is their
// own).
// SOLUTION END
#include "raft/persister.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "labrpc/channel.h"
#include "labrpc/codec.h"
#include "labrpc/runtime.h"
#include "raft/apply_msg.h"
#include "raft/log.h"
#include "raft/raft.h"
#include "tests/test_world.h"

namespace raft {
namespace {

using raftlab_test::RunInWorld;
using std::chrono::milliseconds;

TEST(Persister, StartsEmpty) {
  RunInWorld([] {
    Persister p;
    EXPECT_EQ(p.ReadRaftState(), "");
    EXPECT_EQ(p.ReadSnapshot(), "");
    EXPECT_EQ(p.RaftStateSize(), 0u);
    EXPECT_EQ(p.SnapshotSize(), 0u);
  });
}

TEST(Persister, SaveReadRoundTrip) {
  RunInWorld([] {
    Persister p;
    labrpc::Bytes state("st\0ate", 6);  // arbitrary bytes, NUL included
    p.Save(state, "snapshot!");
    EXPECT_EQ(p.ReadRaftState(), state);
    EXPECT_EQ(p.ReadSnapshot(), "snapshot!");
    EXPECT_EQ(p.RaftStateSize(), 6u);
    EXPECT_EQ(p.SnapshotSize(), 9u);
    p.Save("s2", "p2");  // replaces both
    EXPECT_EQ(p.ReadRaftState(), "s2");
    EXPECT_EQ(p.ReadSnapshot(), "p2");
    EXPECT_EQ(p.RaftStateSize(), 2u);
    EXPECT_EQ(p.SnapshotSize(), 2u);
  });
}

TEST(Persister, ReadsAreCopies) {
  RunInWorld([] {
    Persister p;
    p.Save("state", "snap");
    labrpc::Bytes s = p.ReadRaftState();
    s[0] = 'X';
    EXPECT_EQ(p.ReadRaftState(), "state");
  });
}

TEST(Persister, EmptySnapshotErases) {
  RunInWorld([] {
    Persister p;
    p.Save("state1", "snap1");
    p.Save("state2", "");
    EXPECT_EQ(p.ReadRaftState(), "state2");
    EXPECT_EQ(p.ReadSnapshot(), "");
    EXPECT_EQ(p.SnapshotSize(), 0u);
  });
}

TEST(Persister, CopyIsIndependent) {
  RunInWorld([] {
    auto p = std::make_shared<Persister>();
    p->Save("a", "b");
    std::shared_ptr<Persister> c = p->Copy();
    EXPECT_EQ(c->ReadRaftState(), "a");
    EXPECT_EQ(c->ReadSnapshot(), "b");
    // Saving to the copy leaves the original alone ...
    c->Save("x", "y");
    EXPECT_EQ(p->ReadRaftState(), "a");
    EXPECT_EQ(p->ReadSnapshot(), "b");
    // ... and the other way round.
    p->Save("m", "n");
    EXPECT_EQ(c->ReadRaftState(), "x");
    EXPECT_EQ(c->ReadSnapshot(), "y");
    // A copy of an empty persister is empty.
    EXPECT_EQ(std::make_shared<Persister>()->Copy()->RaftStateSize(), 0u);
  });
}

TEST(Persister, ConcurrentSavesKeepPairsTogether) {
  RunInWorld([] {
    auto p = std::make_shared<Persister>();
    constexpr int kWriters = 6;
    constexpr int kSaves = 60;
    labrpc::WaitGroup wg;
    for (int w = 0; w < kWriters; w++) {
      wg.Add(1);
      labrpc::Go("writer", [p, w, &wg] {
        for (int i = 0; i < kSaves; i++) {
          std::string tag = std::to_string(w) + "." + std::to_string(i);
          // Sizes differ per pair, so a torn pair shows in the sizes too.
          p->Save("state-" + tag, "snapshot-" + tag + std::string(w, '+'));
          labrpc::Sleep(milliseconds(labrpc::RandInt(3)));
        }
        wg.Done();
      });
    }
    // Copy() reads both blobs under one lock: every copy is one Save's pair.
    std::atomic<bool> done{false};  // set by the root, polled by the reader
    int checked = 0;
    labrpc::WaitGroup reader;
    reader.Add(1);
    labrpc::Go("reader", [&] {
      while (!done) {
        std::shared_ptr<Persister> c = p->Copy();
        labrpc::Bytes state = c->ReadRaftState();
        labrpc::Bytes snap = c->ReadSnapshot();
        if (!state.empty()) {
          std::string tag = state.substr(6);
          int w = std::stoi(tag);
          EXPECT_EQ(snap, "snapshot-" + tag + std::string(w, '+'));
          checked++;
        }
        labrpc::Sleep(milliseconds(1));
      }
      reader.Done();
    });
    wg.Wait();
    done = true;
    reader.Wait();
    EXPECT_GT(checked, 10);
    std::string tag = p->ReadRaftState().substr(6);
    EXPECT_EQ(p->ReadSnapshot(),
              "snapshot-" + tag + std::string(std::stoi(tag), '+'));
  });
}

// --- Raft on top of the Persister -----------------------------------------

// A one-peer cluster: it elects itself and commits alone, so Raft's
// persistence can be tested without a network (peers[0] is never called).
struct Solo {
  std::shared_ptr<Persister> persister;
  std::shared_ptr<ApplyChannel> apply_ch;
  std::shared_ptr<Raft> rf;

  explicit Solo(std::shared_ptr<Persister> p)
      : persister(std::move(p)), apply_ch(std::make_shared<ApplyChannel>()) {
    rf = Raft::Make({nullptr}, 0, persister, apply_ch);
  }

  // Waits (up to 5 s) until the peer is leader; returns its term.
  int AwaitLeader() {
    for (int i = 0; i < 50; i++) {
      auto [term, is_leader] = rf->GetState();
      if (is_leader) return term;
      labrpc::Sleep(milliseconds(100));
    }
    raftlab_test::Fatal("one-peer cluster elected no leader");
  }

  // The next message on the apply channel (fails the test after 2 s).
  ApplyMsg Next() {
    ApplyMsg msg;
    if (apply_ch->ReceiveFor(std::chrono::seconds(2), &msg) !=
        labrpc::RecvStatus::kOk) {
      raftlab_test::Fatal("nothing applied within 2 s");
    }
    return msg;
  }

  void ExpectNothingApplied() {
    ApplyMsg msg;
    EXPECT_EQ(apply_ch->ReceiveFor(milliseconds(500), &msg),
              labrpc::RecvStatus::kTimeout)
        << "unexpected apply of index " << msg.command_index;
  }
};

// SOLUTION BEGIN
TEST(RaftRestart, MakeRejectsCorruptState) {
  RunInWorld([] {
    // A valid state for reference: term 3, voted for 0, log of two entries.
    RaftLog log;
    log.Append(LogEntry{1, "a"});
    log.Append(LogEntry{3, "b"});
    labrpc::Bytes valid = labrpc::Encoder().Put(3).Put(0).Put(log).Finish();
    {
      auto p = std::make_shared<Persister>();
      p->Save(valid, "");
      Solo solo(p);  // must not throw
      EXPECT_EQ(solo.rf->GetState().first, 3);
      EXPECT_EQ(solo.rf->Status().last_log_index, 2);
      solo.rf->Kill();
    }
    const std::vector<std::pair<const char*, labrpc::Bytes>> bad = {
        {"garbage", "this is not a raft state at all"},
        {"truncated", valid.substr(0, valid.size() - 3)},
        {"trailing bytes", valid + "xyz"},
        {"voted_for out of range",
         labrpc::Encoder().Put(3).Put(7).Put(log).Finish()},
        {"negative term",
         labrpc::Encoder().Put(-2).Put(-1).Put(RaftLog()).Finish()},
        {"log newer than term",
         labrpc::Encoder().Put(2).Put(-1).Put(log).Finish()},
    };
    for (const auto& [name, bytes] : bad) {
      auto p = std::make_shared<Persister>();
      p->Save(bytes, "");
      auto apply_ch = std::make_shared<ApplyChannel>();
      try {
        Raft::Make({nullptr}, 0, p, apply_ch);
        ADD_FAILURE() << name << ": Make accepted a corrupt state";
      } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("corrupt persisted state"),
                  std::string::npos)
            << name << ": " << e.what();
      }
    }
  });
}
// SOLUTION END

TEST(RaftRestart, KeepsTermAndLog) {
  RunInWorld([] {
    auto p = std::make_shared<Persister>();
    int term1;
    {
      Solo solo(p);
      term1 = solo.AwaitLeader();
      for (int i = 1; i <= 3; i++) {
        auto r = solo.rf->Start("cmd" + std::to_string(i));
        EXPECT_TRUE(r.is_leader);
        EXPECT_EQ(r.index, i);
        ApplyMsg m = solo.Next();
        EXPECT_TRUE(m.command_valid);
        EXPECT_EQ(m.command_index, i);
        EXPECT_EQ(m.command, "cmd" + std::to_string(i));
      }
      solo.rf->Kill();
      EXPECT_FALSE(solo.rf->Start("late").is_leader);
    }
    EXPECT_GT(p->RaftStateSize(), 0u);
    // Restart on a copy, as the tester does.
    Solo solo(p->Copy());
    RaftStatus st = solo.rf->Status();
    EXPECT_GE(st.current_term, term1);
    EXPECT_EQ(st.last_log_index, 3);
    EXPECT_EQ(st.commit_index, 0);
    EXPECT_EQ(st.last_applied, 0);
    int term2 = solo.AwaitLeader();
    EXPECT_GT(term2, term1);
    // Old-term entries commit only with a current-term entry (Figure 8).
    solo.ExpectNothingApplied();
    auto r = solo.rf->Start("cmd4");
    EXPECT_EQ(r.index, 4);
    for (int i = 1; i <= 4; i++) {
      ApplyMsg m = solo.Next();
      EXPECT_EQ(m.command_index, i);
      EXPECT_EQ(m.command, "cmd" + std::to_string(i));
    }
    solo.rf->Kill();
  });
}

TEST(RaftRestart, SnapshotSurvivesRestart) {
  RunInWorld([] {
    auto p = std::make_shared<Persister>();
    {
      Solo solo(p);
      solo.AwaitLeader();
      for (int i = 1; i <= 5; i++) {
        solo.rf->Start("cmd" + std::to_string(i));
        EXPECT_EQ(solo.Next().command_index, i);
      }
      // Out-of-range snapshots are ignored.
      solo.rf->Snapshot(9, "too far");
      solo.rf->Snapshot(0, "too old");
      EXPECT_EQ(p->SnapshotSize(), 0u);
      EXPECT_EQ(solo.rf->Status().snapshot_index, 0);
      solo.rf->Snapshot(3, "snap3");
      EXPECT_EQ(p->ReadSnapshot(), "snap3");
      EXPECT_EQ(solo.rf->Status().snapshot_index, 3);
      solo.rf->Snapshot(2, "older");  // at or below the current one
      EXPECT_EQ(p->ReadSnapshot(), "snap3");
      solo.rf->Kill();
    }
    for (int round = 0; round < 2; round++) {
      // After a restart the first message is the entry after the snapshot,
      // and a later persist (the Start) keeps the snapshot (SnapshotInit2D).
      Solo solo(p->Copy());
      RaftStatus st = solo.rf->Status();
      EXPECT_EQ(st.snapshot_index, 3);
      EXPECT_EQ(st.commit_index, 3);
      EXPECT_EQ(st.last_applied, 3);
      solo.AwaitLeader();
      int index = solo.rf->Start("more").index;
      EXPECT_EQ(index, 6 + round);
      for (int i = 4; i <= index; i++) {
        ApplyMsg m = solo.Next();
        EXPECT_TRUE(m.command_valid);
        EXPECT_EQ(m.command_index, i);
      }
      EXPECT_EQ(solo.persister->ReadSnapshot(), "snap3");
      solo.rf->Kill();
      p = solo.persister;
    }
  });
}

}  // namespace
}  // namespace raft
