// CallState, RawResult and CompletionQueue.
#include "call_state.h"

#include <chrono>
#include <deque>

namespace tq {
namespace detail {

void CallState::Complete(Outcome outcome_in) {
  std::vector<std::function<void()>> to_run;
  {
    std::lock_guard lock(mu);
    if (done) return;
    outcome = std::move(outcome_in);
    if (outcome.task_id == 0) outcome.task_id = task_id;
    if (task_id == 0) task_id = outcome.task_id;  // an ack-less submit's, from its result
    done = true;
    to_run.swap(callbacks);
  }
  cv.notify_all();
  if (slot) slot->Release();
  if (queue) queue->Push(tag);
  if (to_run.empty()) return;
  std::shared_ptr<CallbackRunner> r = runner.lock();
  for (auto& fn : to_run) {
    if (r) {
      r->Post(std::move(fn));
    } else {
      fn();  // the client is gone: nowhere else to run it
    }
  }
}

void CallState::Report(Progress p) {
  std::vector<std::function<void(const Progress&)>> to_run;
  {
    std::lock_guard lock(mu);
    if (done) return;
    progress = p;
    to_run = progress_callbacks;
  }
  if (to_run.empty()) return;
  std::shared_ptr<CallbackRunner> r = runner.lock();
  if (!r) return;
  for (auto& fn : to_run) r->Post([fn, p] { fn(p); });
}

CallAnswers& CallState::Answers() {
  if (!answers) answers = std::make_unique<CallAnswers>();
  return *answers;
}

const CallAnswers& CallState::AnswersOrNone() const {
  static const CallAnswers kNone;
  return answers ? *answers : kNone;
}

void CallState::PipeIn(std::string data) {
  {
    std::lock_guard lock(mu);
    if (done || pipe_closed) return;
    Answers().pipe_in.push_back(std::move(data));
  }
  cv.notify_all();
}

void CallState::PipeClosed() {
  {
    std::lock_guard lock(mu);
    pipe_closed = true;
  }
  cv.notify_all();
}

struct CompletionQueue::Impl {
  std::mutex mu;
  std::condition_variable cv;
  struct Entry {
    std::size_t tag;
    std::chrono::steady_clock::time_point pushed_at;
  };
  std::deque<Entry> entries;
};

std::shared_ptr<CompletionQueue::Impl> CompletionQueue::MakeImpl() {
  return std::make_shared<Impl>();
}

void CompletionQueue::Push(std::size_t tag) {
  {
    std::lock_guard lock(impl_->mu);
    impl_->entries.push_back({tag, std::chrono::steady_clock::now()});
  }
  impl_->cv.notify_one();
}

std::size_t CompletionQueue::Pop(std::chrono::steady_clock::time_point* pushed_at) {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait(lock, [&] { return !impl_->entries.empty(); });
  const Impl::Entry entry = impl_->entries.front();
  impl_->entries.pop_front();
  if (pushed_at != nullptr) *pushed_at = entry.pushed_at;
  return entry.tag;
}

}  // namespace detail

bool RawResult::ready() const {
  std::lock_guard lock(state_->mu);
  return state_->done;
}

bool RawResult::wait_for(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(state_->mu);
  return state_->cv.wait_for(lock, timeout, [&] { return state_->done; });
}

void RawResult::wait() const {
  std::unique_lock lock(state_->mu);
  state_->cv.wait(lock, [&] { return state_->done; });
}

const Outcome& RawResult::outcome() const {
  wait();
  return state_->outcome;  // immutable once done
}

std::uint64_t RawResult::task_id() const {
  std::lock_guard lock(state_->mu);
  return state_->task_id;
}

std::uint64_t RawResult::wait_accepted() const {
  std::unique_lock lock(state_->mu);
  state_->cv.wait(lock, [&] { return state_->done || state_->task_id != 0; });
  return state_->task_id;
}

std::optional<Progress> RawResult::progress() const {
  std::lock_guard lock(state_->mu);
  return state_->progress;
}

void RawResult::on_progress(std::function<void(const Progress&)> fn) const {
  std::lock_guard lock(state_->mu);
  state_->progress_callbacks.push_back(std::move(fn));
}

bool RawResult::cancel() const {
  {
    std::lock_guard lock(state_->mu);
    // An ack-less submit's task has no id here before its result.
    if (state_->done || (state_->ack_less && state_->task_id == 0)) return false;
  }
  std::shared_ptr<detail::CallOwner> owner = state_->owner.lock();
  if (!owner) return false;
  owner->CancelCall(state_);
  return true;
}

bool RawResult::forget() const {
  {
    std::lock_guard lock(state_->mu);
    if (state_->done) return false;
  }
  std::shared_ptr<detail::CallOwner> owner = state_->owner.lock();
  if (!owner) return false;
  owner->ForgetCall(state_);
  return true;
}

const ObjectAnswer& RawResult::answer() const {
  wait();
  return state_->AnswersOrNone().answer;  // immutable once done
}

std::optional<std::string> RawResult::pipe_recv() const {
  std::unique_lock lock(state_->mu);
  state_->cv.wait(lock, [&] {
    return state_->PipeWaiting() || state_->pipe_closed || state_->done;
  });
  if (!state_->PipeWaiting()) return std::nullopt;
  std::string data = std::move(state_->answers->pipe_in.front());
  state_->answers->pipe_in.pop_front();
  return data;
}

bool RawResult::pipe_poll(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(state_->mu);
  return state_->cv.wait_for(lock, timeout, [&] {
    return state_->PipeWaiting() || state_->pipe_closed || state_->done;
  });
}

void RawResult::on_done(std::function<void()> fn) const {
  {
    std::lock_guard lock(state_->mu);
    if (!state_->done) {
      state_->callbacks.push_back(std::move(fn));
      return;
    }
  }
  if (auto r = state_->runner.lock()) {
    r->Post(std::move(fn));
  } else {
    fn();
  }
}

}  // namespace tq
