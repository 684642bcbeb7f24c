// Fuzz target: deploy::FrameDecoder. Input: one control byte, then a byte
// stream. The stream is decoded twice, fed whole and fed in chunks whose
// sizes come from the control byte; both must agree, every frame returned
// must re-encode to exactly the bytes it came from, and the buffer must
// stay within a small multiple of what was fed. Any exception other than
// FrameError (or a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "deploy/frame.h"
#include "fuzz/fuzz_check.h"

namespace {

struct Result {
  std::vector<deploy::Frame> frames;
  std::string error;
  size_t buffered = 0;
};

Result Decode(std::string_view stream, size_t limit, uint32_t chunk_seed) {
  deploy::FrameDecoder d(limit);
  Result r;
  uint32_t x = chunk_seed | 1;
  size_t at = 0;
  while (at < stream.size()) {
    size_t n = stream.size() - at;
    if (chunk_seed != 0) {
      x = x * 1103515245u + 12345u;  // any cheap spread of sizes will do
      n = std::min<size_t>(n, 1 + (x >> 16) % 67);
    }
    d.Feed(stream.substr(at, n));
    at += n;
    FUZZ_CHECK(d.capacity() <= 4 * stream.size() + 64);
    try {
      while (std::optional<deploy::Frame> f = d.Next()) {
        r.frames.push_back(std::move(*f));
      }
    } catch (const deploy::FrameError& e) {
      FUZZ_CHECK(!d.error().empty());
      FUZZ_CHECK(d.error() == e.what());
    }
  }
  r.error = d.error();
  r.buffered = d.buffered();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  const std::string_view stream(reinterpret_cast<const char*>(data + 1),
                                size - 1);
  // A small limit half the time, so the size check is reachable.
  const size_t limit = (control & 0x80) ? 64 : deploy::kMaxFrameBytes;
  const Result whole = Decode(stream, limit, 0);
  const Result chunked = Decode(stream, limit, control & 0x7F);
  FUZZ_CHECK(whole.frames == chunked.frames);
  FUZZ_CHECK(whole.error == chunked.error);
  std::string again;
  for (const deploy::Frame& f : whole.frames) {
    again += deploy::EncodeFrame(f, limit);
  }
  FUZZ_CHECK(stream.substr(0, again.size()) == again);
  if (whole.error.empty()) {
    // What is left is the start of an incomplete frame, still buffered.
    FUZZ_CHECK(again.size() + whole.buffered == stream.size());
  }
  return 0;
}
