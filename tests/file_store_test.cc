// Tests for deploy::FileStore, a raft::StableStore in a directory (suite
// FileStoreTest): the store itself, raft::Persister over it (the
// DurablePersister* tests), and Raft, unchanged, restarting from disk
// (RaftRestartsFromDisk, which needs a Raft that passes 2C and 2D, as the
// RaftRestart suite does).
#include "deploy/file_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "labrpc/runtime.h"
#include "raft/apply_msg.h"
#include "raft/persister.h"
#include "raft/raft.h"
#include "tests/test_world.h"

namespace deploy {
namespace {

namespace fs = std::filesystem;
using raftlab_test::RunInWorld;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// A fresh directory per test, removed afterwards.
class FileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (fs::temp_directory_path() / "raftlab-filestore-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    dir_ = root_ / "peer0";
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(root_, fs::perms::owner_all, ec);
    if (fs::exists(dir_)) fs::permissions(dir_, fs::perms::owner_all, ec);
    fs::remove_all(root_, ec);
  }

  // The StoreError message of Load on a fresh FileStore over dir_ ("" if
  // none).
  std::string LoadError() {
    try {
      FileStore(dir_.string()).Load();
    } catch (const StoreError& e) {
      return e.what();
    }
    return "";
  }

  fs::path state() const { return dir_ / FileStore::kStateName; }

  fs::path root_;
  fs::path dir_;
};

TEST_F(FileStoreTest, FreshDirectoryIsAFreshStart) {
  fs::path nested = root_ / "a" / "b";
  FileStore s(nested.string());
  EXPECT_TRUE(fs::is_directory(nested));
  auto [loaded, snap] = s.Load();
  EXPECT_EQ(loaded, "");
  EXPECT_EQ(snap, "");
  EXPECT_FALSE(fs::exists(nested / FileStore::kStateName));
}

TEST_F(FileStoreTest, StoreLoadAndReopen) {
  {
    FileStore s(dir_.string());
    s.Store("state1", "snap1");
    EXPECT_EQ(s.Load(),
              std::make_pair(std::string("state1"), std::string("snap1")));
    s.Store(std::string("st\0ate2", 7), "");  // an empty snapshot erases
  }
  FileStore s(dir_.string());
  auto [loaded, snap] = s.Load();
  EXPECT_EQ(loaded, std::string("st\0ate2", 7));
  EXPECT_EQ(snap, "");
  // The file is exactly the documented format, and no temp file remains.
  EXPECT_EQ(ReadFile(state()), EncodeStateFile(loaded, snap));
  EXPECT_FALSE(fs::exists(dir_ / FileStore::kTempName));
}

TEST_F(FileStoreTest, CorruptFileIsRefusedAndLeftAlone) {
  const std::string good = EncodeStateFile("term 3 vote 1 log...", "snap");
  fs::create_directories(dir_);
  const std::string name = state().string();
  // Every truncation, including the empty file.
  for (size_t n = 0; n < good.size(); n++) {
    WriteFile(state(), good.substr(0, n));
    std::string err = LoadError();
    EXPECT_TRUE(err.starts_with(name + ": truncated: ")) << n << ": " << err;
    EXPECT_EQ(ReadFile(state()), good.substr(0, n)) << "changed the file";
  }
  // Every bit flipped.
  for (size_t byte = 0; byte < good.size(); byte++) {
    for (int bit = 0; bit < 8; bit++) {
      std::string bad = good;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      WriteFile(state(), bad);
      std::string err = LoadError();
      EXPECT_TRUE(err.starts_with(name + ": ")) << byte << "." << bit;
      EXPECT_EQ(ReadFile(state()), bad) << "changed the file";
    }
  }
  WriteFile(state(), good);
  EXPECT_EQ(LoadError(), "");
}

TEST_F(FileStoreTest, LeftoverTempFileIsIgnoredAndRemoved) {
  { FileStore(dir_.string()).Store("good", "snap"); }
  // A crash mid-Save: half a file, never renamed.
  const std::string half = EncodeStateFile("newer", "snap2").substr(0, 30);
  WriteFile(dir_ / FileStore::kTempName, half);
  FileStore s(dir_.string());
  EXPECT_FALSE(fs::exists(dir_ / FileStore::kTempName));
  EXPECT_EQ(s.Load().first, "good");
}

TEST_F(FileStoreTest, TempFileWithoutStateIsAFreshStart) {
  fs::create_directories(dir_);
  WriteFile(dir_ / FileStore::kTempName, EncodeStateFile("never", "saved"));
  FileStore s(dir_.string());
  EXPECT_EQ(s.Load().first, "");
  EXPECT_FALSE(fs::exists(dir_ / FileStore::kTempName));
}

TEST_F(FileStoreTest, OneStorePerDirectory) {
  auto first = std::make_unique<FileStore>(dir_.string());
  try {
    FileStore second(dir_.string());
    ADD_FAILURE() << "two FileStores opened one directory";
  } catch (const StoreError& e) {
    EXPECT_EQ(
        std::string(e.what()),
        dir_.string() + ": in use by another FileStore (its LOCK is held)");
  }
  first.reset();
  FileStore again(dir_.string());  // released with the first
}

TEST_F(FileStoreTest, UnusableDirectory) {
  // A regular file where the directory should be, or above it.
  WriteFile(root_ / "file", "x");
  for (const fs::path& p : {root_ / "file", root_ / "file" / "sub"}) {
    try {
      FileStore s(p.string());
      ADD_FAILURE() << p << " opened";
    } catch (const StoreError& e) {
      EXPECT_TRUE(std::string(e.what()).starts_with(p.string() + ": cannot "))
          << e.what();
    }
  }
  // raft-state that cannot be read (a directory).
  fs::create_directories(state());
  EXPECT_EQ(LoadError(), state().string() + ": cannot read: Is a directory");
}

TEST_F(FileStoreTest, UnreadableDirectory) {
  fs::create_directories(dir_);
  fs::permissions(dir_, fs::perms::none);
  // Root (and CAP_DAC_OVERRIDE) ignores permissions: nothing to test then.
  if (::access(dir_.c_str(), R_OK | W_OK | X_OK) == 0) {
    GTEST_SKIP() << "permissions are not enforced for this user (root?)";
  }
  try {
    FileStore s(dir_.string());
    ADD_FAILURE() << "opened an unreadable directory";
  } catch (const StoreError& e) {
    EXPECT_TRUE(Contains(e.what(), "Permission denied")) << e.what();
  }
}

TEST_F(FileStoreTest, FailedStoreKeepsThePreviousPair) {
  FileStore s(dir_.string());
  s.Store("old", "oldsnap");
  // The temp file's name taken by a directory: the write cannot start.
  fs::create_directories(dir_ / FileStore::kTempName);
  try {
    s.Store("new", "newsnap");
    ADD_FAILURE() << "Store succeeded";
  } catch (const StoreError& e) {
    EXPECT_TRUE(Contains(e.what(), "raft-state.tmp: cannot create"))
        << e.what();
  }
  EXPECT_EQ(s.Load().first, "old");
}

// --- raft::Persister over a FileStore ---------------------------------------

TEST_F(FileStoreTest, DurablePersisterWritesThrough) {
  RunInWorld([&] {
    {
      raft::Persister p(std::make_unique<FileStore>(dir_.string()));
      EXPECT_EQ(p.RaftStateSize(), 0u);
      p.Save("state", "snapshot");
      EXPECT_EQ(p.ReadRaftState(), "state");
      EXPECT_EQ(p.SnapshotSize(), 8u);
      EXPECT_EQ(ReadFile(state()), EncodeStateFile("state", "snapshot"));
      // A Copy is in memory only: its saves do not reach the disk.
      std::shared_ptr<raft::Persister> c = p.Copy();
      c->Save("copy", "");
      EXPECT_EQ(ReadFile(state()), EncodeStateFile("state", "snapshot"));
    }
    raft::Persister again(std::make_unique<FileStore>(dir_.string()));
    EXPECT_EQ(again.ReadRaftState(), "state");
    EXPECT_EQ(again.ReadSnapshot(), "snapshot");
  });
}

TEST_F(FileStoreTest, DurablePersisterRefusesACorruptFile) {
  fs::create_directories(dir_);
  WriteFile(state(), "garbage");
  RunInWorld([&] {
    try {
      raft::Persister p(std::make_unique<FileStore>(dir_.string()));
      ADD_FAILURE() << "a corrupt file became a Persister";
    } catch (const StoreError& e) {
      EXPECT_EQ(std::string(e.what()),
                state().string() + ": not a raftlab state file (bad magic)");
    }
  });
  EXPECT_EQ(ReadFile(state()), "garbage");
}

TEST_F(FileStoreTest, DurablePersisterSaveFailureKeepsReads) {
  RunInWorld([&] {
    raft::Persister p(std::make_unique<FileStore>(dir_.string()));
    p.Save("old", "s");
    fs::create_directories(dir_ / FileStore::kTempName);
    EXPECT_THROW(p.Save("new", "t"), StoreError);
    EXPECT_EQ(p.ReadRaftState(), "old");  // as on disk
    EXPECT_EQ(p.ReadSnapshot(), "s");
  });
}

// --- Raft, unchanged, on disk -----------------------------------------------

// A one-peer Raft (it elects itself and commits alone, no network) on a
// Persister over dir; the second run starts from what the first left on
// disk, as a restarted server process would.
TEST_F(FileStoreTest, RaftRestartsFromDisk) {
  using std::chrono::milliseconds;
  RunInWorld([&] {
    auto await_leader = [](raft::Raft& rf) {
      for (int i = 0; i < 50; i++) {
        auto [term, is_leader] = rf.GetState();
        if (is_leader) return term;
        labrpc::Sleep(milliseconds(100));
      }
      raftlab_test::Fatal("one-peer cluster elected no leader");
    };
    auto next = [](raft::ApplyChannel& ch) {
      raft::ApplyMsg m;
      if (ch.ReceiveFor(std::chrono::seconds(2), &m) !=
          labrpc::RecvStatus::kOk) {
        raftlab_test::Fatal("nothing applied within 2 s");
      }
      return m;
    };
    int term1;
    {
      auto p = std::make_shared<raft::Persister>(
          std::make_unique<FileStore>(dir_.string()));
      std::weak_ptr<raft::Persister> weak = p;
      auto ch = std::make_shared<raft::ApplyChannel>();
      auto rf = raft::Raft::Make({nullptr}, 0, std::move(p), ch);
      term1 = await_leader(*rf);
      for (int i = 1; i <= 3; i++) {
        EXPECT_EQ(rf->Start("cmd" + std::to_string(i)).index, i);
        EXPECT_EQ(next(*ch).command, "cmd" + std::to_string(i));
      }
      rf->Snapshot(2, "snap-2");
      rf->Kill();
      rf.reset();
      // The store (and its lock) goes once the peer's tasks let go.
      for (int i = 0; i < 100 && !weak.expired(); i++) {
        labrpc::Sleep(milliseconds(50));
      }
      ASSERT_TRUE(weak.expired()) << "the killed peer still holds its store";
    }
    auto p = std::make_shared<raft::Persister>(
        std::make_unique<FileStore>(dir_.string()));
    EXPECT_EQ(p->ReadSnapshot(), "snap-2");
    auto ch = std::make_shared<raft::ApplyChannel>();
    auto rf = raft::Raft::Make({nullptr}, 0, p, ch);
    raft::RaftStatus st = rf->Status();
    EXPECT_GE(st.current_term, term1);
    EXPECT_EQ(st.snapshot_index, 2);
    EXPECT_EQ(st.last_log_index, 3);
    EXPECT_GT(await_leader(*rf), term1);
    EXPECT_EQ(rf->Start("cmd4").index, 4);
    for (int i = 3; i <= 4; i++) {
      EXPECT_EQ(next(*ch).command, "cmd" + std::to_string(i));
    }
    rf->Kill();
  });
}

}  // namespace
}  // namespace deploy
