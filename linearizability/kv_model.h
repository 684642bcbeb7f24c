// The key/value model of the kvraft and shardkv labs (porcupine's
// models.KvModel): one string per key, initially "", Get/Put/Append.
#ifndef RAFTLAB_LINEARIZABILITY_KV_MODEL_H_
#define RAFTLAB_LINEARIZABILITY_KV_MODEL_H_

#include <cstdint>
#include <optional>
#include <string>

namespace linearizability {

enum class KvOp : uint8_t { kGet = 0, kPut = 1, kAppend = 2 };

struct KvInput {
  KvOp op = KvOp::kGet;
  std::string key;
  std::string value;  // Put and Append only
};

struct KvOutput {
  std::string value;  // Get only: the value read
  // The result was never observed (a pending operation): any value is
  // accepted, and a Put or Append still takes effect where it is linearized.
  bool unknown = false;
};

struct KvModel {
  using Input = KvInput;
  using Output = KvOutput;
  // The value of the partition's single key.
  using State = std::string;

  State Init() const { return ""; }
  // Get is legal iff it read the current value; Put replaces it; Append
  // concatenates (a missing key reads "", so Append to it acts on "").
  std::optional<State> Step(const State& state, const Input& in,
                            const Output& out) const;
  // Keys never interact, so each key is its own partition.
  const std::string& PartitionKey(const Input& in) const { return in.key; }
  // get('k') -> 'v', put('k', 'v'), append('k', 'v').
  std::string DescribeOperation(const Input& in, const Output& out) const;
  // 'v'
  std::string DescribeState(const State& state) const;
};

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_KV_MODEL_H_
