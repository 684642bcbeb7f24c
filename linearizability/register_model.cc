// The compare-and-set register model (see register_model.h).
#include "linearizability/register_model.h"

namespace linearizability {

namespace {

std::string Show(const std::optional<int64_t>& v) {
  return v ? std::to_string(*v) : "nil";
}

}  // namespace

std::optional<RegisterModel::State> RegisterModel::Step(
    const State& state, const Input& in, const Output& out) const {
  switch (in.op) {
    case RegisterOp::kRead:
      if (out.unknown || out.value == state) return state;
      return std::nullopt;
    case RegisterOp::kWrite:
      return State(in.value);
    case RegisterOp::kCas: {
      const bool match = state == State(in.from);
      if (out.unknown) return match ? State(in.to) : state;
      if (out.ok)
        return match ? std::optional<State>(State(in.to)) : std::nullopt;
      return match ? std::nullopt : std::optional<State>(state);
    }
  }
  return std::nullopt;
}

std::string RegisterModel::DescribeOperation(const Input& in,
                                             const Output& out) const {
  switch (in.op) {
    case RegisterOp::kRead:
      return "read() -> " + (out.unknown ? std::string("?") : Show(out.value));
    case RegisterOp::kWrite:
      return "write(" + std::to_string(in.value) + ")" +
             (out.unknown ? " -> ?" : "");
    case RegisterOp::kCas:
      return "cas(" + std::to_string(in.from) + ", " + std::to_string(in.to) +
             ") -> " +
             (out.unknown ? "?"
              : out.ok    ? "ok"
                          : "fail");
  }
  return "<invalid>";
}

std::string RegisterModel::DescribeState(const State& state) const {
  return Show(state);
}

}  // namespace linearizability
