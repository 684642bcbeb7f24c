// HistoryLog: a client process's operations, appended to a file in
// lincheck's text format (linearizability/text_format.h) as each one ends,
// so that a history survives its process being killed, and the histories of
// several processes can be merged and checked together.
//
//   deploy::HistoryLog log("run/client-0.txt");     // throws CliError
//   int64_t call = deploy::HistoryLog::Clock();
//   std::string v = clerk.Get("k");
//   log.Completed(0, call, deploy::HistoryLog::Clock(), lin::KvOp::kGet,
//                 "k", "", v);
//   log.Unknown(1, call, lin::KvOp::kAppend, "k", "x.1.7;");  // no reply
//
// Times are nanoseconds of CLOCK_MONOTONIC, which every process on a host
// shares (a world's labrpc::Now() starts at zero in each process, so its
// times could not be merged). An operation whose outcome is unknown (the
// client gave up waiting) is written as pending ("-" return, "?" output):
// it may or may not have taken effect, at any time after its call, which is
// exactly what the checker assumes of a pending call.
#ifndef RAFTLAB_DEPLOY_HISTORY_LOG_H_
#define RAFTLAB_DEPLOY_HISTORY_LOG_H_

#include <cstdint>
#include <fstream>
#include <string>

#include "labrpc/runtime.h"
#include "linearizability/kv_model.h"

namespace deploy {

class HistoryLog {
 public:
  // Creates (truncates) `path` and writes the format's header. Throws
  // CliError if the file cannot be written.
  explicit HistoryLog(const std::string& path);
  HistoryLog(const HistoryLog&) = delete;
  HistoryLog& operator=(const HistoryLog&) = delete;

  // Nanoseconds on the host's monotonic clock.
  static int64_t Clock();

  // One operation that returned: output is the value read (get only).
  void Completed(int client, int64_t call, int64_t ret,
                 linearizability::KvOp op, const std::string& key,
                 const std::string& value, const std::string& output);
  // One operation with no reply: it may or may not have taken effect.
  void Unknown(int client, int64_t call, linearizability::KvOp op,
               const std::string& key, const std::string& value);

  const std::string& path() const { return path_; }

 private:
  void Write(int client, int64_t call, int64_t ret, bool pending,
             linearizability::KvOp op, const std::string& key,
             const std::string& value, const std::string& output);

  const std::string path_;
  labrpc::Mutex mu_{"history_log"};
  std::ofstream out_;  // guarded by mu_
};

}  // namespace deploy

#endif  // RAFTLAB_DEPLOY_HISTORY_LOG_H_
