// Worker: one tq-worker process as tqd sees it: the process, its two pipes,
// what is buffered each way, which task it runs and until when.
//
// The pipe ends on our side are non-blocking: Flush() writes what the pipe
// takes and keeps the rest, and ReadFrames() hands out only complete frames,
// so a slow or stuck worker never blocks the loop. Owned by WorkerPool; not
// thread-safe.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/fd.h"
#include "base/subprocess.h"
#include "stack_capture.h"
#include "tq/proto/buffer.h"
#include "tq/proto/framing.h"
#include "tq/proto/limits.h"

namespace tq::daemon {

struct WorkerCommand {
  std::string program;
  std::vector<std::string> plugins;
  std::vector<std::string> extra_args;  // appended to the worker's argv
  proto::Limits limits;  // on frames and values the worker sends
  // A worker that has not said hello by then is killed.
  std::chrono::milliseconds start_timeout{10000};
};

class Worker {
 public:
  enum class State {
    kStarting,   // spawned, hello not yet read
    kIdle,
    kBusy,       // running task()
    kCapturing,  // its task timed out; its stack is being captured
    kExiting,    // told to stop or gone; waiting to reap it
  };
  enum class ReadStatus { kOk, kClosed, kTooLarge };

  // Spawns the program with its task pipe on fd 3 and result pipe on fd 4.
  static proto::Result<Worker> Spawn(int slot, const WorkerCommand& command,
                                     base::TimePoint now);

  Worker(Worker&&) = default;
  Worker& operator=(Worker&&) = default;

  int slot() const { return slot_; }
  pid_t pid() const { return process_.pid(); }
  State state() const { return state_; }
  base::TimePoint started_at() const { return started_at_; }
  // Set iff state() is kBusy or kCapturing.
  const std::optional<std::uint64_t>& task() const { return task_; }
  std::uint64_t tasks_done() const { return tasks_done_; }
  // The task's deadline, when it has a timeout.
  const std::optional<base::TimePoint>& deadline() const { return deadline_; }
  base::TimePoint task_started_at() const { return task_started_at_; }
  // When to SIGKILL a worker that was told to stop, if it was.
  const std::optional<base::TimePoint>& kill_at() const { return kill_at_; }
  std::uint64_t rss_bytes() const { return rss_bytes_; }
  void set_rss_bytes(std::uint64_t rss) { rss_bytes_ = rss; }

  int read_fd() const { return from_worker_.get(); }
  int write_fd() const { return to_worker_.get(); }
  bool wants_write() const { return out_.size() > out_offset_; }

  // The buffer to encode the next frame into; Flush() sends it.
  proto::Buffer& out() { return out_; }
  // Writes buffered bytes. False when the worker's end is closed.
  bool Flush();
  // Reads what the pipe has and calls on_frame(std::string_view) per
  // complete frame. kClosed on EOF or a read error.
  template <typename OnFrame>
  ReadStatus ReadFrames(OnFrame&& on_frame);

  void MarkIdle() {
    state_ = State::kIdle;
    greeted_ = true;
  }
  // It said hello (this process, not the slot).
  bool greeted() const { return greeted_; }
  void Assign(std::uint64_t task_id, base::TimePoint now,
              std::optional<base::TimePoint> deadline) {
    state_ = State::kBusy;
    task_ = task_id;
    task_started_at_ = now;
    deadline_ = deadline;
  }
  // Frees the worker after its task's result arrived.
  void Finish() {
    task_.reset();
    deadline_.reset();
    ++tasks_done_;
    state_ = State::kIdle;
  }
  // Forgets the task (it was answered otherwise) without counting it.
  std::optional<std::uint64_t> TakeTask() {
    auto t = task_;
    task_.reset();
    deadline_.reset();
    return t;
  }
  // Starts capturing its stack; the task stays assigned meanwhile.
  void BeginCapture(StackCapture capture) {
    state_ = State::kCapturing;
    capture_.emplace(std::move(capture));
  }
  std::optional<StackCapture>& capture() { return capture_; }
  const std::optional<StackCapture>& capture() const { return capture_; }
  // Closes our end of the task pipe: an idle worker exits on EOF.
  void CloseInput();
  // SIGTERM now, SIGKILL at `kill_at` if it is still there; stops reading
  // and writing.
  void Stop(base::TimePoint kill_at);
  // Stops reading and writing; the process is left to be reaped.
  void Detach();
  void Kill(int signal) { process_.Kill(signal); }
  // SIGKILL at `at` unless it is reaped first (Detach()ed workers only).
  void KillAt(base::TimePoint at) { kill_at_ = at; }
  // The grace after Stop() is over.
  void KillNow() {
    process_.Kill(SIGKILL);
    kill_at_.reset();
  }
  bool TryReap() { return process_.TryReap(); }
  const std::optional<base::ExitStatus>& exit_status() const {
    return process_.exit_status();
  }

 private:
  Worker(int slot, base::Subprocess process, base::Fd to_worker,
         base::Fd from_worker, std::size_t max_frame_bytes, base::TimePoint now);
  proto::FrameReader::Next PopFrame(std::string_view* frame) {
    return reader_.Pop(frame);
  }
  ReadStatus ReadSome(bool* got_data);

  int slot_;
  base::Subprocess process_;
  base::Fd to_worker_;    // our write end of its fd 3
  base::Fd from_worker_;  // our read end of its fd 4
  proto::Buffer out_;
  std::size_t out_offset_ = 0;  // bytes of out_ already written
  proto::FrameReader reader_;
  State state_ = State::kStarting;
  std::optional<std::uint64_t> task_;
  base::TimePoint task_started_at_{};
  std::optional<base::TimePoint> deadline_;
  std::optional<base::TimePoint> kill_at_;
  std::optional<StackCapture> capture_;
  std::uint64_t tasks_done_ = 0;
  bool greeted_ = false;
  std::uint64_t rss_bytes_ = 0;  // last sample
  base::TimePoint started_at_;
};

template <typename OnFrame>
Worker::ReadStatus Worker::ReadFrames(OnFrame&& on_frame) {
  // Bounded, so a worker that writes without pause cannot starve the loop;
  // poll reports it readable again next turn.
  for (int round = 0; round < 16; ++round) {
    bool got_data = false;
    const ReadStatus status = ReadSome(&got_data);
    std::string_view frame;
    for (;;) {
      const auto next = PopFrame(&frame);
      if (next == proto::FrameReader::Next::kNeedMore) break;
      if (next == proto::FrameReader::Next::kTooLarge) return ReadStatus::kTooLarge;
      on_frame(frame);
    }
    if (status != ReadStatus::kOk || !got_data) return status;
  }
  return ReadStatus::kOk;
}

}  // namespace tq::daemon
