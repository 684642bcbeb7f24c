// Fuzz target: deploy::DecodeStateFile, the on-disk state file reader.
// Input: one control byte, then a file. Bit 0 of the control byte re-seals
// the header checksum and bit 1 the whole-file checksum before decoding,
// so that the length and size checks behind them are explored too, not
// only the checksum comparisons. Decoding must throw StoreError (naming
// the file) or succeed; a file it accepts must be the one encoding of what
// it decoded to.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "deploy/crc32c.h"
#include "deploy/state_file.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  std::string file(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((control & 1) && file.size() >= deploy::kStateHeaderBytes) {
    file.replace(32, 4, deploy::EncodeU32(deploy::Crc32c(file.substr(0, 32))));
  }
  if ((control & 2) && file.size() >= deploy::kStateHeaderBytes + 4) {
    // Both blobs are checksummed as one run of bytes, so where the lengths
    // put the boundary does not matter here.
    const std::string_view all(file);
    const uint32_t crc = deploy::StateFileChecksum(
        all,
        all.substr(deploy::kStateHeaderBytes,
                   file.size() - 4 - deploy::kStateHeaderBytes),
        "");
    file.replace(file.size() - 4, 4, deploy::EncodeU32(crc));
  }
  try {
    auto [state, snapshot] = deploy::DecodeStateFile(file, "fuzz/raft-state");
    FUZZ_CHECK(deploy::EncodeStateFile(state, snapshot) == file);
  } catch (const deploy::StoreError& e) {
    FUZZ_CHECK(std::string(e.what()).starts_with("fuzz/raft-state: "));
  }
  return 0;
}
