// Waiting a bounded time for work that may never end. kvraft::Clerk retries
// forever while no server can serve it, and labrpc has no way to cancel one
// task from another, so the CLI runs each such call in a task of its own and
// stops waiting for it after a timeout; the task goes on (its call may still
// take effect) until it finishes or the world stops.
//
//   auto result = std::make_shared<std::string>();
//   bool done = deploy::RunWithTimeout("get", std::chrono::seconds(5),
//                                      [clerk, result] {
//                                        *result = clerk->Get("k");
//                                      });
//   if (!done) ...  // gave up: clerk is still busy, never use it again
//
// fn must own what it touches (capture shared_ptrs by value): after a
// timeout it outlives the caller's frame. An exception from fn is rethrown
// by RunWithTimeout if it comes in time (after a timeout it is dropped, as
// the outcome of a call nobody waits for).
#ifndef RAFTLAB_DEPLOY_BOUNDED_TASK_H_
#define RAFTLAB_DEPLOY_BOUNDED_TASK_H_

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "labrpc/runtime.h"

namespace deploy {

// Runs fn in a new task named `name` and waits at most `timeout` for it.
// True if it finished in time.
inline bool RunWithTimeout(std::string name, labrpc::Duration timeout,
                           std::function<void()> fn) {
  struct Outcome {
    labrpc::Mutex mu{"bounded_task"};
    labrpc::CondVar cv{"bounded_task.done"};
    bool done = false;
    std::exception_ptr error;
  };
  auto outcome = std::make_shared<Outcome>();
  labrpc::Go(std::move(name), [outcome, fn = std::move(fn)] {
    std::exception_ptr error;
    try {
      fn();
    } catch (const labrpc::Cancelled&) {
      throw;
    } catch (...) {
      // Not rethrown here: an exception that ends a task stops the whole
      // world, and this one belongs to the waiter.
      error = std::current_exception();
    }
    labrpc::MutexLock l(outcome->mu);
    outcome->done = true;
    outcome->error = error;
    outcome->cv.NotifyAll();
  });
  const labrpc::Duration deadline = labrpc::Now() + timeout;
  labrpc::MutexLock l(outcome->mu);
  while (!outcome->done) {
    const labrpc::Duration left = deadline - labrpc::Now();
    if (left <= labrpc::Duration::zero()) return false;
    outcome->cv.WaitFor(outcome->mu, left);
  }
  if (outcome->error) std::rethrow_exception(outcome->error);
  return true;
}

}  // namespace deploy

#endif  // RAFTLAB_DEPLOY_BOUNDED_TASK_H_
