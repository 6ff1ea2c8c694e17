// Channel: one tq-worker process the agent runs for tqd, and the two pipes
// it relays: bytes from tqd go to the worker's fd 3 in the order they came,
// through a buffer (a pipe holds 64 KiB; the loop must never block on a
// worker), and what the worker writes to its fd 4 is read in chunks for
// ChannelOutput.
//
// The channel owns the process handle: it signals and reaps it (TryReap
// after SIGCHLD, never blocking). A channel destroyed before its worker
// was reaped kills it with SIGKILL and waits (base::Subprocess's rule), so
// the agent stops its workers on purpose first. Move-only; not
// thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/exit_status.h"
#include "base/fd.h"
#include "tq/proto/status.h"
#include "worker_process.h"

namespace tq::agent {

class Channel {
 public:
  // Starts the worker `command` names (pipes on its fds 3 and 4).
  // Errors: those of the spawner ("posix_spawn /x: No such file...").
  static proto::Result<Channel> Start(daemon::WorkerSpawner& spawner,
                                      const daemon::WorkerCommand& command);

  Channel(Channel&&) noexcept = default;
  Channel& operator=(Channel&&) noexcept = default;

  pid_t pid() const { return process_->pid(); }
  std::uint64_t RssBytes() const { return process_->RssBytes(); }
  void Signal(int signal) { process_->Signal(signal); }
  // The exit status once the worker has exited (reaping it), else nullopt.
  std::optional<base::ExitStatus> TryReap() { return process_->TryReap(); }

  // Queues `bytes` for the worker's fd 3 and writes what the pipe takes
  // now. Bytes for a worker that closed its end are dropped: its exit
  // will be reported by the reaper.
  void Write(std::string_view bytes);
  // Closes fd 3 once everything queued before it is written (the worker
  // exits at EOF between tasks).
  void CloseInput();
  // Writes more of what is queued (call when input_fd() is writable).
  void Flush();
  // Our end of fd 3 while bytes wait for it, else -1 (nothing to poll).
  int pending_input_fd() const { return pending_.empty() ? -1 : to_worker_.get(); }
  std::size_t pending_bytes() const { return pending_.size() - written_; }

  enum class ReadResult { kData, kWouldBlock, kEof };
  // Reads up to `max_bytes` of what the worker wrote to fd 4 into *out
  // (replacing it). kEof closes our end: output_fd() is -1 from then on.
  ReadResult Read(std::size_t max_bytes, std::string* out);
  int output_fd() const { return from_worker_.get(); }

 private:
  Channel(std::unique_ptr<daemon::WorkerProcess> process, base::Fd to_worker, base::Fd from_worker)
      : process_(std::move(process)),
        to_worker_(std::move(to_worker)),
        from_worker_(std::move(from_worker)) {}

  std::unique_ptr<daemon::WorkerProcess> process_;  // never null
  base::Fd to_worker_;                              // ours of fd 3; closed at CloseInput
  base::Fd from_worker_;                            // ours of fd 4; closed at EOF
  std::string pending_;                             // bytes for fd 3; the first written_ are sent
  std::size_t written_ = 0;
  bool close_when_written_ = false;
};

}  // namespace tq::agent
