// Writes the seed corpus of the fuzz targets (testdata/fuzz/<target>/):
// valid inputs of each shape, from which libFuzzer mutates. Regenerate
// with `make fuzz-seeds` after a format change; the files are small and
// committed.
//
//   build/fuzz/fuzz_seeds testdata/fuzz
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "deploy/frame.h"
#include "deploy/state_file.h"
#include "labrpc/codec.h"
#include "raft/rpc.h"

namespace {

namespace fs = std::filesystem;

void Write(const fs::path& dir, const std::string& name,
           const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
    std::exit(1);
  }
}

std::string Byte(int b) { return std::string(1, static_cast<char>(b)); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const fs::path out = argv[1];
  using deploy::Frame;
  using deploy::FrameKind;

  // frame_decoder: control byte (chunking; 0x80 = a 64-byte limit), stream.
  const fs::path fd = out / "frame_decoder";
  const std::string req = deploy::EncodeFrame(
      {1, FrameKind::kRequest, "Raft.AppendEntries", "args"});
  const std::string rep =
      deploy::EncodeFrame({1, FrameKind::kReply, "Raft.AppendEntries", "ok"});
  const std::string err = deploy::EncodeFrame(
      {2, FrameKind::kError, "KVServer.Get", "unknown service"});
  Write(fd, "request", Byte(0) + req);
  Write(fd, "three-chunked", Byte(5) + req + rep + err);
  Write(fd, "partial-tail", Byte(17) + req + rep.substr(0, 9));
  Write(fd, "small-limit", Byte(0x83) + err + req);
  Write(fd, "empty-body",
        Byte(1) + deploy::EncodeFrame({0, FrameKind::kRequest, "A.B", ""}));

  // state_file: control byte (1, 2: re-seal the checksums), file.
  const fs::path sf = out / "state_file";
  Write(sf, "empty", Byte(0) + deploy::EncodeStateFile("", ""));
  Write(sf, "both", Byte(0) + deploy::EncodeStateFile("term 3", "snap"));
  Write(sf, "resealed", Byte(3) + deploy::EncodeStateFile("abc", ""));
  Write(sf, "truncated",
        Byte(1) + deploy::EncodeStateFile("state", "s").substr(0, 40));

  // raft_codec: type byte (raft_codec_fuzz.cc's order), encoded value.
  const fs::path rc = out / "raft_codec";
  raft::AppendEntriesArgs ae{4, 1, 7, 3, {{3, "x=1"}, {4, "y=2"}}, 6};
  raft::InstallSnapshotArgs is{5, 2, 10, 4, "snapshot bytes"};
  Write(rc, "request_vote_args",
        Byte(0) + labrpc::Encode(raft::RequestVoteArgs{3, 1, 5, 2}));
  Write(rc, "request_vote_reply",
        Byte(1) + labrpc::Encode(raft::RequestVoteReply{3, true}));
  Write(rc, "append_entries_args", Byte(2) + labrpc::Encode(ae));
  Write(rc, "append_entries_heartbeat",
        Byte(2) + labrpc::Encode(raft::AppendEntriesArgs{4, 1, 7, 3, {}, 6}));
  Write(rc, "append_entries_reply",
        Byte(3) + labrpc::Encode(raft::AppendEntriesReply{4, false, 2, 5, 8}));
  Write(rc, "install_snapshot_args", Byte(4) + labrpc::Encode(is));
  Write(rc, "install_snapshot_reply",
        Byte(5) + labrpc::Encode(raft::InstallSnapshotReply{5}));
  std::printf("wrote the seed corpus under %s\n", out.c_str());
  return 0;
}
