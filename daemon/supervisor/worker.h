// Worker: one worker process as tqd's pool holds it: the process handle,
// our ends of its two pipes, what is buffered each way, and its counters.
//
// It has no state machine of its own: the WorkerPool slot that holds it
// decides what it is doing and what may happen next. The pipe ends are
// non-blocking: Flush() writes what the pipe takes and keeps the rest, and
// ReadFrames() hands out only complete frames, so a slow or stuck worker
// never blocks the loop. Owned by WorkerPool; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "base/clock.h"
#include "base/fd.h"
#include "tq/proto/buffer.h"
#include "tq/proto/framing.h"
#include "worker_process.h"

namespace tq::daemon {

class Worker {
 public:
  enum class ReadStatus { kOk, kClosed, kTooLarge };

  // `serial` tells this worker apart from every other the pool started,
  // including later ones in the same slot.
  Worker(int slot, std::uint64_t serial, SpawnedWorker spawned,
         std::size_t max_frame_bytes, base::TimePoint now);
  Worker(Worker&&) = default;
  Worker& operator=(Worker&&) = default;

  int slot() const { return slot_; }
  std::uint64_t serial() const { return serial_; }
  pid_t pid() const { return process_->pid(); }
  WorkerProcess& process() { return *process_; }
  const WorkerProcess& process() const { return *process_; }
  base::TimePoint started_at() const { return started_at_; }

  // It said hello (this process, not an earlier one of its slot).
  bool greeted() const { return greeted_; }
  void MarkGreeted() { greeted_ = true; }
  // It said it takes tasks sent ahead of need (hello's `prefetch`).
  bool takes_prefetch() const { return takes_prefetch_; }
  void set_takes_prefetch(bool yes) { takes_prefetch_ = yes; }
  std::uint64_t tasks_done() const { return tasks_done_; }
  void CountTaskDone() { ++tasks_done_; }
  // Its RSS when last sampled, in bytes.
  std::uint64_t rss_bytes() const { return rss_bytes_; }
  std::uint64_t SampleRss();

  int read_fd() const { return from_worker_.get(); }
  int write_fd() const { return to_worker_.get(); }
  bool wants_write() const { return to_worker_ && out_.size() > out_offset_; }
  // Bytes buffered for it that its pipe has not taken yet.
  std::size_t pending_bytes() const { return out_.size() - out_offset_; }

  // The buffer to encode the next frame into; Flush() sends it.
  proto::Buffer& out() { return out_; }
  // Writes buffered bytes. False when its end is closed (EPIPE): the
  // buffered bytes are dropped and nothing more is written.
  bool Flush();
  // Reads what the pipe has and calls on_frame(std::string_view) per
  // complete frame. kClosed on EOF or a read error.
  template <typename OnFrame>
  ReadStatus ReadFrames(OnFrame&& on_frame);

  // Closes our end of its task pipe: a worker between tasks exits on EOF.
  void CloseInput();
  // Closes both our ends: nothing more is read from it or written to it.
  void CloseIo();

 private:
  // One read(); *drained: nothing more is waiting in the pipe.
  ReadStatus ReadSome(bool* got_data, bool* drained);

  int slot_;
  std::uint64_t serial_;
  std::unique_ptr<WorkerProcess> process_;
  base::Fd to_worker_;    // our write end of its fd 3
  base::Fd from_worker_;  // our read end of its fd 4
  proto::Buffer out_;
  std::size_t out_offset_ = 0;  // bytes of out_ already written
  proto::FrameReader reader_;
  base::TimePoint started_at_;
  std::uint64_t tasks_done_ = 0;
  std::uint64_t rss_bytes_ = 0;
  bool greeted_ = false;
  bool takes_prefetch_ = false;
};

template <typename OnFrame>
Worker::ReadStatus Worker::ReadFrames(OnFrame&& on_frame) {
  // Bounded, so a worker that writes without pause cannot starve the loop;
  // poll reports it readable again next turn. on_frame may close our ends
  // (CloseIo); reading then stops.
  for (int round = 0; round < 16 && from_worker_; ++round) {
    bool got_data = false, drained = false;
    const ReadStatus status = ReadSome(&got_data, &drained);
    std::string_view frame;
    for (;;) {
      const auto next = reader_.Pop(&frame);
      if (next == proto::FrameReader::Next::kNeedMore) break;
      if (next == proto::FrameReader::Next::kTooLarge) return ReadStatus::kTooLarge;
      on_frame(frame);
    }
    if (status != ReadStatus::kOk || !got_data || drained) return status;
  }
  return from_worker_ ? ReadStatus::kOk : ReadStatus::kClosed;
}

}  // namespace tq::daemon
