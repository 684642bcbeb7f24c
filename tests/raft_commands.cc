// The commands the Raft tests submit; see raft_commands.h.
#include "tests/raft_commands.h"

#include "labrpc/runtime.h"
#include "labrpc/trace.h"

namespace raftlab_test {

labrpc::Bytes IntCmd(int64_t v) {
  TestCommand c;
  c.value = v;
  return labrpc::Encode(c);
}

labrpc::Bytes StringCmd(const std::string& s) {
  TestCommand c;
  c.is_string = true;
  c.text = s;
  return labrpc::Encode(c);
}

std::optional<TestCommand> DecodeCmd(const labrpc::Bytes& bytes) {
  if (bytes.empty()) return std::nullopt;
  try {
    return labrpc::Decode<TestCommand>(bytes);
  } catch (const labrpc::DecodeError&) {
    return std::nullopt;
  }
}

std::optional<int64_t> CmdInt(const labrpc::Bytes& bytes) {
  std::optional<TestCommand> c = DecodeCmd(bytes);
  if (!c || c->is_string) return std::nullopt;
  return c->value;
}

std::string CmdToString(const labrpc::Bytes& bytes) {
  if (bytes.empty()) return "<nil>";
  std::optional<TestCommand> c = DecodeCmd(bytes);
  if (!c) return labrpc::Sprintf("<%zu undecodable bytes>", bytes.size());
  if (!c->is_string) return std::to_string(c->value);
  constexpr size_t kShown = 32;
  if (c->text.size() <= kShown) return c->text;
  return labrpc::Sprintf("%s...(%zu chars)", c->text.substr(0, kShown).c_str(),
                         c->text.size());
}

int64_t RandInt63() { return static_cast<int64_t>(labrpc::RandUint64() >> 1); }

int64_t RandInt31() { return static_cast<int64_t>(labrpc::RandUint64() >> 33); }

}  // namespace raftlab_test
