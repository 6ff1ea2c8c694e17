// TaskError conversions and Task accounting.
#include "task.h"

namespace tq::daemon {

TaskError TaskError::From(const proto::ErrorInfo& e) {
  TaskError t;
  t.type.assign(e.type);
  t.message.assign(e.message);
  t.cause.assign(e.cause);
  t.pid = e.pid;
  t.exit_code = e.exit_code;
  t.signal = e.signal;
  t.rss_bytes = e.rss_bytes;
  t.timeout_ms = e.timeout_ms;
  t.stack.assign(e.stack);
  return t;
}

proto::ErrorInfo TaskError::View() const {
  proto::ErrorInfo e;
  e.type = type;
  e.message = message;
  e.cause = cause;
  e.pid = pid;
  e.exit_code = exit_code;
  e.signal = signal;
  e.rss_bytes = rss_bytes;
  e.timeout_ms = timeout_ms;
  e.stack = stack;
  return e;
}

const TaskExtras Task::kNoExtras{};

TaskExtras& Task::mutable_extras() {
  if (extras_ == nullptr) extras_ = std::make_unique<TaskExtras>();
  return *extras_;
}

void Task::set_extras(TaskExtras x) {
  if (extras_ == nullptr && x == kNoExtras) return;
  mutable_extras() = std::move(x);
}

bool Task::RetriesOn(proto::TaskState outcome) const {
  const std::uint8_t bits =
      retry_on != 0 ? retry_on : (proto::kRetryLost | proto::kRetryTimedOut);
  switch (outcome) {
    case proto::TaskState::kFailed: return bits & proto::kRetryFailed;
    case proto::TaskState::kLost: return bits & proto::kRetryLost;
    case proto::TaskState::kTimedOut: return bits & proto::kRetryTimedOut;
    default: return false;
  }
}

std::size_t Task::HeapBytes() const {
  std::size_t n = payload.capacity();
  if (extras_) n += sizeof(TaskExtras);
  if (const TaskError* error = extras().error.get()) {
    n += sizeof(TaskError) + error->type.capacity() + error->message.capacity() +
         error->cause.capacity() + error->stack.capacity();
  }
  for (const Waiter& w : waiters) n += sizeof(Waiter) + w.client.capacity();
  return n;
}

}  // namespace tq::daemon
