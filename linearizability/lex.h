// Small lexing helpers shared by the history file readers: parse errors that
// carry a line number, C-style quoted strings, integers.
#ifndef RAFTLAB_LINEARIZABILITY_LEX_H_
#define RAFTLAB_LINEARIZABILITY_LEX_H_

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace linearizability {

// A malformed history file. what() is "<source>:<line>: <message>".
class ParseError : public std::runtime_error {
 public:
  ParseError(const std::string& source, int line, const std::string& message)
      : std::runtime_error(source + ":" + std::to_string(line) + ": " +
                           message),
        line_(line) {}
  int line() const { return line_; }

 private:
  int line_;
};

// Reads a C-style quoted string starting at text[pos] == '"' and leaves pos
// after the closing quote. Escapes: \" \\ \n \t \r \0 \xHH. Throws
// std::invalid_argument (with no line number) if it is malformed.
std::string ReadQuoted(std::string_view text, size_t& pos);

// The inverse of ReadQuoted: "..." with every byte that needs it escaped.
std::string Quote(std::string_view s);

// Parses the whole of `s` as a decimal int64 (optional leading '-').
bool ParseInt64(std::string_view s, int64_t& out);

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_LEX_H_
