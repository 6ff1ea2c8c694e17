// SignalFd: signals delivered as readable events on a descriptor, so the
// supervisor handles them in its poll loop with no async handlers.
//
// Create() blocks the given signals in the calling thread; call it before
// starting any thread (ZeroMQ's included) so every thread inherits the mask.
#pragma once

#include <signal.h>

#include <optional>
#include <vector>

#include "fd.h"

namespace tq::base {

class SignalFd {
 public:
  static Result<SignalFd> Create(const std::vector<int>& signals);

  int fd() const { return fd_.get(); }
  // The next pending signal number, or nullopt when none is pending.
  std::optional<int> Read();

 private:
  explicit SignalFd(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;
};

// Fills *set with exactly `signals`.
void FillSignalSet(const std::vector<int>& signals, sigset_t* set);

}  // namespace tq::base
