// Internal: how the sim backend tells the sanitizers about its fibers. Every
// function here is a no-op unless the build has that sanitizer, so the sim
// executes exactly the same schedule with or without them.
//
// ASan needs to know which stack is live at every switch, or it misreads a
// task's stack as overflowed or freed (e.g. when an exception unwinds it).
//
// TSan needs more. Each task is its own TSan fiber, so that two tasks are
// as independent as two threads and a race between them is reported under
// the task's name. Switches do not synchronise (the scheduler switching
// from one task to the next says nothing about their memory); the
// happens-before edges are the ones the runtime's primitives promise:
// Unlock -> Lock, Notify -> the waiter it wakes, Go -> the new task's
// start, AfterFunc -> the function's start, a task's end -> Run returning.
// Channel and WaitGroup are built on Mutex and CondVar and inherit them;
// Sleep and Yield order nothing, as in Go.
//
// The runtime's own state (task records, queues, timers, the random
// generator) is touched by every task, but by one at a time on one OS
// thread, so it is not shared memory in TSan's sense: the scheduler runs
// inside an ignore region, and so does every runtime call a task makes.
// TSan builds compile the sim backend (labrpc/sim/*.cc) without
// instrumentation and define RAFTLAB_TSAN_FIBERS for it
// (labrpc/CMakeLists.txt); what TSan still sees of it (malloc, free and
// memcpy, and the instrumented functions it calls, such as Rng::Next or a
// task's std::function) happens in those regions.
// Memory that the runtime allocates in one task and frees in another
// (task records, stacks) is thus never seen as shared either; stacks are
// unmapped, not pooled, so that TSan forgets their old contents.
#ifndef RAFTLAB_LABRPC_SANITIZER_FIBER_H_
#define RAFTLAB_LABRPC_SANITIZER_FIBER_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#define RAFTLAB_ASAN_FIBERS 1
#endif

#if defined(__SANITIZE_THREAD__) && !defined(RAFTLAB_TSAN_FIBERS)
#define RAFTLAB_TSAN_FIBERS 1
#endif
#if defined(RAFTLAB_TSAN_FIBERS)
#include <sanitizer/tsan_interface.h>
// Exported by libtsan, not declared by GCC 12's tsan_interface.h.
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();
extern "C" void AnnotateIgnoreSyncBegin(const char* file, int line);
extern "C" void AnnotateIgnoreSyncEnd(const char* file, int line);
#endif

namespace labrpc {
namespace internal {

#if defined(RAFTLAB_TSAN_FIBERS)
inline constexpr bool kTsanFibers = true;
#else
inline constexpr bool kTsanFibers = false;
#endif

// ---------------------------------------------------------------- ASan

// A switch begins on one stack and ends on another.
struct AsanStack {
  const void* bottom = nullptr;
  size_t size = 0;
  void* fake_stack = nullptr;  // ASan's per-fiber state while away
};

inline void AsanStartSwitch([[maybe_unused]] AsanStack* from,
                            [[maybe_unused]] const AsanStack& to,
                            [[maybe_unused]] bool from_ends) {
#if defined(RAFTLAB_ASAN_FIBERS)
  __sanitizer_start_switch_fiber(from_ends ? nullptr : &from->fake_stack,
                                 to.bottom, to.size);
#endif
}

inline void AsanFinishSwitch([[maybe_unused]] AsanStack* to,
                             [[maybe_unused]] AsanStack* from) {
#if defined(RAFTLAB_ASAN_FIBERS)
  __sanitizer_finish_switch_fiber(to->fake_stack,
                                  from ? &from->bottom : nullptr,
                                  from ? &from->size : nullptr);
#endif
}

// A task abandoned on purpose (stuck on a Mutex after the world stopped):
// LeakSanitizer is told that the leak is deliberate, and scans the task's
// stack so that what only it references is not reported either.
inline void AsanAbandon([[maybe_unused]] const void* fiber,
                        [[maybe_unused]] const void* task,
                        [[maybe_unused]] const AsanStack& stack) {
#if defined(RAFTLAB_ASAN_FIBERS)
  __lsan_ignore_object(fiber);
  __lsan_ignore_object(task);
  if (stack.bottom != nullptr) {
    __lsan_register_root_region(stack.bottom, stack.size);
  }
#endif
}

// ASan names no fiber in its report, so the sim says which task was
// running when ASan stopped the process: "labrpc sim: AddressSanitizer
// stopped the run in task 7 'labrpc handler Junk.Overflow'".
#if defined(RAFTLAB_ASAN_FIBERS)
inline thread_local const std::string* asan_task_name = nullptr;
inline thread_local uint64_t asan_task_id = 0;
inline void AsanPrintRunningTask() {
  if (asan_task_name == nullptr) return;
  std::fprintf(stderr,
               "labrpc sim: AddressSanitizer stopped the run in task %llu "
               "'%s'\n",
               static_cast<unsigned long long>(asan_task_id),
               asan_task_name->c_str());
}
#endif

// `name` (or nullptr: the scheduler) runs from now on, on this thread.
inline void AsanSetRunningTask([[maybe_unused]] const std::string* name,
                               [[maybe_unused]] uint64_t id) {
#if defined(RAFTLAB_ASAN_FIBERS)
  [[maybe_unused]] static const bool registered = [] {
    __sanitizer_set_death_callback(&AsanPrintRunningTask);
    return true;
  }();
  asan_task_name = name;
  asan_task_id = id;
#endif
}

// ---------------------------------------------------------------- TSan

// Stops TSan from recording the calling fiber's memory accesses (it still
// sees acquire and release). Nests; counted per fiber.
inline void TsanIgnoreBegin() {
#if defined(RAFTLAB_TSAN_FIBERS)
  __tsan_ignore_thread_begin();
#endif
}
inline void TsanIgnoreEnd() {
#if defined(RAFTLAB_TSAN_FIBERS)
  __tsan_ignore_thread_end();
#endif
}

// Held by every runtime entry point: the runtime's state is not memory the
// tasks share, whichever task's call touches it.
class TsanIgnoreScope {
 public:
  TsanIgnoreScope() { TsanIgnoreBegin(); }
  ~TsanIgnoreScope() { TsanIgnoreEnd(); }
  TsanIgnoreScope(const TsanIgnoreScope&) = delete;
  TsanIgnoreScope& operator=(const TsanIgnoreScope&) = delete;
};

// Stops the calling fiber's synchronisation (locks, atomics, thread and
// fiber creation, and TsanRelease/TsanAcquire) from ordering anything.
class TsanIgnoreSyncScope {
 public:
  TsanIgnoreSyncScope() {
#if defined(RAFTLAB_TSAN_FIBERS)
    AnnotateIgnoreSyncBegin(__FILE__, __LINE__);
#endif
  }
  ~TsanIgnoreSyncScope() {
#if defined(RAFTLAB_TSAN_FIBERS)
    AnnotateIgnoreSyncEnd(__FILE__, __LINE__);
#endif
  }
  TsanIgnoreSyncScope(const TsanIgnoreSyncScope&) = delete;
  TsanIgnoreSyncScope& operator=(const TsanIgnoreSyncScope&) = delete;
};

// Happens-before from every release on `addr` to a later acquire on it.
inline void TsanRelease([[maybe_unused]] const void* addr) {
#if defined(RAFTLAB_TSAN_FIBERS)
  __tsan_release(const_cast<void*>(addr));
#endif
}
inline void TsanAcquire([[maybe_unused]] const void* addr) {
#if defined(RAFTLAB_TSAN_FIBERS)
  __tsan_acquire(const_cast<void*>(addr));
#endif
}

// A release on `addr` by `fiber`, a task that is not running (finished or
// abandoned), made from the scheduler's fiber `self`.
inline void TsanReleaseFor([[maybe_unused]] void* fiber,
                           [[maybe_unused]] const void* addr,
                           [[maybe_unused]] void* self) {
#if defined(RAFTLAB_TSAN_FIBERS)
  __tsan_switch_to_fiber(fiber, __tsan_switch_to_fiber_no_sync);
  __tsan_release(const_cast<void*>(addr));
  __tsan_switch_to_fiber(self, __tsan_switch_to_fiber_no_sync);
#endif
}

// The calling thread's own fiber (the scheduler's, when Run calls it).
inline void* TsanCurrentFiber() {
#if defined(RAFTLAB_TSAN_FIBERS)
  return __tsan_get_current_fiber();
#else
  return nullptr;
#endif
}

// A fiber for task `id` named `name`. TSan's report names it as a thread:
// "Thread T7 'raft-S1-append (task 12)'". Made by the task that calls Go,
// so the report's "created by" stack is the Go call. The fiber starts
// inside an ignore region, since the first thing it runs is the runtime's
// start-up code; the task leaves the region before it calls its function.
inline void* TsanCreateFiber([[maybe_unused]] const std::string& name,
                             [[maybe_unused]] uint64_t id) {
#if defined(RAFTLAB_TSAN_FIBERS)
  void* fiber = __tsan_create_fiber(0);
  // TSan copies the name (and truncates a long one, keeping its start).
  const std::string label = name + " (task " + std::to_string(id) + ")";
  __tsan_set_fiber_name(fiber, label.c_str());
  void* self = __tsan_get_current_fiber();
  __tsan_switch_to_fiber(fiber, __tsan_switch_to_fiber_no_sync);
  __tsan_ignore_thread_begin();
  __tsan_switch_to_fiber(self, __tsan_switch_to_fiber_no_sync);
  return fiber;
#else
  return nullptr;
#endif
}

// Frees a finished task's fiber; never the current one.
inline void TsanDestroyFiber([[maybe_unused]] void* fiber) {
#if defined(RAFTLAB_TSAN_FIBERS)
  if (fiber != nullptr) __tsan_destroy_fiber(fiber);
#endif
}

// Called immediately before the stack switch to `fiber`. No synchronisation:
// see the top of this file.
inline void TsanSwitchTo([[maybe_unused]] void* fiber) {
#if defined(RAFTLAB_TSAN_FIBERS)
  __tsan_switch_to_fiber(fiber, __tsan_switch_to_fiber_no_sync);
#endif
}

}  // namespace internal
}  // namespace labrpc

#endif  // RAFTLAB_LABRPC_SANITIZER_FIBER_H_
