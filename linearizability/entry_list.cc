// Building the sorted entry list (see entry_list.h).
#include "linearizability/entry_list.h"

#include <algorithm>
#include <limits>
#include <tuple>

namespace linearizability {

EntryList::EntryList(const std::vector<Interval>& ops) {
  struct Entry {
    Time time;
    int kind;  // 0 call, 1 return: calls sort first at equal times
    uint32_t op;
  };
  const uint32_t n = static_cast<uint32_t>(ops.size());
  std::vector<Entry> entries;
  entries.reserve(2 * n);
  for (uint32_t i = 0; i < n; i++) {
    entries.push_back({ops[i].call, 0, i});
    // A return before its call is rejected by the checker's entry points;
    // clamping here only keeps the list well-formed if one slips through.
    Time ret = ops[i].pending ? std::numeric_limits<Time>::max()
                              : std::max(ops[i].ret, ops[i].call);
    entries.push_back({ret, 1, i});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.time, a.kind, a.op) < std::tie(b.time, b.kind, b.op);
  });

  tail_ = 2 * n + 1;
  next_.resize(tail_ + 1);
  prev_.resize(tail_ + 1);
  op_.assign(tail_ + 1, 0);
  match_.assign(tail_ + 1, 0);
  std::vector<uint32_t> call_node(n, 0);
  for (uint32_t k = 0; k <= tail_; k++) {
    next_[k] = k == tail_ ? tail_ : k + 1;
    prev_[k] = k == 0 ? 0 : k - 1;
  }
  for (uint32_t k = 0; k < 2 * n; k++) {
    const Entry& e = entries[k];
    uint32_t node = k + 1;
    op_[node] = e.op;
    if (e.kind == 0) {
      call_node[e.op] = node;
    } else {
      match_[call_node[e.op]] = node;
    }
  }
}

}  // namespace linearizability
