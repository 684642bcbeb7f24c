// What every test harness shares, the Raft ones too; see harness_util.h.
// Kept apart from the linearizability check (harness_util.cc), so that the
// Raft tests build without the checker.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "labrpc/runtime.h"
#include "tests/harness_util.h"

namespace raftlab_test {

std::string RandString(int n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string s;
  s.reserve(n);
  for (int i = 0; i < n; i++) s.push_back(kAlphabet[labrpc::RandInt(64)]);
  return s;
}

std::vector<std::shared_ptr<labrpc::ClientEnd>> RandomHandles(
    std::vector<std::shared_ptr<labrpc::ClientEnd>> ends) {
  // Fisher-Yates.
  for (size_t i = ends.size(); i > 1; i--) {
    size_t j = static_cast<size_t>(labrpc::RandInt(static_cast<int64_t>(i)));
    std::swap(ends[i - 1], ends[j]);
  }
  return ends;
}

int FaultLog::Open(const std::string& label) {
  linearizability::Fault f;
  f.start = labrpc::Now().count();
  f.label = label;
  faults_.push_back(std::move(f));
  return static_cast<int>(faults_.size()) - 1;
}

void FaultLog::Close(int* handle) {
  if (*handle < 0) return;
  faults_[*handle].end = labrpc::Now().count();
  *handle = -1;
}

void FaultLog::Event(const std::string& label) {
  const int handle = Open(label);
  faults_[handle].end = faults_[handle].start;
}

}  // namespace raftlab_test
