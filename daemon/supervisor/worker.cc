// Worker.
#include "worker.h"

#include <unistd.h>

#include <cerrno>

namespace tq::daemon {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

}  // namespace

Worker::Worker(int slot, std::uint64_t serial, SpawnedWorker spawned,
               std::size_t max_frame_bytes, base::TimePoint now)
    : slot_(slot),
      serial_(serial),
      process_(std::move(spawned.process)),
      to_worker_(std::move(spawned.to_worker)),
      from_worker_(std::move(spawned.from_worker)),
      reader_(max_frame_bytes),
      started_at_(now) {}

std::uint64_t Worker::SampleRss() {
  // A process that just exited reads as 0: keep what was last seen.
  if (const std::uint64_t rss = process_->RssBytes(); rss != 0) rss_bytes_ = rss;
  return rss_bytes_;
}

bool Worker::Flush() {
  while (out_.size() > out_offset_) {
    if (!to_worker_) return false;
    const ssize_t n = ::write(to_worker_.get(), out_.data() + out_offset_,
                              out_.size() - out_offset_);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return true;  // the pipe is full; poll for POLLOUT
      CloseInput();
      return false;
    }
    out_offset_ += static_cast<std::size_t>(n);
  }
  out_.clear();
  out_offset_ = 0;
  return true;
}

Worker::ReadStatus Worker::ReadSome(bool* got_data, bool* drained) {
  *got_data = false;
  *drained = true;
  if (!from_worker_) return ReadStatus::kClosed;
  std::size_t capacity = 0;
  char* space = reader_.Prepare(kReadChunk, &capacity);
  for (;;) {
    const ssize_t n = ::read(from_worker_.get(), space, capacity);
    if (n > 0) {
      reader_.Commit(static_cast<std::size_t>(n));
      *got_data = true;
      // A pipe's read returns all it holds up to the space given: less
      // means it is empty now, and a second read would only say EAGAIN
      // (one system call per result saved; poll reports what comes next).
      *drained = static_cast<std::size_t>(n) < capacity;
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

void Worker::CloseIo() {
  CloseInput();
  from_worker_.Close();
}

}  // namespace tq::daemon
