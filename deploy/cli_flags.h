// The raftkv CLI's command line: `--name value` / `--name=value` flags
// anywhere, the rest positional (the subcommand and its arguments), and the
// two errors every subcommand reports the same way.
//
//   deploy::Flags f(argc, argv, {"servers", "clients"}, {"tsv"});
//   // throws deploy::UsageError("unknown flag --colour")
//   std::vector<std::string> servers = deploy::SplitHostPorts(
//       f.Require("servers", "a cluster command"), "--servers");
//   int clients = f.GetInt("clients", 4, 1, 1000);
//   bool tsv = f.Has("tsv");
//   f.AllowOnly({"servers", "tsv"}, "status");  // a stray --clients: error
//
// Both errors end the process with exit status 2; a UsageError also prints
// the usage text, since the command line itself is what needs fixing.
#ifndef RAFTLAB_DEPLOY_CLI_FLAGS_H_
#define RAFTLAB_DEPLOY_CLI_FLAGS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "labrpc/runtime.h"

namespace deploy {

// The command line is wrong (a flag, a value, a missing argument).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The command was well formed but failed (no server answered, a file could
// not be written): reported as "raftkv: <what>".
class CliError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Flags {
 public:
  // value_flags take a value; bool_flags do not. Names are without "--".
  // Throws UsageError for an unknown flag, a missing value, a value given
  // to a bool flag, or a flag given twice.
  Flags(int argc, char** argv, const std::set<std::string>& value_flags,
        const std::set<std::string>& bool_flags);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::optional<std::string> Get(const std::string& name) const;
  std::string GetOr(const std::string& name, const std::string& dflt) const;
  // The value, or UsageError "<command> needs --name".
  std::string Require(const std::string& name,
                      const std::string& command) const;
  // An integer in [min, max]; UsageError naming the flag otherwise.
  int64_t GetInt(const std::string& name, int64_t dflt, int64_t min,
                 int64_t max) const;
  // Seconds (fractions allowed) > 0, as a Duration.
  labrpc::Duration GetSeconds(const std::string& name, double dflt) const;

  // UsageError if a flag outside `allowed` was given: a flag that the
  // command would silently ignore is a mistake worth reporting.
  void AllowOnly(const std::set<std::string>& allowed,
                 const std::string& command) const;

  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;  // bool flags map to ""
  std::vector<std::string> positional_;
};

// "a,b,c" -> {"a", "b", "c"}; UsageError naming `what` on an empty item.
std::vector<std::string> SplitList(const std::string& list,
                                   const std::string& what);
// As SplitList, and each item must be host:port (TcpTransport's form), and
// no item may repeat.
std::vector<std::string> SplitHostPorts(const std::string& list,
                                        const std::string& what);
// "a,b,c" for messages.
std::string JoinList(const std::vector<std::string>& items);
// "10 s", "2.5 s": a duration as a person reads it.
std::string FormatSeconds(labrpc::Duration d);

}  // namespace deploy

#endif  // RAFTLAB_DEPLOY_CLI_FLAGS_H_
