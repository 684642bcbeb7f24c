// Reading Jepsen etcd logs (see jepsen_format.h).
#include "linearizability/jepsen_format.h"

#include <cctype>
#include <map>
#include <optional>
#include <sstream>

#include "linearizability/lex.h"

namespace linearizability {

namespace {

constexpr std::string_view kMarker = "jepsen.util - ";

std::string Trim(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) a++;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) b--;
  return std::string(s.substr(a, b - a));
}

int64_t Int(const std::string& s, const char* what) {
  int64_t v;
  if (!ParseInt64(s, v)) {
    throw std::invalid_argument(std::string(what) +
                                " must be an integer, not '" + s + "'");
  }
  return v;
}

// "[a b]" -> (a, b)
std::pair<int64_t, int64_t> Pair(const std::string& s) {
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') {
    throw std::invalid_argument("a cas value is [from to], not '" + s + "'");
  }
  std::istringstream in(s.substr(1, s.size() - 2));
  std::string a, b, extra;
  if (!(in >> a >> b) || (in >> extra)) {
    throw std::invalid_argument("a cas value is [from to], not '" + s + "'");
  }
  return {Int(a, "cas from"), Int(b, "cas to")};
}

}  // namespace

RegisterHistory ReadJepsenHistory(std::istream& in, const std::string& source) {
  RegisterHistory h;
  std::vector<bool> dropped;
  std::map<int64_t, size_t> open;  // process -> its pending call
  std::string line;
  int lineno = 0;
  Time time = 0;
  while (std::getline(in, line)) {
    lineno++;
    size_t at = line.find(kMarker);
    if (at == std::string::npos) continue;
    std::istringstream fields(line.substr(at + kMarker.size()));
    std::string process_text, type, f;
    if (!(fields >> process_text >> type)) continue;
    int64_t process;
    // Only "<process> <:type>" lines are operations; others (the nemesis,
    // free text) are ignored.
    if (!ParseInt64(process_text, process) ||
        (type != ":invoke" && type != ":ok" && type != ":fail" &&
         type != ":info")) {
      continue;
    }
    try {
      if (process < 0 || process > 1'000'000'000) {
        throw std::invalid_argument("process out of range");
      }
      if (!(fields >> f)) throw std::invalid_argument("missing :f");
      std::string rest;
      std::getline(fields, rest);
      std::string value = Trim(rest);
      if (type == ":invoke") {
        if (open.count(process)) {
          throw std::invalid_argument("process " + process_text +
                                      " invokes while a call is pending");
        }
        RegisterOperation op;
        op.client_id = static_cast<int>(process);
        if (f == ":read") {
          op.input.op = RegisterOp::kRead;
        } else if (f == ":write") {
          op.input.op = RegisterOp::kWrite;
          op.input.value = Int(value, "a write's value");
        } else if (f == ":cas") {
          op.input.op = RegisterOp::kCas;
          std::tie(op.input.from, op.input.to) = Pair(value);
        } else {
          throw std::invalid_argument(":f must be :read, :write or :cas, not " +
                                      f);
        }
        op.call = time++;
        op.pending = true;
        op.output.unknown = true;
        open[process] = h.ops.size();
        h.ops.push_back(op);
        dropped.push_back(false);
        continue;
      }
      auto it = open.find(process);
      if (it == open.end()) {
        throw std::invalid_argument(type + " from process " + process_text +
                                    " with no pending call");
      }
      RegisterOperation& op = h.ops[it->second];
      static const char* kF[] = {":read", ":write", ":cas"};
      if (f != kF[static_cast<int>(op.input.op)]) {
        throw std::invalid_argument(type + " " + f + " does not match the " +
                                    kF[static_cast<int>(op.input.op)] +
                                    " pending for process " + process_text);
      }
      if (type == ":ok") {
        op.pending = false;
        op.ret = time;
        op.output.unknown = false;
        op.output.ok = true;
        if (op.input.op == RegisterOp::kRead && value != "nil") {
          op.output.value = Int(value, "a read's value");
        }
      } else if (type == ":fail") {
        if (op.input.op == RegisterOp::kWrite) {
          dropped[it->second] = true;
        } else {
          op.pending = false;
          op.ret = time;
          // A failed cas reports its compare failed; a failed read saw
          // nothing (its result is unknown).
          op.output.unknown = op.input.op == RegisterOp::kRead;
          op.output.ok = false;
        }
      }
      // :info leaves the call pending with an unknown outcome.
      time++;
      open.erase(it);
    } catch (const std::invalid_argument& e) {
      throw ParseError(source, lineno, e.what());
    }
  }
  std::vector<RegisterOperation> kept;
  for (size_t i = 0; i < h.ops.size(); i++) {
    if (!dropped[i]) kept.push_back(h.ops[i]);
  }
  h.ops = std::move(kept);
  return h;
}

}  // namespace linearizability
