// Tests for the RPC frame codec (suite Frame, deploy/frame.h): the layout,
// round trips through a decoder fed every possible split of a stream, and
// the refusal of every malformed header, each with its message, without
// buffering more than was fed.
#include "deploy/frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace deploy {
namespace {

std::vector<Frame> SampleFrames() {
  return {
      {1, FrameKind::kRequest, "Raft.AppendEntries", "codec bytes"},
      {1, FrameKind::kReply, "Raft.AppendEntries", std::string("\0\x01", 2)},
      {0xFFFFFFFFFFFFFFFFull, FrameKind::kError, "KVServer.Get",
       "no such service"},
      {7, FrameKind::kRequest, "A.B", ""},
  };
}

std::string Concat(const std::vector<Frame>& frames) {
  std::string s;
  for (const Frame& f : frames) s += EncodeFrame(f);
  return s;
}

// Feeds `stream` in the given chunks; returns the frames and the error ("").
std::pair<std::vector<Frame>, std::string> DecodeChunks(
    const std::vector<std::string>& chunks, size_t limit = kMaxFrameBytes) {
  FrameDecoder d(limit);
  std::vector<Frame> out;
  try {
    for (const std::string& c : chunks) {
      d.Feed(c);
      while (std::optional<Frame> f = d.Next()) out.push_back(std::move(*f));
    }
  } catch (const FrameError& e) {
    return {out, e.what()};
  }
  return {out, ""};
}

std::string ErrorOf(const std::string& stream, size_t limit = kMaxFrameBytes) {
  return DecodeChunks({stream}, limit).second;
}

TEST(Frame, LayoutIsAsDocumented) {
  std::string w = EncodeFrame(
      {0x0102030405060708ull, FrameKind::kReply, "Raft.RequestVote", "xyz"});
  const std::string want =
      std::string("\x1f\0\0\0", 4) +        // L = 12 + 16 + 3
      std::string("\x01\x02\x10\0", 4) +    // version, kind, M
      "\x08\x07\x06\x05\x04\x03\x02\x01" +  // request id
      "Raft.RequestVote" + "xyz";
  EXPECT_EQ(w, want);
}

TEST(Frame, WholeStreamRoundTrip) {
  auto [frames, err] = DecodeChunks({Concat(SampleFrames())});
  EXPECT_EQ(err, "");
  EXPECT_EQ(frames, SampleFrames());
}

TEST(Frame, EverySplitPoint) {
  const std::string stream = Concat(SampleFrames());
  for (size_t cut = 0; cut <= stream.size(); cut++) {
    auto [frames, err] =
        DecodeChunks({stream.substr(0, cut), stream.substr(cut)});
    EXPECT_EQ(err, "") << cut;
    EXPECT_EQ(frames, SampleFrames()) << "split at " << cut;
  }
  // Every pair of split points, for the first two frames.
  const std::string two = Concat({SampleFrames()[0], SampleFrames()[1]});
  for (size_t a = 0; a <= two.size(); a++) {
    for (size_t b = a; b <= two.size(); b++) {
      auto [frames, err] =
          DecodeChunks({two.substr(0, a), two.substr(a, b - a), two.substr(b)});
      ASSERT_EQ(frames.size(), 2u) << a << "," << b;
      EXPECT_EQ(frames[1], SampleFrames()[1]);
    }
  }
  // One byte at a time.
  std::vector<std::string> bytes;
  for (char c : stream) bytes.push_back(std::string(1, c));
  EXPECT_EQ(DecodeChunks(bytes).first, SampleFrames());
}

TEST(Frame, NothingBeforeAWholeFrame) {
  const std::string w = EncodeFrame(SampleFrames()[0]);
  FrameDecoder d;
  d.Feed(w.substr(0, w.size() - 1));
  EXPECT_FALSE(d.Next().has_value());
  EXPECT_EQ(d.buffered(), w.size() - 1);
  EXPECT_FALSE(d.idle());
  d.Feed(w.substr(w.size() - 1));
  EXPECT_EQ(d.Next(), SampleFrames()[0]);
  EXPECT_TRUE(d.idle());
}

// A frame with header fields set by hand.
std::string RawFrame(uint32_t length, uint8_t version, uint8_t kind, uint16_t m,
                     const std::string& rest) {
  std::string s;
  for (int i = 0; i < 4; i++) s.push_back(static_cast<char>(length >> 8 * i));
  s.push_back(static_cast<char>(version));
  s.push_back(static_cast<char>(kind));
  s.push_back(static_cast<char>(m));
  s.push_back(static_cast<char>(m >> 8));
  s += std::string(8, '\0');
  return s + rest;
}

TEST(Frame, MalformedHeadersAreRefused) {
  struct Case {
    const char* name;
    std::string stream;
    std::string error;  // after "frame at stream offset 0: "
  };
  const std::vector<Case> cases = {
      {"oversize", RawFrame(kMaxFrameBytes + 1, 1, 1, 3, "A.B"),
       "frame of 67108865 bytes exceeds the limit of 67108864 (a frame too "
       "large, or a peer not speaking raftlab frames)"},
      {"http", "GET / HTTP/1.1\r\n",
       "frame of 542393671 bytes exceeds the limit of 67108864 (a frame too "
       "large, or a peer not speaking raftlab frames)"},
      {"short length", RawFrame(14, 1, 1, 3, "A.B"),
       "frame length 14 is shorter than its own header"},
      {"version", RawFrame(15, 2, 1, 3, "A.B"),
       "unsupported frame version 2 (this build speaks version 1)"},
      {"kind 0", RawFrame(15, 1, 0, 3, "A.B"), "unknown frame kind 0"},
      {"kind 4", RawFrame(15, 1, 4, 3, "A.B"), "unknown frame kind 4"},
      {"name too short", RawFrame(15, 1, 1, 2, "AB."),
       "method name length 2 (must be 3..128)"},
      {"name too long", RawFrame(200, 1, 1, 129, ""),
       "method name length 129 (must be 3..128)"},
      {"name past end", RawFrame(20, 1, 1, 9, "A.B"),
       "method name length 9 does not fit in a frame of 20 bytes"},
      {"no dot", RawFrame(15, 1, 1, 3, "ABC"),
       "method name is not Service.Method"},
      {"two dots", RawFrame(16, 1, 1, 4, "A..B"),
       "method name is not Service.Method"},
      {"leading dot", RawFrame(15, 1, 1, 3, ".AB"),
       "method name is not Service.Method"},
      {"bad byte", RawFrame(15, 1, 1, 3, "A B"),
       "method name has byte 32 (only letters, digits, '_' and one '.')"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrorOf(c.stream), "frame at stream offset 0: " + c.error)
        << c.name;
  }
  // The same header one byte at a time: refused as soon as the bad field
  // is in, not once the claimed length has arrived.
  for (const Case& c : cases) {
    FrameDecoder d;
    size_t fed = 0;
    while (fed < c.stream.size() && d.error().empty()) {
      d.Feed(c.stream.substr(fed++, 1));
    }
    EXPECT_EQ(d.error(), "frame at stream offset 0: " + c.error) << c.name;
    EXPECT_THROW(d.Next(), FrameError) << c.name;
    EXPECT_THROW(d.Next(), FrameError) << c.name << ": throws again";
  }
}

TEST(Frame, GoodFramesBeforeABadOneAreDelivered) {
  const std::string good = Concat(SampleFrames());
  const std::string stream = good + RawFrame(15, 9, 1, 3, "A.B") + good;
  auto [frames, err] = DecodeChunks({stream});
  EXPECT_EQ(frames, SampleFrames());
  EXPECT_EQ(err, "frame at stream offset " + std::to_string(good.size()) +
                     ": unsupported frame version 9 (this build speaks "
                     "version 1)");
}

TEST(Frame, ClaimedLengthIsNotAllocated) {
  // A valid header claiming the largest frame, then a little body.
  FrameDecoder d;
  d.Feed(RawFrame(kMaxFrameBytes, 1, 1, 3, "A.B") + std::string(100, 'x'));
  EXPECT_EQ(d.error(), "");
  EXPECT_FALSE(d.Next().has_value());
  EXPECT_LT(d.capacity(), 4096u);
}

TEST(Frame, LowerLimitAndLimitEdges) {
  const Frame f{3, FrameKind::kRequest, "A.B", std::string(85, 'b')};
  // L = 12 + 3 + 85 = 100.
  EXPECT_EQ(DecodeChunks({EncodeFrame(f)}, 100).first.size(), 1u);
  EXPECT_EQ(ErrorOf(EncodeFrame(f), 99),
            "frame at stream offset 0: frame of 100 bytes exceeds the limit "
            "of 99 (a frame too large, or a peer not speaking raftlab "
            "frames)");
  EXPECT_THROW(EncodeFrame(f, 99), FrameError);
}

TEST(Frame, EncodeRefusesWhatADecoderWould) {
  EXPECT_THROW(EncodeFrame({1, FrameKind::kRequest, "NoDot", ""}), FrameError);
  EXPECT_THROW(EncodeFrame({1, FrameKind::kRequest, "", ""}), FrameError);
  EXPECT_THROW(
      EncodeFrame({1, static_cast<FrameKind>(9), "Raft.RequestVote", ""}),
      FrameError);
  EXPECT_THROW(
      EncodeFrame({1, FrameKind::kRequest,
                   std::string(64, 'a') + "." + std::string(64, 'b'), ""}),
      FrameError);
  try {
    EncodeFrame({1, FrameKind::kRequest, "Raft.InstallSnapshot",
                 std::string(kMaxFrameBytes, 's')});
    ADD_FAILURE() << "encoded an oversize frame";
  } catch (const FrameError& e) {
    EXPECT_EQ(std::string(e.what()),
              "EncodeFrame: Raft.InstallSnapshot frame of 67108896 bytes "
              "exceeds the limit of 67108864");
  }
}

TEST(Frame, LargeFrameInSocketSizedChunks) {
  const Frame big{9, FrameKind::kReply, "Raft.InstallSnapshot",
                  std::string(3 << 20, 'z')};
  const std::string stream = EncodeFrame(big) + EncodeFrame(SampleFrames()[0]);
  std::vector<std::string> chunks;
  for (size_t at = 0; at < stream.size(); at += 65536) {
    chunks.push_back(stream.substr(at, 65536));
  }
  auto [frames, err] = DecodeChunks(chunks);
  EXPECT_EQ(err, "");
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], big);
  EXPECT_EQ(frames[1], SampleFrames()[0]);
}

}  // namespace
}  // namespace deploy
