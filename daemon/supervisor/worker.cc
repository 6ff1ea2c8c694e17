// Worker.
#include "worker.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace tq::daemon {
namespace {

constexpr int kTaskFd = 3;
constexpr int kResultFd = 4;
constexpr std::size_t kReadChunk = 64 * 1024;

}  // namespace

proto::Result<Worker> Worker::Spawn(int slot, const WorkerCommand& command,
                                    base::TimePoint now) {
  auto tasks = base::Pipe::Create();
  if (!tasks.ok()) return tasks.status();
  auto results = base::Pipe::Create();
  if (!results.ok()) return results.status();
  TQ_RETURN_IF_ERROR(base::SetNonBlocking(tasks->write.get()));
  TQ_RETURN_IF_ERROR(base::SetNonBlocking(results->read.get()));

  base::SpawnOptions options;
  options.argv.push_back(command.program);
  for (const std::string& p : command.plugins) {
    options.argv.push_back("--plugin");
    options.argv.push_back(p);
  }
  for (const std::string& a : command.extra_args) options.argv.push_back(a);
  options.fd_map = {{kTaskFd, tasks->read.get()},
                    {kResultFd, results->write.get()}};
  auto process = base::Subprocess::Spawn(options);
  if (!process.ok()) return process.status();
  // The child's ends close here, so EOF on ours means the worker is gone.
  return Worker(slot, std::move(*process), std::move(tasks->write),
                std::move(results->read), command.limits.max_message_bytes, now);
}

Worker::Worker(int slot, base::Subprocess process, base::Fd to_worker,
               base::Fd from_worker, std::size_t max_frame_bytes,
               base::TimePoint now)
    : slot_(slot),
      process_(std::move(process)),
      to_worker_(std::move(to_worker)),
      from_worker_(std::move(from_worker)),
      reader_(max_frame_bytes),
      started_at_(now) {}

bool Worker::Flush() {
  while (wants_write()) {
    if (!to_worker_) return false;
    const ssize_t n = ::write(to_worker_.get(), out_.data() + out_offset_,
                              out_.size() - out_offset_);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return true;  // the pipe is full; poll for POLLOUT
      return false;
    }
    out_offset_ += static_cast<std::size_t>(n);
  }
  out_.clear();
  out_offset_ = 0;
  return true;
}

Worker::ReadStatus Worker::ReadSome(bool* got_data) {
  *got_data = false;
  if (!from_worker_) return ReadStatus::kClosed;
  std::size_t capacity = 0;
  char* space = reader_.Prepare(kReadChunk, &capacity);
  for (;;) {
    const ssize_t n = ::read(from_worker_.get(), space, capacity);
    if (n > 0) {
      reader_.Commit(static_cast<std::size_t>(n));
      *got_data = true;
      return ReadStatus::kOk;
    }
    if (n == 0) return ReadStatus::kClosed;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return ReadStatus::kOk;
    return ReadStatus::kClosed;
  }
}

void Worker::CloseInput() {
  to_worker_.Close();
  out_.clear();
  out_offset_ = 0;
}

void Worker::Stop(base::TimePoint kill_at) {
  process_.Kill(SIGTERM);
  kill_at_ = kill_at;
  Detach();
}

void Worker::Detach() {
  CloseInput();
  from_worker_.Close();
  state_ = State::kExiting;
}

}  // namespace tq::daemon
