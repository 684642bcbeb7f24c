// The key/value model (see kv_model.h).
#include "linearizability/kv_model.h"

namespace linearizability {

std::optional<KvModel::State> KvModel::Step(const State& state, const Input& in,
                                            const Output& out) const {
  switch (in.op) {
    case KvOp::kGet:
      if (out.unknown || out.value == state) return state;
      return std::nullopt;
    case KvOp::kPut:
      return in.value;
    case KvOp::kAppend:
      return state + in.value;
  }
  return std::nullopt;
}

std::string KvModel::DescribeOperation(const Input& in,
                                       const Output& out) const {
  switch (in.op) {
    case KvOp::kGet:
      return "get('" + in.key + "') -> " +
             (out.unknown ? std::string("?") : "'" + out.value + "'");
    case KvOp::kPut:
      return "put('" + in.key + "', '" + in.value + "')";
    case KvOp::kAppend:
      return "append('" + in.key + "', '" + in.value + "')";
  }
  return "<invalid>";
}

std::string KvModel::DescribeState(const State& state) const {
  return "'" + state + "'";
}

}  // namespace linearizability
