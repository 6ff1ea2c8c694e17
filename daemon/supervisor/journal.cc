// Journal.
#include "journal.h"

#include "check.h"

namespace tq::daemon {

proto::Result<std::unique_ptr<Journal>> Journal::Start(store::TaskStore& store) {
  auto writer = store::StoreWriter::Start(store);
  if (!writer.ok()) return writer.status();
  return std::unique_ptr<Journal>(new Journal(store, std::move(*writer)));
}

void Journal::AfterCommit(std::uint64_t seq, Callback fn) {
  TQ_CHECK(seq > done_seq_ && seq <= filling_seq_);
  callbacks_[seq].push_back(std::move(fn));
  ++waiting_;
}

void Journal::Flush() {
  if (in_flight_seq_ != 0 || !writer_->idle()) return;
  const bool waited_on = callbacks_.contains(filling_seq_);
  if (filling_.empty() && !waited_on) return;
  in_flight_seq_ = filling_seq_;
  in_flight_ops_ = filling_.size();
  writer_->Submit(std::move(filling_), filling_seq_);
  filling_.Clear();
  ++filling_seq_;
}

void Journal::OnCompletion() {
  for (const store::StoreWriter::Completion& c : writer_->TakeCompleted()) {
    Complete(c.tag, c.status);
  }
}

void Journal::Complete(std::uint64_t seq, const proto::Status& status) {
  TQ_CHECK(seq == in_flight_seq_ || in_flight_seq_ == 0);
  in_flight_seq_ = 0;
  in_flight_ops_ = 0;
  done_seq_ = seq;
  last_status_ = status;
  ++commits_;
  // Callbacks may queue more (for the filling batch): take the due ones out
  // first.
  std::vector<Callback> due;
  while (!callbacks_.empty() && callbacks_.begin()->first <= seq) {
    for (Callback& fn : callbacks_.begin()->second) due.push_back(std::move(fn));
    callbacks_.erase(callbacks_.begin());
  }
  waiting_ -= due.size();
  for (Callback& fn : due) fn(status);
}

proto::Status Journal::Drain() {
  writer_->WaitIdle();
  OnCompletion();
  // Callbacks may have written more: commit until nothing is left.
  while (!filling_.empty() || callbacks_.contains(filling_seq_)) {
    const std::uint64_t seq = filling_seq_++;
    store::Batch batch = std::move(filling_);
    filling_.Clear();
    in_flight_seq_ = seq;
    Complete(seq, store_.CommitNow(batch));
  }
  return last_status_;
}

}  // namespace tq::daemon
