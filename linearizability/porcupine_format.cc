// Reading porcupine's EDN-like key/value histories (see porcupine_format.h).
#include "linearizability/porcupine_format.h"

#include <cctype>
#include <map>
#include <optional>

#include "linearizability/lex.h"

namespace linearizability {

namespace {

// One EDN value of the kinds these files use.
struct Value {
  enum Kind { kNil, kKeyword, kString, kInt } kind = kNil;
  std::string text;  // keyword without ':', or string contents
  int64_t number = 0;
};

bool IsBlank(char c) {
  return std::isspace(static_cast<unsigned char>(c)) || c == ',';
}

// Parses "{:k v, :k v ...}" into keyword -> value.
std::map<std::string, Value> ParseMap(std::string_view line) {
  std::map<std::string, Value> m;
  size_t i = 0;
  auto skip = [&] {
    while (i < line.size() && IsBlank(line[i])) i++;
  };
  auto word = [&] {
    size_t start = i;
    while (i < line.size() && !IsBlank(line[i]) && line[i] != '}') i++;
    return std::string(line.substr(start, i - start));
  };
  skip();
  if (i >= line.size() || line[i] != '{') {
    throw std::invalid_argument("expected '{'");
  }
  i++;
  while (true) {
    skip();
    if (i >= line.size()) throw std::invalid_argument("expected '}'");
    if (line[i] == '}') {
      i++;
      break;
    }
    if (line[i] != ':') throw std::invalid_argument("expected a :keyword");
    i++;
    std::string key = word();
    skip();
    Value v;
    if (i < line.size() && line[i] == '"') {
      v.kind = Value::kString;
      v.text = ReadQuoted(line, i);
    } else if (i < line.size() && line[i] == ':') {
      i++;
      v.kind = Value::kKeyword;
      v.text = word();
    } else {
      std::string w = word();
      if (w == "nil") {
        v.kind = Value::kNil;
      } else if (ParseInt64(w, v.number)) {
        v.kind = Value::kInt;
      } else {
        throw std::invalid_argument("bad value '" + w + "' for :" + key);
      }
    }
    if (!m.emplace(key, v).second) {
      throw std::invalid_argument("duplicate :" + key);
    }
  }
  skip();
  if (i != line.size()) throw std::invalid_argument("text after '}'");
  return m;
}

const Value& Get(const std::map<std::string, Value>& m, const std::string& k,
                 Value::Kind kind, const char* kind_name) {
  auto it = m.find(k);
  if (it == m.end()) throw std::invalid_argument("missing :" + k);
  if (it->second.kind != kind) {
    throw std::invalid_argument(":" + k + " must be " + kind_name);
  }
  return it->second;
}

}  // namespace

KvHistory ReadPorcupineKvHistory(std::istream& in, const std::string& source) {
  KvHistory h;
  h.ticks_per_second = 0;
  std::vector<bool> dropped;
  std::map<int64_t, size_t> open;  // process -> its pending call
  std::string line;
  int lineno = 0;
  Time time = 0;
  while (std::getline(in, line)) {
    lineno++;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == ';') continue;
    try {
      auto m = ParseMap(line);
      int64_t process = Get(m, "process", Value::kInt, "an integer").number;
      if (process < 0 || process > 1'000'000'000) {
        throw std::invalid_argument(":process out of range");
      }
      const std::string& type =
          Get(m, "type", Value::kKeyword, "a keyword").text;
      const std::string& f = Get(m, "f", Value::kKeyword, "a keyword").text;
      auto value = m.find("value");
      if (type == "invoke") {
        if (open.count(process)) {
          throw std::invalid_argument("process " + std::to_string(process) +
                                      " invokes while a call is pending");
        }
        KvOperation op;
        op.client_id = static_cast<int>(process);
        op.input.key = Get(m, "key", Value::kString, "a string").text;
        if (f == "get") {
          op.input.op = KvOp::kGet;
        } else if (f == "put" || f == "append") {
          op.input.op = f == "put" ? KvOp::kPut : KvOp::kAppend;
          op.input.value = Get(m, "value", Value::kString, "a string").text;
        } else {
          throw std::invalid_argument(":f must be :get, :put or :append");
        }
        op.call = time++;
        op.pending = true;
        op.output.unknown = true;
        open[process] = h.ops.size();
        h.ops.push_back(std::move(op));
        dropped.push_back(false);
      } else if (type == "ok" || type == "fail" || type == "info") {
        auto it = open.find(process);
        if (it == open.end()) {
          throw std::invalid_argument(":" + type + " from process " +
                                      std::to_string(process) +
                                      " with no pending call");
        }
        KvOperation& op = h.ops[it->second];
        // A return must answer the call it is taken for: an :ok :put for a
        // pending :get is a corrupt file, not a get that read nothing.
        static const char* kF[] = {"get", "put", "append"};
        const char* called = kF[static_cast<int>(op.input.op)];
        if (f != called) {
          throw std::invalid_argument(
              ":" + type + " :" + f + " does not match the :" + called +
              " pending for process " + std::to_string(process));
        }
        auto key = m.find("key");
        if (key != m.end() && (key->second.kind != Value::kString ||
                               key->second.text != op.input.key)) {
          throw std::invalid_argument(
              ":" + type + " on another :key than the :" + called + " of \"" +
              op.input.key + "\" pending for process " +
              std::to_string(process));
        }
        if (type == "ok") {
          op.pending = false;
          op.ret = time;
          op.output.unknown = false;
          if (op.input.op == KvOp::kGet && value != m.end() &&
              value->second.kind == Value::kString) {
            op.output.value = value->second.text;
          }
        } else if (type == "fail") {
          dropped[it->second] = true;
        }
        time++;
        open.erase(it);
      } else {
        throw std::invalid_argument(
            ":type must be :invoke, :ok, :fail or :info");
      }
    } catch (const std::invalid_argument& e) {
      throw ParseError(source, lineno, e.what());
    }
  }
  std::vector<KvOperation> kept;
  for (size_t i = 0; i < h.ops.size(); i++) {
    if (!dropped[i]) kept.push_back(std::move(h.ops[i]));
  }
  h.ops = std::move(kept);
  return h;
}

}  // namespace linearizability
