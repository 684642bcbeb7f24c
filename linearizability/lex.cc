// Lexing helpers for history files (see lex.h).
#include "linearizability/lex.h"

#include <charconv>
#include <cstdio>

namespace linearizability {

std::string ReadQuoted(std::string_view text, size_t& pos) {
  if (pos >= text.size() || text[pos] != '"') {
    throw std::invalid_argument("expected a quoted string");
  }
  std::string out;
  size_t i = pos + 1;
  while (true) {
    if (i >= text.size()) throw std::invalid_argument("unterminated string");
    char c = text[i++];
    if (c == '"') break;
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (i >= text.size()) throw std::invalid_argument("unterminated string");
    char e = text[i++];
    switch (e) {
      case '"':
      case '\\':
        out.push_back(e);
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case '0':
        out.push_back('\0');
        break;
      case 'x': {
        int v = 0;
        for (int k = 0; k < 2; k++) {
          char h = i < text.size() ? text[i++] : '\0';
          int d = h >= '0' && h <= '9'   ? h - '0'
                  : h >= 'a' && h <= 'f' ? h - 'a' + 10
                  : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                         : -1;
          if (d < 0) throw std::invalid_argument("bad \\x escape");
          v = v * 16 + d;
        }
        out.push_back(static_cast<char>(v));
        break;
      }
      default:
        throw std::invalid_argument(std::string("unknown escape \\") + e);
    }
  }
  pos = i;
  return out;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

bool ParseInt64(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace linearizability
