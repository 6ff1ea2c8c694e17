// CallbackRunner: the thread completion callbacks run on. Internal.
//
// Started on first use. Each callback runs inside try/catch: an exception
// goes to the error handler and the next callback runs, so one bad
// callback never wedges the client (the multiprocessing.Pool failure where
// a raising callback kills the result handler thread). Destruction runs
// what is queued, then joins; destroyed from its own thread (a callback
// that drops the last client reference) it detaches, and the thread, which
// shares ownership of the queue, finishes on its own.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <thread>

namespace tq::detail {

class CallbackRunner {
 public:
  explicit CallbackRunner(std::function<void(std::exception_ptr)> on_error);
  ~CallbackRunner();
  CallbackRunner(const CallbackRunner&) = delete;
  CallbackRunner& operator=(const CallbackRunner&) = delete;

  void Post(std::function<void()> fn);

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  std::thread thread_;  // started by the first Post
};

}  // namespace tq::detail
