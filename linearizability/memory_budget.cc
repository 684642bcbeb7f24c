// The default memory budget (see memory_budget.h).
#include "linearizability/memory_budget.h"

#include <unistd.h>

namespace linearizability {

size_t DefaultMemoryLimit() {
  static const size_t limit = [] {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page_size <= 0) return MemoryBudget::kUnlimited;
    return static_cast<size_t>(pages) / 4 * static_cast<size_t>(page_size);
  }();
  return limit;
}

}  // namespace linearizability
