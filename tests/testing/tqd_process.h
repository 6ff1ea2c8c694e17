// TqdProcess: a real tqd started from build/bin for one test, on an ipc://
// socket in the test's own TempDir, and RawConnection: a bare DEALER that
// sends whatever bytes a test wants.
//
// The destructor stops everything the test started, by pid: tqd (SIGKILL if
// it is still running) and any worker it had. Output goes to a log file in
// the temp dir; Log() returns it for failure messages.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "base/subprocess.h"
#include "testing/temp_dir.h"

namespace tq::testing {

std::string BinPath(const std::string& name);  // build/bin/NAME
std::string LibPath(const std::string& name);  // build/lib/NAME

struct TqdOptions {
  int workers = 2;  // 0: pass no --workers (the config file or default decides)
  std::vector<std::string> extra_args;  // e.g. {"--plugin", LibPath(...)}
  bool wait_ready = true;
  std::string endpoint;  // default: ipc:// in this TqdProcess's temp dir
  // The task store's directory; default: state/ in the temp dir. Give the
  // same one to a later TqdProcess to restart "the same" tqd.
  std::string state_dir;
  std::vector<std::string> extra_env;  // NAME=value, added to ours for tqd
  // JOURNAL_STREAM names tqd's log file, as systemd names the journal's
  // stream to a service whose stderr goes there.
  bool journal_stream = false;
  // For the systemd tests: a program tqd runs under, which must exec it in
  // place (so its pid is tqd's), e.g. {"/bin/sh", "-c", "LISTEN_PID=$$ exec
  // \"$@\"", "sh"}; descriptors passed on, {tqd's fd, ours}, which need stay
  // open only until the constructor returns.
  std::vector<std::string> launcher;
  std::vector<std::pair<int, int>> fd_map;
};

// A tqd whose workers load the example plugin (square, add, checked_sqrt...).
TqdOptions WithExamplePlugin();

class TqdProcess {
 public:
  explicit TqdProcess(TqdOptions options = {});
  ~TqdProcess();
  TqdProcess(const TqdProcess&) = delete;
  TqdProcess& operator=(const TqdProcess&) = delete;

  const std::string& endpoint() const { return endpoint_; }
  std::string socket_path() const { return dir_.File("s.sock"); }
  pid_t pid() const { return process_.pid(); }
  const TempDir& dir() const { return dir_; }

  // True once tqd answers a ping (within `deadline`).
  bool WaitReady(std::chrono::milliseconds deadline = std::chrono::seconds(20));
  // Pids of tqd's live child processes, from /proc.
  std::vector<pid_t> WorkerPids() const;
  // Pids of tqd's children that exited and were not reaped.
  std::vector<pid_t> ZombiePids() const;
  // Sends SIGTERM and waits for the exit (SIGKILL after `deadline`).
  base::ExitStatus Terminate(std::chrono::milliseconds deadline = std::chrono::seconds(30));
  void Kill(int signal) { process_.Kill(signal); }
  // Whether tqd has exited; reaps it if so.
  bool Exited() { return process_.TryReap(); }
  std::string Log() const;

 private:
  TempDir dir_;
  std::string endpoint_;
  base::Subprocess process_;
  std::vector<pid_t> Children(bool zombies) const;
  std::vector<pid_t> seen_workers_;  // killed by pid on destruction
};

// A DEALER connected to tqd that speaks raw frames.
class RawConnection {
 public:
  explicit RawConnection(const std::string& endpoint);
  void Send(std::string_view frame);
  // The next frame, or nullopt after `timeout`.
  std::optional<std::string> Recv(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Sends a ping with this request id and checks for its pong.
  bool Ping(std::uint64_t request_id = 999);
  zmq::socket_t& socket() { return socket_; }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
};

// True if a process with this pid exists and is not a zombie.
bool ProcessAlive(pid_t pid);

}  // namespace tq::testing
