// The commands the Raft tests put into the log (Go's tests use plain ints
// and strings), and the random values they draw for them.
//
//   cfg->One(IntCmd(100), 3, /*retry=*/false);
//   std::optional<int64_t> v = CmdInt(cfg->NCommitted(1).second);  // 100
#ifndef RAFTLAB_TESTS_RAFT_COMMANDS_H_
#define RAFTLAB_TESTS_RAFT_COMMANDS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "labrpc/codec.h"

namespace raftlab_test {

// A command the harness puts into the Raft log. Go's tests use `int` and
// `string` commands and compare them with ==; Raft sees only bytes, so the
// harness encodes this struct and compares the encodings. Keeping the type
// tag means that "value is not an int" checks still mean something.
struct TestCommand {
  bool is_string = false;
  int64_t value = 0;  // when !is_string
  std::string text;   // when is_string

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& is_string& value& text;
  }
};

// The encoded int command `v` (Go: a plain int).
labrpc::Bytes IntCmd(int64_t v);
// The encoded string command `s` (Go: a string).
labrpc::Bytes StringCmd(const std::string& s);
// Decodes a command; nullopt if `bytes` is not an encoded TestCommand (e.g.
// the empty entry 0 of a snapshot, or bytes Raft corrupted).
std::optional<TestCommand> DecodeCmd(const labrpc::Bytes& bytes);
// The int in `bytes`, or nullopt if it is not an int command.
std::optional<int64_t> CmdInt(const labrpc::Bytes& bytes);
// A readable form of a command for failure messages (Go's %v): the int, the
// string (shortened when long), or a byte count for undecodable bytes.
std::string CmdToString(const labrpc::Bytes& bytes);

// Go's rand.Int(): a non-negative 63-bit value.
int64_t RandInt63();
// Go's rand.Int31(): a non-negative 31-bit value.
int64_t RandInt31();

}  // namespace raftlab_test

#endif  // RAFTLAB_TESTS_RAFT_COMMANDS_H_
