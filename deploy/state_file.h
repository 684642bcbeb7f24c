// The on-disk format of a server's Raft state and snapshot (one file, both
// blobs, replaced together as the Persister replaces them), with no I/O:
// deploy::FileStore reads and writes it, the fuzzer and the tests call it
// directly.
//
//   std::string file = deploy::EncodeStateFile(raftstate, snapshot);
//   auto [state, snap] = deploy::DecodeStateFile(file, "data/raft-state");
//   // throws deploy::StoreError("data/raft-state: checksum mismatch ...")
//
// Layout (integers little-endian):
//
//   offset  size  field
//        0     8  magic "RLSTATE\n"
//        8     4  format version (kStateFileVersion)
//       12     4  flags, 0 (a reader refuses any it does not know)
//       16     8  raftstate length A
//       24     8  snapshot length B
//       32     4  CRC-32C of bytes 0..31 (the header)
//       36     A  raftstate
//     36+A     B  snapshot
//   36+A+B     4  CRC-32C of bytes 0..31 and 36..36+A+B-1 (the header
//                 but its checksum, then both blobs)
//
// The header has its own checksum so that a flipped length bit is reported
// as corruption, not as a truncated file, and so that the lengths are
// trusted only once they are known intact. The last checksum skips the
// header's: a CRC run over a message followed by that message's own CRC
// ends in the same value whatever the message, so including it would make
// the last checksum blind to the header, and a header whose lengths were
// changed and resealed would move the boundary between the blobs unseen. The
// file's size must be exactly 40+A+B. Nothing is allocated from the lengths:
// the blobs are copied out of bytes that already exist.
#ifndef RAFTLAB_DEPLOY_STATE_FILE_H_
#define RAFTLAB_DEPLOY_STATE_FILE_H_

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "labrpc/codec.h"

namespace deploy {

// Stored state is missing a piece, damaged, of another version, or cannot
// be read or written. what() starts with the file's name.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::string_view kStateFileMagic = "RLSTATE\n";
inline constexpr uint32_t kStateFileVersion = 1;
inline constexpr size_t kStateHeaderBytes = 36;
inline constexpr size_t kStateTrailerBytes = 4;

// The header for blobs of these lengths (kStateHeaderBytes long).
std::string EncodeStateHeader(uint64_t raftstate_size, uint64_t snapshot_size);
// The trailer's checksum for this header and these blobs.
uint32_t StateFileChecksum(std::string_view header, std::string_view raftstate,
                           std::string_view snapshot);
// v as 4 little-endian bytes.
std::string EncodeU32(uint32_t v);

// A whole state file holding the two blobs.
std::string EncodeStateFile(std::string_view raftstate,
                            std::string_view snapshot);

// The two blobs of a whole state file. Throws StoreError, its message
// starting with `name`, if the bytes are not exactly one intact file of
// this version.
std::pair<labrpc::Bytes, labrpc::Bytes> DecodeStateFile(std::string_view bytes,
                                                        std::string_view name);

}  // namespace deploy

#endif  // RAFTLAB_DEPLOY_STATE_FILE_H_
