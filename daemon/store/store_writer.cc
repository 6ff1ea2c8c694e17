// StoreWriter.
//
// Ordering: the thread queues a completion and clears in_flight_ under the
// mutex, and only then writes the eventfd. So when the loop wakes on the
// fd, TakeCompleted() (which reads the fd before it takes the mutex) finds
// the completion; a wake-up with nothing to take is possible and harmless.
#include "store/store_writer.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace tq::store {

Result<std::unique_ptr<StoreWriter>> StoreWriter::Start(TaskStore& store) {
  base::Fd event(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!event) return Status::FromErrno("eventfd", errno);
  return std::unique_ptr<StoreWriter>(new StoreWriter(store, std::move(event)));
}

StoreWriter::StoreWriter(TaskStore& store, base::Fd event)
    : store_(store), event_(std::move(event)), thread_([this] { Run(); }) {}

StoreWriter::~StoreWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool StoreWriter::idle() const {
  std::lock_guard lock(mu_);
  return !in_flight_;
}

void StoreWriter::Submit(Batch batch, std::uint64_t tag) {
  {
    std::lock_guard lock(mu_);
    if (in_flight_) {
      std::fprintf(stderr, "%s:%d: StoreWriter::Submit while a batch is in flight\n",
                   __FILE__, __LINE__);
      std::abort();
    }
    pending_ = std::move(batch);
    pending_tag_ = tag;
    in_flight_ = true;
  }
  cv_.notify_all();
}

std::vector<StoreWriter::Completion> StoreWriter::TakeCompleted() {
  std::uint64_t count;
  // EAGAIN: nothing signalled since the last read. Nothing else can fail.
  (void)!::read(event_.get(), &count, sizeof count);
  std::lock_guard lock(mu_);
  return std::exchange(completed_, {});
}

void StoreWriter::WaitIdle() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return !in_flight_; });
}

void StoreWriter::Run() {
  ::pthread_setname_np(::pthread_self(), "tq-store");
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return pending_ || stopping_; });
    // A batch submitted before the stop is still committed.
    if (!pending_) return;
    Batch batch = std::move(*pending_);
    pending_.reset();
    const std::uint64_t tag = pending_tag_;

    lock.unlock();
    Status status = store_.CommitNow(batch);
    batch.Clear();  // free its memory outside the lock
    lock.lock();

    completed_.push_back({tag, std::move(status)});
    in_flight_ = false;
    cv_.notify_all();  // WaitIdle
    const std::uint64_t one = 1;
    // Fails only if the counter would overflow: it is then readable anyway.
    (void)!::write(event_.get(), &one, sizeof one);
  }
}

}  // namespace tq::store
