// A client process's history file; see history_log.h.
#include "deploy/history_log.h"

#include <time.h>

#include <sstream>
#include <vector>

#include "deploy/cli_flags.h"
#include "linearizability/text_format.h"

namespace deploy {

namespace lin = linearizability;

HistoryLog::HistoryLog(const std::string& path) : path_(path) {
  out_.open(path, std::ios::out | std::ios::trunc);
  if (!out_) throw CliError("cannot write the history file " + path);
  lin::WriteTextHistory(out_, {}, {}, "ns");
  out_.flush();
  if (!out_) throw CliError("cannot write the history file " + path);
}

int64_t HistoryLog::Clock() {
  // clock_gettime, not labrpc::Now(): see the header. Not std::steady_clock
  // either, whose epoch the standard leaves unspecified.
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void HistoryLog::Completed(int client, int64_t call, int64_t ret, lin::KvOp op,
                           const std::string& key, const std::string& value,
                           const std::string& output) {
  Write(client, call, ret, false, op, key, value, output);
}

void HistoryLog::Unknown(int client, int64_t call, lin::KvOp op,
                         const std::string& key, const std::string& value) {
  Write(client, call, call, true, op, key, value, "");
}

void HistoryLog::Write(int client, int64_t call, int64_t ret, bool pending,
                       lin::KvOp op, const std::string& key,
                       const std::string& value, const std::string& output) {
  lin::KvOperation o;
  o.client_id = client;
  o.input.op = op;
  o.input.key = key;
  if (op != lin::KvOp::kGet) o.input.value = value;
  o.call = call;
  o.ret = ret;
  o.pending = pending;
  o.output.unknown = pending;
  if (op == lin::KvOp::kGet && !pending) o.output.value = output;
  // The kit's own writer formats the line, so that quoting and the pending
  // form are exactly what ReadTextHistory reads; its two header lines are
  // dropped (the constructor wrote them once).
  std::ostringstream text;
  lin::WriteTextHistory(text, std::vector<lin::KvOperation>{o}, {}, "ns");
  std::string s = text.str();
  for (int header_lines = 0; header_lines < 2; header_lines++) {
    s.erase(0, s.find('\n') + 1);
  }
  labrpc::MutexLock l(mu_);
  out_ << s;
  out_.flush();  // the process may be killed at any moment
  if (!out_) throw CliError("cannot write the history file " + path_);
}

}  // namespace deploy
