// CallbackRunner.
#include "callback_runner.h"

#include <condition_variable>
#include <deque>
#include <mutex>

namespace tq::detail {

struct CallbackRunner::Shared {
  std::function<void(std::exception_ptr)> on_error;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> queue;
  bool stopping = false;

  void Loop() {
    std::unique_lock lock(mu);
    for (;;) {
      cv.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, and nothing left to run
      std::function<void()> fn = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      try {
        fn();
      } catch (...) {
        if (on_error) {
          try {
            on_error(std::current_exception());
          } catch (...) {
            // The error handler threw too: nothing left to tell.
          }
        }
      }
      lock.lock();
    }
  }
};

CallbackRunner::CallbackRunner(std::function<void(std::exception_ptr)> on_error)
    : shared_(std::make_shared<Shared>()) {
  shared_->on_error = std::move(on_error);
}

void CallbackRunner::Post(std::function<void()> fn) {
  std::lock_guard lock(shared_->mu);
  shared_->queue.push_back(std::move(fn));
  if (!thread_.joinable()) {
    thread_ = std::thread([shared = shared_] { shared->Loop(); });
  }
  shared_->cv.notify_one();
}

CallbackRunner::~CallbackRunner() {
  {
    std::lock_guard lock(shared_->mu);
    shared_->stopping = true;
    shared_->cv.notify_one();
  }
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();
  } else {
    thread_.join();
  }
}

}  // namespace tq::detail
