// Channel.
#include "channel.h"

#include <unistd.h>

#include <cerrno>

namespace tq::agent {
namespace {

// Compact the input buffer once this much of it has been written.
constexpr std::size_t kCompactBytes = 1 << 20;

}  // namespace

proto::Result<Channel> Channel::Start(daemon::WorkerSpawner& spawner,
                                      const daemon::WorkerCommand& command) {
  auto spawned = spawner.Spawn(command);
  if (!spawned.ok()) return spawned.status();
  return Channel(std::move(spawned->process), std::move(spawned->to_worker),
                 std::move(spawned->from_worker));
}

void Channel::Write(std::string_view bytes) {
  if (!to_worker_ || close_when_written_) return;
  pending_.append(bytes);
  Flush();
}

void Channel::CloseInput() {
  close_when_written_ = true;
  Flush();
}

void Channel::Flush() {
  while (to_worker_ && written_ < pending_.size()) {
    const ssize_t n =
        ::write(to_worker_.get(), pending_.data() + written_, pending_.size() - written_);
    if (n > 0) {
      written_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    // EPIPE: the worker is gone, and nothing more can reach it.
    to_worker_.Close();
  }
  if (written_ == pending_.size()) {
    pending_.clear();
    written_ = 0;
    if (close_when_written_) to_worker_.Close();
  } else if (written_ >= kCompactBytes) {
    pending_.erase(0, written_);
    written_ = 0;
  }
  if (!to_worker_) {
    pending_.clear();
    written_ = 0;
  }
}

Channel::ReadResult Channel::Read(std::size_t max_bytes, std::string* out) {
  out->resize(max_bytes);
  for (;;) {
    const ssize_t n = from_worker_ ? ::read(from_worker_.get(), out->data(), max_bytes) : 0;
    if (n > 0) {
      out->resize(static_cast<std::size_t>(n));
      return ReadResult::kData;
    }
    if (n < 0 && errno == EINTR) continue;
    out->clear();
    if (n < 0 && errno == EAGAIN) return ReadResult::kWouldBlock;
    from_worker_.Close();  // EOF, or an error that leaves nothing to read
    return ReadResult::kEof;
  }
}

}  // namespace tq::agent
