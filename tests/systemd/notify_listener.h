// NotifyListener: the service manager's end of sd_notify(3) for tests, a
// unix datagram socket bound in a test's temp dir that collects what tqd
// (or a ServiceNotifier) sends, as systemd would receive it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/fd.h"

namespace tq::testing {

class NotifyListener {
 public:
  // Binds `path`: a file path, or "@name" in the abstract namespace.
  explicit NotifyListener(std::string path);

  // NOTIFY_SOCKET=path, for the notifier's environment.
  std::string EnvEntry() const { return "NOTIFY_SOCKET=" + path_; }
  const std::string& path() const { return path_; }

  // Takes whatever has arrived, without waiting.
  void Drain();
  // Collects messages until one has a line `line` ("READY=1"), up to
  // `deadline`. True if it came.
  bool WaitForLine(std::string_view line, std::chrono::milliseconds deadline =
                                              std::chrono::seconds(20));
  // Every message received so far, oldest first; each one datagram whose
  // NAME=value lines are joined by '\n', as sent.
  const std::vector<std::string>& messages() const { return messages_; }
  // How many messages so far have a line `line`.
  std::size_t Count(std::string_view line) const;
  // Index of the first message at or after `from` with line `line`, or -1.
  int Find(std::string_view line, std::size_t from = 0) const;
  // The messages joined for failure output.
  std::string Dump() const;

 private:
  // Receives one message if one arrives within `timeout`.
  bool Receive(std::chrono::milliseconds timeout);

  std::string path_;
  base::Fd fd_;
  std::vector<std::string> messages_;
};

// Whether `message` has the line `line`.
bool HasLine(std::string_view message, std::string_view line);
// The value of NAME= in `message`, or "" if it has none.
std::string Field(std::string_view message, std::string_view name);

}  // namespace tq::testing
