// Tests for CRC-32C (suite Crc32c) and the on-disk state file format
// (suite StateFile, deploy/state_file.h): what a good file decodes to, and
// that every truncation, every single-bit flip, a wrong magic, version or
// flags and trailing bytes are each refused with a message naming the file
// and the fault.
#include "deploy/state_file.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "deploy/crc32c.h"

namespace deploy {
namespace {

// The message of the StoreError that decoding `bytes` throws ("" if none).
std::string DecodeError(const std::string& bytes) {
  try {
    DecodeStateFile(bytes, "dir/raft-state");
  } catch (const StoreError& e) {
    return e.what();
  }
  return "";
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Sets the header's 4-byte field at `at` to v and re-seals the header's
// checksum, as a writer of that field would have.
std::string WithHeaderField(std::string file, size_t at, uint32_t v) {
  file.replace(at, 4, EncodeU32(v));
  file.replace(32, 4, EncodeU32(Crc32c(std::string_view(file).substr(0, 32))));
  return file;
}

TEST(Crc32c, KnownVectors) {
  // The check value of the CRC catalogue, and RFC 3720's B.4 vectors.
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; i++) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(descending), 0x113FDB5Cu);
}

TEST(Crc32c, ContinuesAcrossEverySplit) {
  std::string data;
  for (int i = 0; i < 100; i++) data.push_back(static_cast<char>(i * 37 + 11));
  const uint32_t whole = Crc32c(data);
  for (size_t cut = 0; cut <= data.size(); cut++) {
    std::string_view v(data);
    EXPECT_EQ(Crc32c(v.substr(cut), Crc32c(v.substr(0, cut))), whole) << cut;
  }
}

TEST(StateFile, RoundTrip) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"state", ""},
      {"", "snapshot"},
      {std::string("st\0ate", 6), std::string("\0\xff\x01", 3)},
      {std::string(100000, 'x'), std::string(70000, 'y')},
  };
  for (const auto& [state, snap] : cases) {
    std::string file = EncodeStateFile(state, snap);
    EXPECT_EQ(file.size(), kStateHeaderBytes + state.size() + snap.size() +
                               kStateTrailerBytes);
    auto [s, p] = DecodeStateFile(file, "f");
    EXPECT_EQ(s, state);
    EXPECT_EQ(p, snap);
  }
}

TEST(StateFile, LayoutIsAsDocumented) {
  std::string f = EncodeStateFile("abc", "de");
  EXPECT_EQ(f.substr(0, 8), "RLSTATE\n");
  EXPECT_EQ(f.substr(8, 4), EncodeU32(kStateFileVersion));
  EXPECT_EQ(f.substr(12, 4), EncodeU32(0));
  EXPECT_EQ(f.substr(16, 8), std::string("\x03\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(f.substr(24, 8), std::string("\x02\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(f.substr(32, 4), EncodeU32(Crc32c(f.substr(0, 32))));
  EXPECT_EQ(f.substr(36, 5), "abcde");
  EXPECT_EQ(f.substr(41), EncodeU32(Crc32c(f.substr(0, 32) + f.substr(36, 5))));
}

TEST(StateFile, EveryTruncationIsRefused) {
  const std::string f = EncodeStateFile("term 3 vote 1", "snap");
  for (size_t n = 0; n < f.size(); n++) {
    std::string err = DecodeError(f.substr(0, n));
    EXPECT_TRUE(Contains(
        err, "dir/raft-state: truncated: " + std::to_string(n) + " bytes"))
        << "length " << n << ": " << err;
  }
}

TEST(StateFile, EveryBitFlipIsRefused) {
  const std::string f = EncodeStateFile("term 3 vote 1", "snap");
  for (size_t byte = 0; byte < f.size(); byte++) {
    for (int bit = 0; bit < 8; bit++) {
      std::string g = f;
      g[byte] = static_cast<char>(g[byte] ^ (1 << bit));
      std::string err = DecodeError(g);
      // Which check catches it depends only on where the flip is.
      std::string want = byte < 8    ? "bad magic"
                         : byte < 12 ? "unsupported format version"
                         : byte < 36 ? "header checksum mismatch (stored 0x"
                                     : ": checksum mismatch (stored 0x";
      EXPECT_TRUE(Contains(err, want) && err.starts_with("dir/raft-state: "))
          << "byte " << byte << " bit " << bit << ": " << err;
    }
  }
}

TEST(StateFile, ChecksumMessageShowsBothValues) {
  std::string f = EncodeStateFile("abc", "de");
  const uint32_t good = Crc32c(f.substr(0, 32) + f.substr(36, 5));
  f[37] = 'X';
  const uint32_t bad = Crc32c(f.substr(0, 32) + f.substr(36, 5));
  char want[128];
  std::snprintf(want, sizeof want,
                "dir/raft-state: checksum mismatch (stored 0x%08x, "
                "computed 0x%08x)",
                good, bad);
  EXPECT_EQ(DecodeError(f), want);
}

TEST(StateFile, WrongMagicVersionOrFlags) {
  const std::string f = EncodeStateFile("s", "p");
  EXPECT_EQ(DecodeError("hello"),
            "dir/raft-state: not a raftlab state file (bad magic)");
  EXPECT_EQ(DecodeError("GET / HTTP/1.1\r\n\r\n" + std::string(40, ' ')),
            "dir/raft-state: not a raftlab state file (bad magic)");
  EXPECT_EQ(DecodeError("RLSTATE"),
            "dir/raft-state: truncated: 7 bytes, shorter than the 36-byte "
            "header");
  // A well-formed file of another version: refused by name, not as damage.
  EXPECT_EQ(DecodeError(WithHeaderField(f, 8, 2)),
            "dir/raft-state: unsupported format version 2 (this build reads "
            "version 1)");
  EXPECT_EQ(DecodeError(WithHeaderField(f, 8, 0)),
            "dir/raft-state: unsupported format version 0 (this build reads "
            "version 1)");
  EXPECT_EQ(DecodeError(WithHeaderField(f, 12, 4)),
            "dir/raft-state: unknown flags 0x00000004");
}

TEST(StateFile, LengthsAreCheckedAgainstTheFileNotTrusted) {
  const std::string f = EncodeStateFile("s", "p");
  EXPECT_TRUE(Contains(DecodeError(f + "x"),
                       "trailing bytes: 43 bytes, the header says 42"));
  // Lengths near 2^64 with a valid header checksum: no overflow, no
  // allocation of the claimed size.
  std::string huge = f;
  huge.replace(16, 8, std::string(8, '\xff'));
  huge.replace(24, 8, std::string(8, '\xff'));
  huge.replace(32, 4, EncodeU32(Crc32c(std::string_view(huge).substr(0, 32))));
  EXPECT_TRUE(Contains(DecodeError(huge), "truncated: 42 bytes, the header"))
      << DecodeError(huge);
  // Lengths 2 and 0 instead of 1 and 1, header resealed: the size check
  // agrees, so only the whole-file checksum can tell, and it does.
  std::string shifted = f;
  shifted[16] = 2;
  shifted[24] = 0;
  shifted.replace(32, 4,
                  EncodeU32(Crc32c(std::string_view(shifted).substr(0, 32))));
  EXPECT_TRUE(Contains(DecodeError(shifted), ": checksum mismatch"))
      << DecodeError(shifted);
}

}  // namespace
}  // namespace deploy
