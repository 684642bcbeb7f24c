// The raftkv CLI's command line; see cli_flags.h.
#include "deploy/cli_flags.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "deploy/tcp_transport.h"

namespace deploy {

Flags::Flags(int argc, char** argv, const std::set<std::string>& value_flags,
             const std::set<std::string>& bool_flags) {
  bool only_positional = false;
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (only_positional || arg.size() < 3 || arg.rfind("--", 0) != 0) {
      if (arg == "--") {
        only_positional = true;  // so that a value may start with "--"
        continue;
      }
      if (!only_positional && arg.size() > 1 && arg[0] == '-' && arg != "-") {
        throw UsageError("unknown flag " + arg +
                         " (flags are --name; put an argument that starts "
                         "with '-' after --)");
      }
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (values_.count(name)) throw UsageError("--" + name + " given twice");
    if (bool_flags.count(name)) {
      if (value) throw UsageError("--" + name + " takes no value");
      values_[name] = "";
    } else if (value_flags.count(name)) {
      if (!value) {
        if (i + 1 >= argc) throw UsageError("--" + name + " needs a value");
        value = argv[++i];
      }
      values_[name] = *value;
    } else {
      throw UsageError("unknown flag --" + name);
    }
  }
}

std::optional<std::string> Flags::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Flags::GetOr(const std::string& name,
                         const std::string& dflt) const {
  return Get(name).value_or(dflt);
}

std::string Flags::Require(const std::string& name,
                           const std::string& command) const {
  std::optional<std::string> v = Get(name);
  if (!v || v->empty()) throw UsageError(command + " needs --" + name);
  return *v;
}

int64_t Flags::GetInt(const std::string& name, int64_t dflt, int64_t min,
                      int64_t max) const {
  std::optional<std::string> v = Get(name);
  if (!v) return dflt;
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || errno != 0 || n < min || n > max) {
    throw UsageError("--" + name + " needs an integer from " +
                     std::to_string(min) + " to " + std::to_string(max) +
                     ", not '" + *v + "'");
  }
  return n;
}

labrpc::Duration Flags::GetSeconds(const std::string& name, double dflt) const {
  double s = dflt;
  if (std::optional<std::string> v = Get(name)) {
    char* end = nullptr;
    s = std::strtod(v->c_str(), &end);
    if (v->empty() || *end != '\0' || !std::isfinite(s) || s <= 0 || s > 1e6) {
      throw UsageError("--" + name + " needs a number of seconds > 0, not '" +
                       *v + "'");
    }
  }
  return std::chrono::duration_cast<labrpc::Duration>(
      std::chrono::duration<double>(s));
}

void Flags::AllowOnly(const std::set<std::string>& allowed,
                      const std::string& command) const {
  for (const auto& [name, value] : values_) {
    if (!allowed.count(name)) {
      throw UsageError("--" + name + " is not a flag of '" + command + "'");
    }
  }
}

std::vector<std::string> SplitList(const std::string& list,
                                   const std::string& what) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t comma = list.find(',', start);
    std::string item = list.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) {
      throw UsageError(what + " has an empty item in '" + list +
                       "' (a comma-separated list)");
    }
    out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<std::string> SplitHostPorts(const std::string& list,
                                        const std::string& what) {
  std::vector<std::string> out = SplitList(list, what);
  std::set<std::string> seen;
  for (const std::string& item : out) {
    try {
      SplitHostPort(item);
    } catch (const TcpError& e) {
      throw UsageError(what + ": " + e.what());
    }
    if (!seen.insert(item).second) {
      throw UsageError(what + " lists " + item + " twice");
    }
  }
  return out;
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::string FormatSeconds(labrpc::Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s",
                std::chrono::duration<double>(d).count());
  return buf;
}

}  // namespace deploy
