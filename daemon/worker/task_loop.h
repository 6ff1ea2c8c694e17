// TaskLoop: the worker's loop over task frames, apart from the process
// set-up around it (flags, signals, limits, plugins: Main in runtime.cc),
// so that it can be driven through pipes in a test.
//
// Run() writes a hello frame (our pid, the registry's names, and that we
// take prefetched tasks) to `result_fd`, then reads length-prefixed task
// frames from `task_fd` and runs each with the registry's function: one
// result frame per task, in order, and progress frames for the running
// task (proto/PROTOCOL.md, "Worker pipes"). A task that throws fails with
// the exception's type and message; texts are made valid UTF-8 and cut to
// the protocol's limit.
//
// Prefetch: tqd may send tasks ahead of the running one. They wait in a
// local queue; before each start the loop takes whatever tqd has written
// since (without blocking), so that a `drop` of a queued task is answered
// `dropped` and the task never runs, and writes the results so far, so that
// tqd knows which task runs. Once tqd is gone (the result pipe has no
// reader), no queued task starts.
//
// Blocking and single-threaded: tasks run on the thread that calls Run().
// The descriptors are not owned and must outlive the loop; so must the
// registry, which the caller points at this loop (Registry::set_host) so
// that tq::progress() reaches it.
//
// Pipes: while a task runs, the only frames tqd sends are pipe frames for
// it (a pipe task goes only to an idle worker and is never prefetched, nor
// is anything behind it), so the running task's recv() reads task_fd
// itself, on the task's thread, instead of a reader thread that would hand
// every task frame across threads too. Bytes already in the loop's reader
// behind the task's frame are read first; bytes read during the task go
// to a second reader, which takes over once the task is done; pipe frames
// left unread then, or for a task that has ended, are dropped. The task's
// threads may send and receive at once (a mutex for each side).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tq/proto/buffer.h"
#include "tq/proto/codec.h"
#include "tq/proto/framing.h"
#include "tq/proto/limits.h"
#include "tq/worker/task.h"

namespace tq::worker {

class TaskLoop final : public Host {
 public:
  TaskLoop(const Registry& registry, const proto::Limits& limits, int task_fd,
           int result_fd);
  TaskLoop(const TaskLoop&) = delete;
  TaskLoop& operator=(const TaskLoop&) = delete;

  // Serves tasks until EOF on task_fd. Returns an exit code for the worker:
  // 0 at EOF, or once tqd is gone (a write fails); 1 when reading fails; 3
  // when a frame is over limits.max_message_bytes or is not a task (tqd and
  // worker disagree on the protocol: nothing sane to answer).
  int Run();

  // Host: a PROGRESS frame for the running task, written at once (after any
  // results still buffered, to keep their order), at most every 50 ms
  // unless it is the last (done >= total > 0). Nothing between tasks.
  void Progress(double done, double total, std::string_view message) override;
  std::uint64_t CurrentTask() const override { return current_task_; }
  PipeStatus PipeSend(std::string_view msgpack) override;
  PipeStatus PipeRecv(std::string* msgpack,
                      std::optional<std::chrono::milliseconds> timeout) override;
  bool PipePoll(std::chrono::milliseconds timeout) override;
  void PipeClose() override;

 private:
  // A task frame, copied out of the reader's buffer to wait its turn.
  struct QueuedTask {
    std::uint64_t task_id = 0;
    std::string fn;
    std::string args;
    bool chunk = false;
    bool pipe = false;
  };

  bool SayHello();
  // Reads task_fd (waiting for data if `block`, else only what is there)
  // and TakeFrames(). An exit code to stop with, or -1.
  int ReadTasks(bool block);
  int TakeFrames();
  void RunOne(const proto::TaskAssignment& task);
  void RunChunk(const RawTask& fn, std::string_view args);
  bool Flush();
  // Reads pipe frames into inbox_ until it holds one, the client's end
  // closes, or `deadline` passes. Called with read_mu_ held.
  void FillInbox(std::optional<std::chrono::steady_clock::time_point> deadline);
  // Takes one pipe frame off `reader` into inbox_; false if it has none.
  bool TakePipeFrame(proto::FrameReader& reader);

  const Registry& registry_;
  const proto::Limits limits_;
  const int task_fd_;
  const int result_fd_;
  proto::FrameReader reader_;
  proto::Decoder decoder_;
  std::deque<QueuedTask> queue_;  // received, not started
  proto::Buffer out_;
  std::string value_;               // reused across tasks
  std::vector<std::size_t> item_ends_;  // RunChunk's, reused across chunks
  std::uint64_t current_task_ = 0;  // 0 between tasks
  std::chrono::steady_clock::time_point next_progress_{};

  // The running task's pipe. out_ and the send side under out_mu_; the
  // reading side under read_mu_.
  std::mutex out_mu_;
  std::mutex read_mu_;
  bool has_pipe_ = false;      // the running task has one
  bool task_end_open_ = false;  // it has not closed its end
  bool client_closed_ = false;  // the client's end closed (or tqd's pipe did)
  std::deque<std::string> inbox_;  // messages read, not yet received
  // Bytes read from task_fd during the task go here (see the file comment).
  proto::FrameReader task_reader_;
  bool reading_task_reader_ = false;
  proto::Decoder pipe_decoder_;  // the task's thread's own
};

}  // namespace tq::worker
