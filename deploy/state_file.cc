// The state file's encoder and its distrustful decoder.
#include "deploy/state_file.h"

#include <algorithm>
#include <cstdio>

#include "deploy/crc32c.h"

namespace deploy {
namespace {

uint64_t GetLE(std::string_view b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; i--) {
    v = v << 8 | static_cast<unsigned char>(b[at + i]);
  }
  return v;
}

void PutLE(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) out->push_back(static_cast<char>(v >> 8 * i));
}

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

[[noreturn]] void Fail(std::string_view name, const std::string& what) {
  throw StoreError(std::string(name) + ": " + what);
}

}  // namespace

std::string EncodeU32(uint32_t v) {
  std::string out;
  PutLE(&out, v, 4);
  return out;
}

std::string EncodeStateHeader(uint64_t raftstate_size, uint64_t snapshot_size) {
  std::string h(kStateFileMagic);
  PutLE(&h, kStateFileVersion, 4);
  PutLE(&h, 0, 4);
  PutLE(&h, raftstate_size, 8);
  PutLE(&h, snapshot_size, 8);
  PutLE(&h, Crc32c(h), 4);
  return h;
}

uint32_t StateFileChecksum(std::string_view header, std::string_view raftstate,
                           std::string_view snapshot) {
  return Crc32c(snapshot, Crc32c(raftstate, Crc32c(header.substr(0, 32))));
}

std::string EncodeStateFile(std::string_view raftstate,
                            std::string_view snapshot) {
  std::string f = EncodeStateHeader(raftstate.size(), snapshot.size());
  f.append(raftstate);
  f.append(snapshot);
  f.append(EncodeU32(StateFileChecksum(f, raftstate, snapshot)));
  return f;
}

std::pair<labrpc::Bytes, labrpc::Bytes> DecodeStateFile(std::string_view bytes,
                                                        std::string_view name) {
  const size_t size = bytes.size();
  const size_t magic_seen = std::min(size, kStateFileMagic.size());
  if (bytes.substr(0, magic_seen) != kStateFileMagic.substr(0, magic_seen)) {
    Fail(name, "not a raftlab state file (bad magic)");
  }
  if (size < kStateHeaderBytes) {
    Fail(name, "truncated: " + std::to_string(size) +
                   " bytes, shorter than the " +
                   std::to_string(kStateHeaderBytes) + "-byte header");
  }
  // The version before the header's checksum: a later version may lay out
  // (and checksum) its header differently, and deserves that name.
  const uint32_t version = GetLE(bytes, 8, 4);
  if (version != kStateFileVersion) {
    Fail(name, "unsupported format version " + std::to_string(version) +
                   " (this build reads version " +
                   std::to_string(kStateFileVersion) + ")");
  }
  const uint32_t header_stored = GetLE(bytes, 32, 4);
  const uint32_t header_computed = Crc32c(bytes.substr(0, 32));
  if (header_stored != header_computed) {
    Fail(name, "header checksum mismatch (stored " + Hex(header_stored) +
                   ", computed " + Hex(header_computed) + ")");
  }
  const uint32_t flags = GetLE(bytes, 12, 4);
  if (flags != 0) Fail(name, "unknown flags " + Hex(flags));
  const uint64_t a = GetLE(bytes, 16, 8);
  const uint64_t b = GetLE(bytes, 24, 8);
  const uint64_t fixed = kStateHeaderBytes + kStateTrailerBytes;
  // Compared without forming fixed + a + b, which may overflow.
  const uint64_t room = size >= fixed ? size - fixed : 0;
  if (size < fixed || a > room || b > room - a) {
    Fail(name, "truncated: " + std::to_string(size) +
                   " bytes, the header says the blobs alone are " +
                   std::to_string(a) + " + " + std::to_string(b));
  }
  if (a + b < room) {
    Fail(name, "trailing bytes: " + std::to_string(size) +
                   " bytes, the header says " + std::to_string(fixed + a + b));
  }
  const std::string_view raftstate = bytes.substr(kStateHeaderBytes, a);
  const std::string_view snapshot = bytes.substr(kStateHeaderBytes + a, b);
  const uint32_t stored = GetLE(bytes, size - kStateTrailerBytes, 4);
  const uint32_t computed = StateFileChecksum(bytes, raftstate, snapshot);
  if (stored != computed) {
    Fail(name, "checksum mismatch (stored " + Hex(stored) + ", computed " +
                   Hex(computed) + ")");
  }
  return {labrpc::Bytes(raftstate), labrpc::Bytes(snapshot)};
}

}  // namespace deploy
