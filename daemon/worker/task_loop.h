// TaskLoop: the worker's loop over task frames, apart from the process
// set-up around it (flags, signals, limits, plugins: Main in runtime.cc),
// so that it can be driven through pipes in a test.
//
// Run() writes a hello frame (our pid and the registry's names) to
// `result_fd`, then reads length-prefixed task frames from `task_fd` and
// runs each with the registry's function: one result frame per task, in
// order, written once no further frame is waiting (a burst costs one
// write), and progress frames for the running task (proto/PROTOCOL.md,
// "Worker pipes"). A task that throws fails with the exception's type and
// message; texts are made valid UTF-8 and cut to the protocol's limit.
//
// Blocking and single-threaded: tasks run on the thread that calls Run().
// The descriptors are not owned and must outlive the loop; so must the
// registry, which the caller points at this loop (Registry::set_host) so
// that tq::progress() reaches it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

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

 private:
  bool SayHello();
  int RunFrames();
  void RunOne(const proto::TaskAssignment& task);
  void RunChunk(const RawTask& fn, std::string_view args);
  bool Flush();

  const Registry& registry_;
  const proto::Limits limits_;
  const int task_fd_;
  const int result_fd_;
  proto::FrameReader reader_;
  proto::Decoder decoder_;
  proto::Buffer out_;
  std::string value_;               // reused across tasks
  std::uint64_t current_task_ = 0;  // 0 between tasks
  std::chrono::steady_clock::time_point next_progress_{};
};

}  // namespace tq::worker
