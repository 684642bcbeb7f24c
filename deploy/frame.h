// Frames: how RPCs travel over a byte stream (a TCP connection) between
// server processes. Pure bytes in and out; the transport owns the sockets.
//
//   deploy::Frame f{42, deploy::FrameKind::kRequest, "Raft.AppendEntries",
//                   labrpc::Encode(args)};
//   std::string wire = deploy::EncodeFrame(f);   // throws FrameError
//
//   deploy::FrameDecoder d;                      // one per connection
//   d.Feed(chunk_from_socket);
//   while (std::optional<deploy::Frame> f = d.Next()) Dispatch(*f);
//   // Next throws FrameError at the first bad frame: close the connection.
//
// Layout (integers little-endian):
//
//   offset  size  field
//        0     4  length L of everything after this field
//        4     1  frame version (kFrameVersion)
//        5     1  kind: 1 request, 2 reply, 3 error (body: a message)
//        6     2  method name length M, 3..kMaxMethodBytes
//        8     8  request id (a reply or error echoes its request's)
//       16     M  method name, "Service.Method"
//     16+M  L-12-M body: labrpc codec bytes
//
// L may not exceed kMaxFrameBytes (a decoder may set a lower limit). Replies
// and errors carry the method too, so a stray reply is readable in a trace.
// The decoder checks each header the moment its bytes arrive and the name
// the moment it has arrived, before the body: garbage, an HTTP request or a
// peer of another version is refused at once, not after 64 MiB. It buffers
// only bytes actually fed, never the size a header claims. The frames before
// a bad one are still delivered (their replies may be sent), then Next
// throws. There is no
// checksum: TCP's covers the bytes in flight, and a frame lives only there.
#ifndef RAFTLAB_DEPLOY_FRAME_H_
#define RAFTLAB_DEPLOY_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "labrpc/codec.h"

namespace deploy {

// Bytes that are not a frame of this version, or a frame too large to send
// or accept. After one, a decoder's connection is unusable.
class FrameError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The largest L (above): 64 MiB, ample for a lab snapshot in one
// InstallSnapshot, small enough that a bad length cannot exhaust memory.
inline constexpr size_t kMaxFrameBytes = size_t{64} << 20;
inline constexpr size_t kMaxMethodBytes = 128;
inline constexpr uint8_t kFrameVersion = 1;
// Bytes before the method name, the length field included.
inline constexpr size_t kFrameFixedBytes = 16;

enum class FrameKind : uint8_t { kRequest = 1, kReply = 2, kError = 3 };

struct Frame {
  uint64_t request_id = 0;
  FrameKind kind = FrameKind::kRequest;
  std::string method;  // "Service.Method"
  labrpc::Bytes body;

  bool operator==(const Frame&) const = default;
};

// Empty if `method` is a valid name: kMaxMethodBytes or fewer of [A-Za-z0-9_]
// with exactly one '.', not first or last. Otherwise what is wrong.
std::string CheckMethodName(std::string_view method);

// The frame's bytes. Throws FrameError for a bad method name, an unknown
// kind, or a frame longer than max_frame_bytes (the receiver would refuse
// it).
std::string EncodeFrame(const Frame& frame,
                        size_t max_frame_bytes = kMaxFrameBytes);

// Turns the chunks of a byte stream, split anywhere, back into frames.
class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_frame_bytes = kMaxFrameBytes);

  // Appends the next bytes of the stream and checks every header and name
  // that is now complete. Never throws: a bad frame is remembered (error())
  // and it and every later byte are dropped.
  void Feed(std::string_view chunk);

  // The next whole frame, or nullopt until more bytes arrive. Once the
  // frames before a bad one are returned, throws FrameError (saying what is
  // wrong and at which stream offset), then again on every call.
  std::optional<Frame> Next();

  // Empty, or what is wrong with the stream (as Next will throw).
  const std::string& error() const { return error_; }

  // Bytes fed but not yet returned in a frame.
  size_t buffered() const { return buf_.size() - pos_; }
  // What the buffer holds room for: bounded by bytes fed (twice, at worst),
  // whatever a header claims. Exposed for tests.
  size_t capacity() const { return buf_.capacity(); }
  // True between a whole number of frames (a clean end of stream).
  bool idle() const { return buffered() == 0; }

 private:
  // Checks the frames from scan_ on, as far as they are buffered; at a bad
  // one sets error_ and drops it and all after it.
  void Check();
  // Empty if the frame starting at buf_[at] is fine as far as it is
  // buffered; else what is wrong. Sets *whole if it is all buffered.
  std::string CheckAt(size_t at, bool* whole) const;

  const size_t max_frame_bytes_;
  std::string buf_;
  size_t pos_ = 0;     // the next frame Next returns starts at buf_[pos_]
  size_t scan_ = 0;    // frames before buf_[scan_] are whole and checked
  uint64_t base_ = 0;  // stream offset of buf_[0], for error messages
  std::string error_;  // non-empty once a bad frame is seen
};

}  // namespace deploy

#endif  // RAFTLAB_DEPLOY_FRAME_H_
