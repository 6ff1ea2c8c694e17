// SignalFd.
#include "signal_fd.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

namespace tq::base {

void FillSignalSet(const std::vector<int>& signals, sigset_t* set) {
  sigemptyset(set);
  for (int s : signals) sigaddset(set, s);
}

Result<SignalFd> SignalFd::Create(const std::vector<int>& signals) {
  sigset_t set;
  FillSignalSet(signals, &set);
  if (int err = pthread_sigmask(SIG_BLOCK, &set, nullptr); err != 0) {
    return Status::FromErrno("pthread_sigmask", err);
  }
  const int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return Status::FromErrno("signalfd", errno);
  return SignalFd(Fd(fd));
}

std::optional<int> SignalFd::Read() {
  signalfd_siginfo info;
  const ssize_t n = ::read(fd_.get(), &info, sizeof info);
  if (n != static_cast<ssize_t>(sizeof info)) return std::nullopt;
  return static_cast<int>(info.ssi_signo);
}

}  // namespace tq::base
