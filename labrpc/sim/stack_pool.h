// Internal to the sim backend: the fiber stacks its tasks run on.
#ifndef RAFTLAB_LABRPC_SIM_STACK_POOL_H_
#define RAFTLAB_LABRPC_SIM_STACK_POOL_H_

#include <boost/context/protected_fixedsize_stack.hpp>
#include <boost/context/stack_context.hpp>
#include <cstddef>
#include <vector>

#include "labrpc/sanitizer_fiber.h"

namespace labrpc {
namespace internal {
namespace sim {

namespace ctx = boost::context;

// TSan's instrumentation makes frames larger, and its report printing runs
// on the task's stack.
constexpr size_t kStackSize = (kTsanFibers ? 1024 : 512) * 1024;

// Reuses guard-paged fiber stacks: one mmap per task would dominate the cost
// of short tasks such as RPC handlers. Not under TSan: it remembers every
// access to a stack, and a reused stack would make the new task's first
// writes race with the old task's last ones. Unmapping a stack clears what
// TSan remembers of it.
class StackPool {
 public:
  ~StackPool();
  ctx::stack_context Allocate();
  void Release(ctx::stack_context& sc);

 private:
  ctx::protected_fixedsize_stack alloc_{kStackSize};
  std::vector<ctx::stack_context> free_;
};

// The stack allocator handed to each fiber; forwards to the pool, and
// notes the stack's bounds for ASan.
struct PooledStack {
  StackPool* pool;
  AsanStack* bounds;
  ctx::stack_context allocate() {
    ctx::stack_context sc = pool->Allocate();
    bounds->bottom = static_cast<char*>(sc.sp) - sc.size;
    bounds->size = sc.size;
    return sc;
  }
  void deallocate(ctx::stack_context& sc) { pool->Release(sc); }
};

}  // namespace sim
}  // namespace internal
}  // namespace labrpc

#endif  // RAFTLAB_LABRPC_SIM_STACK_POOL_H_
