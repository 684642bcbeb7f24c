// Reading and writing raftlab's text history format (see text_format.h).
#include "linearizability/text_format.h"

#include <cctype>
#include <optional>

#include "linearizability/lex.h"

namespace linearizability {

namespace {

struct Token {
  std::string text;
  bool quoted = false;
};

// Splits a line into tokens; a bare token starting with '#' ends the line.
std::vector<Token> Tokenize(std::string_view line) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (true) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])))
      i++;
    if (i >= line.size() || line[i] == '#') break;
    Token t;
    if (line[i] == '"') {
      t.text = ReadQuoted(line, i);
      t.quoted = true;
      if (i < line.size() &&
          !std::isspace(static_cast<unsigned char>(line[i]))) {
        throw std::invalid_argument(
            "a quoted string must be followed by a blank");
      }
    } else {
      size_t start = i;
      while (i < line.size() &&
             !std::isspace(static_cast<unsigned char>(line[i]))) {
        if (line[i] == '"') {
          throw std::invalid_argument(
              "'\"' inside a bare word (quote the whole string)");
        }
        i++;
      }
      t.text = std::string(line.substr(start, i - start));
    }
    tokens.push_back(std::move(t));
  }
  return tokens;
}

bool IsBare(const Token& t, std::string_view word) {
  return !t.quoted && t.text == word;
}

// A string field: "-" (bare) is the empty string.
std::string StringField(const Token& t) {
  return IsBare(t, "-") ? std::string() : t.text;
}

Time TimeField(const Token& t, const char* what) {
  int64_t v;
  if (t.quoted || !ParseInt64(t.text, v)) {
    throw std::invalid_argument(std::string(what) +
                                " must be an integer, not '" + t.text + "'");
  }
  return v;
}

Fault ParseFault(const std::vector<Token>& tok) {
  if (tok.size() != 4) {
    throw std::invalid_argument(
        "a fault line is: fault <start> <end or -> <label>");
  }
  Fault f;
  f.start = TimeField(tok[1], "fault start");
  if (!IsBare(tok[2], "-")) {
    f.end = TimeField(tok[2], "fault end");
    if (*f.end < f.start)
      throw std::invalid_argument("fault ends before it starts");
  }
  f.label = tok[3].text;
  return f;
}

KvOperation ParseOperation(const std::vector<Token>& tok) {
  if (tok.size() != 7) {
    throw std::invalid_argument(
        "expected 7 fields (client call return op key value output), got " +
        std::to_string(tok.size()));
  }
  KvOperation op;
  int64_t client;
  if (tok[0].quoted || !ParseInt64(tok[0].text, client) || client < 0 ||
      client > 1'000'000'000) {
    throw std::invalid_argument("client must be an integer >= 0, not '" +
                                tok[0].text + "'");
  }
  op.client_id = static_cast<int>(client);
  op.call = TimeField(tok[1], "call time");
  if (IsBare(tok[2], "-")) {
    op.pending = true;
  } else {
    op.ret = TimeField(tok[2], "return time");
    if (op.ret < op.call) {
      throw std::invalid_argument("return time is before call time");
    }
  }
  const std::string& name = tok[3].text;
  if (name == "get") {
    op.input.op = KvOp::kGet;
  } else if (name == "put") {
    op.input.op = KvOp::kPut;
  } else if (name == "append") {
    op.input.op = KvOp::kAppend;
  } else {
    throw std::invalid_argument("op must be get, put or append, not '" + name +
                                "'");
  }
  op.input.key = StringField(tok[4]);
  op.input.value = StringField(tok[5]);
  if (op.input.op == KvOp::kGet && !op.input.value.empty()) {
    throw std::invalid_argument("a get has no value (write -)");
  }
  if (IsBare(tok[6], "?")) {
    op.output.unknown = true;
  } else {
    op.output.value = StringField(tok[6]);
    if (op.pending && op.input.op == KvOp::kGet) {
      throw std::invalid_argument(
          "a pending get (return -) must have output ? (never seen)");
    }
    if (op.input.op != KvOp::kGet && !op.output.value.empty()) {
      throw std::invalid_argument("a put or append has no output (write -)");
    }
  }
  if (op.pending) op.output.unknown = true;
  return op;
}

// A string field as written: bare when that reads back the same.
std::string Field(std::string_view s) {
  if (s.empty()) return "-";
  bool bare = s != "-" && s != "?" && s[0] != '#';
  for (unsigned char c : s) {
    if (std::isspace(c) || c == '"' || c == '\\' || c < 0x20 || c == 0x7f) {
      bare = false;
    }
  }
  return bare ? std::string(s) : Quote(s);
}

}  // namespace

double TicksPerSecond(std::string_view unit) {
  if (unit == "ns") return 1e9;
  if (unit == "us") return 1e6;
  if (unit == "ms") return 1e3;
  if (unit == "s") return 1;
  if (unit == "none") return 0;
  return -1;
}

KvHistory ReadTextHistory(std::istream& in, const std::string& source) {
  KvHistory h;
  std::string line;
  int lineno = 0;
  bool have_unit = false;
  while (std::getline(in, line)) {
    lineno++;
    try {
      std::vector<Token> tok = Tokenize(line);
      if (tok.empty()) continue;
      if (IsBare(tok[0], "unit")) {
        if (tok.size() != 2 || TicksPerSecond(tok[1].text) < 0) {
          throw std::invalid_argument("a unit line is: unit ns|us|ms|s|none");
        }
        if (have_unit) throw std::invalid_argument("a second unit line");
        have_unit = true;
        h.ticks_per_second = TicksPerSecond(tok[1].text);
      } else if (IsBare(tok[0], "fault")) {
        h.faults.push_back(ParseFault(tok));
      } else {
        h.ops.push_back(ParseOperation(tok));
      }
    } catch (const std::invalid_argument& e) {
      throw ParseError(source, lineno, e.what());
    }
  }
  if (in.bad()) throw ParseError(source, lineno, "read error");
  return h;
}

void WriteTextHistory(std::ostream& out, const std::vector<KvOperation>& ops,
                      const std::vector<Fault>& faults, std::string_view unit) {
  out << "# raftlab key/value history: client call return op key value "
         "output\n";
  out << "unit " << unit << "\n";
  for (const Fault& f : faults) {
    out << "fault " << f.start << " "
        << (f.end ? std::to_string(*f.end) : std::string("-")) << " "
        << Quote(f.label) << "\n";
  }
  static const char* kNames[] = {"get", "put", "append"};
  for (const KvOperation& op : ops) {
    out << op.client_id << " " << op.call << " "
        << (op.pending ? std::string("-") : std::to_string(op.ret)) << " "
        << kNames[static_cast<int>(op.input.op)] << " " << Field(op.input.key)
        << " "
        << (op.input.op == KvOp::kGet ? std::string("-")
                                      : Field(op.input.value))
        << " ";
    if (op.output.unknown || op.pending) {
      out << "?";
    } else {
      out << (op.input.op == KvOp::kGet ? Field(op.output.value) : "-");
    }
    out << "\n";
  }
}

}  // namespace linearizability
