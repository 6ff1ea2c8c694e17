// StoreWriter: commits batches on a thread of its own, so that tqd's loop
// never waits on the disk.
//
// The loop fills a Batch during a turn; at the end of the turn, when the
// writer is idle(), it Submit()s the batch with a tag of its choosing and
// starts filling the next one. The writer commits it (TaskStore::CommitNow:
// one transaction, one fsync) and then makes completion_fd() readable; the
// loop polls that fd with its other ones, calls TakeCompleted(), and only
// then sends the replies that wait for the batch (ACCEPTED of a durable
// task: see the durability contract in task_store.h).
//
// At most one batch is in flight. Submit() while one is in flight is
// refused by aborting: it is a bug in the caller, who should keep
// accumulating until idle(). A failed commit (SQLITE_FULL, SQLITE_IOERR)
// is reported in its completion, the batch rolled back; the writer goes on
// and a later batch may succeed (when the disk has room again).
//
// Thread-safety: every method is for the owner's thread (tqd's loop); the
// writer's own thread only runs CommitNow on the store. While a batch is
// in flight the owner must not touch the store; when idle() has returned
// true it may (e.g. Stats()), until its next Submit().
//
// Create it after blocking signals (tqd reads them from a signalfd): its
// thread inherits the creating thread's mask.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "store/batch.h"
#include "store/task_store.h"

namespace tq::store {

class StoreWriter {
 public:
  struct Completion {
    std::uint64_t tag = 0;  // as given to Submit
    Status status;          // OK: the batch is durable
  };

  // Starts the thread. `store` must outlive the writer.
  static Result<std::unique_ptr<StoreWriter>> Start(TaskStore& store);
  // Finishes the batch in flight (its completion is then dropped: call
  // WaitIdle() and TakeCompleted() first to learn it), then joins.
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // True when no batch is in flight: Submit() may be called.
  bool idle() const;
  // Hands `batch` to the writer thread. Requires idle() (aborts otherwise).
  // An empty batch completes OK without touching the disk.
  void Submit(Batch batch, std::uint64_t tag);

  // An eventfd (non-blocking, close-on-exec), readable while a completion
  // may be waiting. Owned by the writer.
  int completion_fd() const { return event_.get(); }
  // The completions since the last call, oldest first (at most one per
  // Submit). Clears completion_fd()'s readiness; may return nothing after
  // a spurious wake-up.
  std::vector<Completion> TakeCompleted();

  // Blocks until no batch is in flight. For shutdown and tests; the loop
  // polls completion_fd() instead.
  void WaitIdle();

 private:
  StoreWriter(TaskStore& store, base::Fd event);
  void Run();

  TaskStore& store_;
  base::Fd event_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // signalled on a new batch, on stop, on idle
  // Guarded by mu_:
  std::optional<Batch> pending_;  // submitted, not yet taken by the thread
  std::uint64_t pending_tag_ = 0;
  bool in_flight_ = false;  // from Submit until its completion is queued
  bool stopping_ = false;
  std::vector<Completion> completed_;

  std::thread thread_;  // last: started once everything above exists
};

}  // namespace tq::store
