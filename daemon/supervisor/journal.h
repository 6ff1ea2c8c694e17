// Journal: tqd's group commit. What one loop turn changes about durable
// tasks goes into one batch; the batch is committed by the store's writer
// thread while the loop goes on; and what must not happen before the batch
// is on disk (an ACCEPTED, a RESULT, handing a task to a worker) waits in
// callbacks that run once it is.
//
//   turn N:   Batch() gets every write of the turn; AfterCommit(Seq(), fn)
//             queues what depends on them; Flush() at the end of the turn
//             hands the batch to the writer if it is idle (otherwise the
//             batch keeps filling: the next commit takes both turns' writes)
//   later:    completion_fd() is readable; OnCompletion() runs the queued
//             callbacks of the committed batch, in the order queued, with
//             the commit's Status
//
// So durability costs one fsync per batch, however many tasks it holds,
// and the loop never waits on the disk. Batches commit in sequence order,
// and callbacks run in sequence order. Single-threaded: the loop's thread
// only (the writer has its own).
#pragma once

#include <cstdint>
#include <map>
#include <functional>
#include <memory>
#include <vector>

#include "store/batch.h"
#include "store/store_writer.h"
#include "store/task_store.h"
#include "tq/proto/status.h"

namespace tq::daemon {

class Journal {
 public:
  using Callback = std::function<void(const proto::Status& commit)>;

  // Starts the writer thread over `store`, which must outlive the Journal.
  static proto::Result<std::unique_ptr<Journal>> Start(store::TaskStore& store);

  // The batch this turn's writes go into, and its sequence number.
  store::Batch& batch() { return filling_; }
  std::uint64_t seq() const { return filling_seq_; }
  // Runs `fn` once batch `seq` is committed (or failed to be), after every
  // callback queued before it. `seq` is seq() or an earlier, uncommitted one.
  void AfterCommit(std::uint64_t seq, Callback fn);
  // True once batch `seq` has been committed (successfully or not).
  bool Done(std::uint64_t seq) const { return seq <= done_seq_; }

  // End of a loop turn: hands the filling batch (and its callbacks) to the
  // writer if the writer is idle and there is anything to commit.
  void Flush();
  int completion_fd() const { return writer_->completion_fd(); }
  // completion_fd() was readable: runs the committed batch's callbacks.
  void OnCompletion();
  // Commits everything still pending and runs every callback, blocking on
  // the disk: for shutdown.
  proto::Status Drain();

  // How the last commit went: OK, or why it failed.
  const proto::Status& last_status() const { return last_status_; }
  std::uint64_t commits() const { return commits_; }
  // Writes and callbacks not committed and run yet: what the journal holds
  // in memory (the loop gives memory back once such a burst is gone).
  std::size_t held() const { return filling_.size() + in_flight_ops_ + waiting_; }

 private:
  Journal(store::TaskStore& store, std::unique_ptr<store::StoreWriter> writer)
      : store_(store), writer_(std::move(writer)) {}
  void Complete(std::uint64_t seq, const proto::Status& status);

  store::TaskStore& store_;
  std::unique_ptr<store::StoreWriter> writer_;
  store::Batch filling_;
  std::uint64_t filling_seq_ = 1;
  std::uint64_t in_flight_seq_ = 0;  // 0: the writer is idle
  std::size_t in_flight_ops_ = 0;
  std::size_t waiting_ = 0;  // callbacks queued
  std::uint64_t done_seq_ = 0;
  // By the batch they wait for; each batch's in the order queued.
  std::map<std::uint64_t, std::vector<Callback>> callbacks_;
  proto::Status last_status_;
  std::uint64_t commits_ = 0;
};

}  // namespace tq::daemon
