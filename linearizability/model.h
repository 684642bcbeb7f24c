// What the checker needs to know about the object under test: a sequential
// specification (a model). A model is a plain struct; the checker is a
// template over it, so Step inlines into the search loop.
//
// Required:
//
//   struct CounterModel {
//     using Input = int;           // amount to add; 0 = read
//     using Output = int;          // value read (ignored for adds)
//     using State = int;           // must be copyable and ==-comparable
//     State Init() const { return 0; }
//     // The new state if `in` returning `out` is legal in state `s`, else
//     // nullopt. Must not depend on anything but its arguments.
//     std::optional<State> Step(const State& s, int in, int out) const {
//       if (in == 0) return out == s ? std::optional<State>(s) : std::nullopt;
//       return s + in;
//     }
//   };
//
// Optional members (detected at compile time; defaults in parentheses):
//
//   K PartitionKey(const Input&) const;   (one partition)
//       Operations with different keys never interact, so each key is checked
//       on its own, which is exponentially cheaper. K needs operator<.
//   uint64_t HashState(const State&) const;   (std::hash<State> if it
//       exists, else 0). Equal states must hash equal.
//   std::string DescribeOperation(const Input&, const Output&) const;
//       (operator<< of Input and Output if they have one)
//   std::string DescribeState(const State&) const;   (operator<< or "?")
//   size_t StateHeapBytes(const State&) const;   (capacity() * element size
//       for a State with capacity(), like std::string or std::vector, else
//       0). The heap bytes a state owns, counted in the memory budget.
#ifndef RAFTLAB_LINEARIZABILITY_MODEL_H_
#define RAFTLAB_LINEARIZABILITY_MODEL_H_

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <sstream>
#include <string>

namespace linearizability {

template <class M>
concept Model = requires {
  typename M::Input;
  typename M::Output;
  typename M::State;
}
&&requires(const M& m, const typename M::State& s, const typename M::Input& in,
           const typename M::Output& out) {
  { m.Init() } -> std::convertible_to<typename M::State>;
  {
    m.Step(s, in, out)
    } -> std::convertible_to<std::optional<typename M::State>>;
  { s == s } -> std::convertible_to<bool>;
};

// The optional members, with their defaults.
namespace model_traits {

template <class M>
constexpr bool kHasPartitionKey = requires(const M& m,
                                           const typename M::Input& in) {
  m.PartitionKey(in);
};

template <class T>
constexpr bool kStreamable = requires(std::ostream& os, const T& v) {
  os << v;
};

template <Model M>
uint64_t HashState(const M& m, const typename M::State& s) {
  if constexpr (requires { m.HashState(s); }) {
    return static_cast<uint64_t>(m.HashState(s));
  } else if constexpr (requires { std::hash<typename M::State>{}(s); }) {
    return static_cast<uint64_t>(std::hash<typename M::State>{}(s));
  } else {
    return 0;
  }
}

template <Model M>
size_t StateHeapBytes(const M& m, const typename M::State& s) {
  if constexpr (requires { m.StateHeapBytes(s); }) {
    return static_cast<size_t>(m.StateHeapBytes(s));
  } else if constexpr (requires {
                         s.capacity();
                         typename M::State::value_type;
                       }) {
    return s.capacity() * sizeof(typename M::State::value_type);
  } else {
    return 0;
  }
}

template <Model M>
std::string DescribeOperation(const M& m, const typename M::Input& in,
                              const typename M::Output& out) {
  if constexpr (requires { m.DescribeOperation(in, out); }) {
    return m.DescribeOperation(in, out);
  } else if constexpr (kStreamable<typename M::Input> &&
                       kStreamable<typename M::Output>) {
    std::ostringstream os;
    os << in << " -> " << out;
    return os.str();
  } else {
    return "op";
  }
}

template <Model M>
std::string DescribeState(const M& m, const typename M::State& s) {
  if constexpr (requires { m.DescribeState(s); }) {
    return m.DescribeState(s);
  } else if constexpr (kStreamable<typename M::State>) {
    std::ostringstream os;
    os << s;
    return os.str();
  } else {
    return "?";
  }
}

// A readable name for a partition key, for the picture.
template <class K>
std::string DescribeKey(const K& key) {
  if constexpr (kStreamable<K>) {
    std::ostringstream os;
    os << key;
    return os.str();
  } else {
    return "";
  }
}

}  // namespace model_traits
}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_MODEL_H_
