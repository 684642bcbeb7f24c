// A compare-and-set register: the model of the Jepsen etcd histories
// (jepsen_format.h). It starts with no value; read, write and cas(from, to).
#ifndef RAFTLAB_LINEARIZABILITY_REGISTER_MODEL_H_
#define RAFTLAB_LINEARIZABILITY_REGISTER_MODEL_H_

#include <cstdint>
#include <optional>
#include <string>

namespace linearizability {

enum class RegisterOp : uint8_t { kRead, kWrite, kCas };

struct RegisterInput {
  RegisterOp op = RegisterOp::kRead;
  int64_t value = 0;  // write
  int64_t from = 0;   // cas
  int64_t to = 0;     // cas
};

struct RegisterOutput {
  // The outcome was never observed (a timed-out read, or a call that never
  // returned): always legal. A write still sets the value and a cas still
  // swaps when its compare succeeds, wherever it is linearized.
  bool unknown = false;
  // cas: true if it reported success, false if it reported that the
  // compare failed.
  bool ok = true;
  // read: the value read; nullopt means "no value".
  std::optional<int64_t> value;
};

struct RegisterModel {
  using Input = RegisterInput;
  using Output = RegisterOutput;
  using State = std::optional<int64_t>;  // nullopt: no value yet

  State Init() const { return std::nullopt; }
  // read: legal iff it returned the value; write: sets it; cas: a success
  // is legal iff value == from (and sets to), a failure iff value != from.
  std::optional<State> Step(const State& state, const Input& in,
                            const Output& out) const;
  uint64_t HashState(const State& state) const {
    return state ? static_cast<uint64_t>(*state) * 2 + 1 : 0;
  }
  // read() -> 3, write(3), cas(3, 4) -> ok|fail, ... -> ?
  std::string DescribeOperation(const Input& in, const Output& out) const;
  std::string DescribeState(const State& state) const;
};

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_REGISTER_MODEL_H_
