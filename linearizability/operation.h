// The inputs of the linearizability checker: a history is a list of
// operations (or of call/return events), plus the faults the test harness
// injected while recording it (drawn in the picture, ignored by the check).
//
// Plain C++20, no Raft and no runtime: the checker runs anywhere.
#ifndef RAFTLAB_LINEARIZABILITY_OPERATION_H_
#define RAFTLAB_LINEARIZABILITY_OPERATION_H_

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace linearizability {

// A point on the history's clock. Any unit works (the lab harness uses
// nanoseconds since the start of the world; histories read from event logs use
// the event's position); only the order of times matters to the check.
using Time = int64_t;

// One completed (or never completed) call by one client.
//
// Real-time order: operation a precedes b iff a.ret < b.call. Equal times
// count as overlapping (a call at the same instant as a return may be
// linearized before it), as in porcupine.
template <class In, class Out>
struct Operation {
  // Which client issued it; only the picture uses it (one row per client).
  int client_id = 0;
  In input{};
  // When the call was issued.
  Time call = 0;
  // What the call returned (meaningless if `pending`).
  Out output{};
  // When the call returned; must be >= call (ignored if `pending`).
  Time ret = 0;
  // The call never returned (the client crashed or the log ended): it is
  // treated as returning after every other event of the history, so it may
  // be linearized anywhere after its call, including after everything else,
  // which is how "it may not have taken effect" is expressed. The model must
  // accept its output whatever the state (give Out an "unknown" flag).
  bool pending = false;
};

// The alternative input form: a flat list of calls and returns in time
// order. A call and its return share `id`; the list position is the time.
enum class EventKind { kCall, kReturn };

template <class In, class Out>
struct Event {
  int client_id = 0;
  EventKind kind = EventKind::kCall;
  In input{};    // read on a kCall event
  Out output{};  // read on a kReturn event
  int id = 0;
};

// Turns events into operations whose times are event positions. A call with
// no return becomes a pending operation. Throws std::invalid_argument on a
// return without a call or an id used twice.
template <class In, class Out>
std::vector<Operation<In, Out>> EventsToOperations(
    const std::vector<Event<In, Out>>& events) {
  std::vector<Operation<In, Out>> ops;
  std::map<int, size_t> open;  // id -> index in ops, while the call is open
  std::map<int, bool> seen;
  for (size_t pos = 0; pos < events.size(); pos++) {
    const Event<In, Out>& e = events[pos];
    if (e.kind == EventKind::kCall) {
      if (seen.count(e.id)) {
        throw std::invalid_argument("event id " + std::to_string(e.id) +
                                    " is called twice");
      }
      seen[e.id] = true;
      open[e.id] = ops.size();
      Operation<In, Out> op;
      op.client_id = e.client_id;
      op.input = e.input;
      op.call = static_cast<Time>(pos);
      op.pending = true;
      ops.push_back(std::move(op));
    } else {
      auto it = open.find(e.id);
      if (it == open.end()) {
        throw std::invalid_argument("event id " + std::to_string(e.id) +
                                    " returns without an open call");
      }
      Operation<In, Out>& op = ops[it->second];
      op.output = e.output;
      op.ret = static_cast<Time>(pos);
      op.pending = false;
      open.erase(it);
    }
  }
  return ops;
}

// Something the harness did to the system while the history was recorded
// (a partition, a crash, a restart, the network turned unreliable...).
// Drawn on the picture's time axis; the check ignores faults.
struct Fault {
  Time start = 0;
  // When it was healed; none if it was still in force when the history
  // ended. An instantaneous event (a restart, say) has end == start and is
  // drawn as a line.
  std::optional<Time> end;
  std::string label;
};

// The verdict. kUnknown means the time limit ran out before a verdict; it is
// the only result that depends on wall-clock time.
enum class CheckResult { kOk, kIllegal, kUnknown };

// "Ok", "Illegal" or "Unknown" (porcupine's names).
inline const char* ToString(CheckResult r) {
  switch (r) {
    case CheckResult::kOk:
      return "Ok";
    case CheckResult::kIllegal:
      return "Illegal";
    case CheckResult::kUnknown:
      return "Unknown";
  }
  return "?";
}

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_OPERATION_H_
