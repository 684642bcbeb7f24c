// Frame encoding and the incremental, distrustful decoder.
#include "deploy/frame.h"

#include <algorithm>

namespace deploy {
namespace {

// Bytes after the length field and before the name.
constexpr size_t kAfterLength = kFrameFixedBytes - 4;
constexpr size_t kMinMethodBytes = 3;  // "A.B"

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

bool ValidKind(unsigned k) {
  return k >= static_cast<unsigned>(FrameKind::kRequest) &&
         k <= static_cast<unsigned>(FrameKind::kError);
}

}  // namespace

std::string CheckMethodName(std::string_view method) {
  if (method.size() < kMinMethodBytes || method.size() > kMaxMethodBytes) {
    return "method name of " + std::to_string(method.size()) +
           " bytes (must be " + std::to_string(kMinMethodBytes) + ".." +
           std::to_string(kMaxMethodBytes) + ")";
  }
  size_t dots = 0;
  for (unsigned char c : method) {
    if (c == '.') {
      dots++;
    } else if (!(c == '_' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
                 (c >= 'a' && c <= 'z'))) {
      return "method name has byte " + std::to_string(c) +
             " (only letters, digits, '_' and one '.')";
    }
  }
  if (dots != 1 || method.front() == '.' || method.back() == '.') {
    return "method name is not Service.Method";
  }
  return "";
}

std::string EncodeFrame(const Frame& frame, size_t max_frame_bytes) {
  if (std::string bad = CheckMethodName(frame.method); !bad.empty()) {
    throw FrameError("EncodeFrame: " + bad);
  }
  if (!ValidKind(static_cast<unsigned>(frame.kind))) {
    throw FrameError("EncodeFrame: unknown kind " +
                     std::to_string(static_cast<unsigned>(frame.kind)));
  }
  const size_t limit = std::min(max_frame_bytes, kMaxFrameBytes);
  const size_t length = kAfterLength + frame.method.size() + frame.body.size();
  if (frame.body.size() > limit || length > limit) {
    throw FrameError("EncodeFrame: " + frame.method + " frame of " +
                     std::to_string(length) + " bytes exceeds the limit of " +
                     std::to_string(limit));
  }
  std::string out;
  out.reserve(4 + length);
  PutLE(&out, length, 4);
  out.push_back(static_cast<char>(kFrameVersion));
  out.push_back(static_cast<char>(frame.kind));
  PutLE(&out, frame.method.size(), 2);
  PutLE(&out, frame.request_id, 8);
  out.append(frame.method);
  out.append(frame.body);
  return out;
}

FrameDecoder::FrameDecoder(size_t max_frame_bytes)
    : max_frame_bytes_(std::min(max_frame_bytes, kMaxFrameBytes)) {}

void FrameDecoder::Feed(std::string_view chunk) {
  if (!error_.empty()) return;
  // Drop returned frames once they are at least half the buffer, so each
  // byte is moved O(1) times on average and the buffer stays within about
  // twice what is pending.
  if (pos_ > 0 && pos_ >= buf_.size() - pos_) {
    buf_.erase(0, pos_);
    base_ += pos_;
    scan_ -= pos_;
    pos_ = 0;
  }
  buf_.append(chunk);
  Check();
}

std::string FrameDecoder::CheckAt(size_t at, bool* whole) const {
  *whole = false;
  const std::string_view b = std::string_view(buf_).substr(at);
  if (b.size() < 4) return "";
  const uint64_t length = GetLE(b, 0, 4);
  if (length > max_frame_bytes_) {
    return "frame of " + std::to_string(length) +
           " bytes exceeds the limit of " + std::to_string(max_frame_bytes_) +
           " (a frame too large, or a peer not speaking raftlab frames)";
  }
  if (length < kAfterLength + kMinMethodBytes) {
    return "frame length " + std::to_string(length) +
           " is shorter than its own header";
  }
  if (b.size() < 5) return "";
  if (const unsigned v = static_cast<unsigned char>(b[4]); v != kFrameVersion) {
    return "unsupported frame version " + std::to_string(v) +
           " (this build speaks version " + std::to_string(kFrameVersion) + ")";
  }
  if (b.size() < 6) return "";
  if (const unsigned k = static_cast<unsigned char>(b[5]); !ValidKind(k)) {
    return "unknown frame kind " + std::to_string(k);
  }
  if (b.size() < 8) return "";
  const uint64_t m = GetLE(b, 6, 2);
  if (m < kMinMethodBytes || m > kMaxMethodBytes) {
    return "method name length " + std::to_string(m) + " (must be " +
           std::to_string(kMinMethodBytes) + ".." +
           std::to_string(kMaxMethodBytes) + ")";
  }
  if (kAfterLength + m > length) {
    return "method name length " + std::to_string(m) +
           " does not fit in a frame of " + std::to_string(length) + " bytes";
  }
  if (b.size() < kFrameFixedBytes + m) return "";
  if (std::string bad = CheckMethodName(b.substr(kFrameFixedBytes, m));
      !bad.empty()) {
    return bad;
  }
  *whole = b.size() >= 4 + length;
  return "";
}

void FrameDecoder::Check() {
  for (;;) {
    bool whole = false;
    std::string bad = CheckAt(scan_, &whole);
    if (!bad.empty()) {
      error_ = "frame at stream offset " + std::to_string(base_ + scan_) +
               ": " + bad;
      buf_.resize(scan_);
      return;
    }
    if (!whole) return;
    scan_ += 4 + GetLE(buf_, scan_, 4);
  }
}

std::optional<Frame> FrameDecoder::Next() {
  if (pos_ == scan_) {
    if (!error_.empty()) throw FrameError(error_);
    return std::nullopt;
  }
  const std::string_view b = std::string_view(buf_).substr(pos_);
  const size_t length = GetLE(b, 0, 4);
  const size_t m = GetLE(b, 6, 2);
  Frame f;
  f.kind = static_cast<FrameKind>(static_cast<unsigned char>(b[5]));
  f.request_id = GetLE(b, 8, 8);
  f.method = std::string(b.substr(kFrameFixedBytes, m));
  f.body =
      labrpc::Bytes(b.substr(kFrameFixedBytes + m, length - kAfterLength - m));
  pos_ += 4 + length;
  if (pos_ == buf_.size()) {
    base_ += pos_;
    buf_.clear();
    pos_ = scan_ = 0;
    // A large frame's room is not kept for the small ones that follow.
    if (buf_.capacity() > (size_t{1} << 20)) buf_.shrink_to_fit();
  }
  return f;
}

}  // namespace deploy
