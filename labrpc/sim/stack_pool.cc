// The sim backend's pool of fiber stacks (labrpc/sim/stack_pool.h).
#include "labrpc/sim/stack_pool.h"

namespace labrpc {
namespace internal {
namespace sim {

StackPool::~StackPool() {
  for (ctx::stack_context& sc : free_) alloc_.deallocate(sc);
}

ctx::stack_context StackPool::Allocate() {
  if (free_.empty()) return alloc_.allocate();
  ctx::stack_context sc = free_.back();
  free_.pop_back();
  return sc;
}

void StackPool::Release(ctx::stack_context& sc) {
  if (!kTsanFibers && free_.size() < 256) {
    free_.push_back(sc);
  } else {
    alloc_.deallocate(sc);
  }
}

}  // namespace sim
}  // namespace internal
}  // namespace labrpc
