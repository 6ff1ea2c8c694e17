// Interrupts: a signalfd and stdout watched by one thread.
#include "interrupts.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "exit_codes.h"

namespace tq::cli {
namespace {

std::atomic<int> status{0};
pthread_t main_thread;
std::mutex mu;
std::function<void()> wake;  // guarded by mu; set while a Scope lives
bool in_scope = false;       // guarded by mu

// Records an interruption; ends tq now when nobody is there to clean up,
// or when this is the second one.
void Interrupt(int exit_status) {
  std::function<void()> to_call;
  {
    std::lock_guard lock(mu);
    int expected = 0;
    if (!status.compare_exchange_strong(expected, exit_status) || !in_scope) {
      ::_exit(expected != 0 ? expected : exit_status);
    }
    to_call = wake;
  }
  if (to_call) to_call();
  // A main thread blocked reading input (tq map's stdin) would never see
  // the flag: a signal without SA_RESTART makes that read fail with EINTR.
  pthread_kill(main_thread, SIGUSR1);
}

void Nothing(int) {}

bool StdoutIsPipe() {
  struct stat st;
  return ::fstat(STDOUT_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

void Watch(int signal_fd, bool watch_stdout) {
  for (;;) {
    pollfd fds[2] = {{signal_fd, POLLIN, 0}, {watch_stdout ? STDOUT_FILENO : -1, 0, 0}};
    if (::poll(fds, 2, -1) < 0) continue;  // EINTR
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info;
      if (::read(signal_fd, &info, sizeof info) == sizeof info) {
        Interrupt(info.ssi_signo == SIGTERM ? kTerminated : kInterrupted);
      }
    }
    // A pipe whose reader has gone reports POLLERR; no event is asked for.
    if (fds[1].revents & (POLLERR | POLLHUP)) {
      watch_stdout = false;
      Interrupt(kStdoutClosed);
    }
  }
}

}  // namespace

void Interrupts::Start() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  main_thread = pthread_self();
  struct sigaction wake_read {};
  wake_read.sa_handler = Nothing;  // sa_flags 0: no SA_RESTART
  sigaction(SIGUSR1, &wake_read, nullptr);
  const int fd = ::signalfd(-1, &set, SFD_CLOEXEC);
  if (fd < 0) {  // no watcher: let the signals end tq as they would
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    return;
  }
  std::thread(Watch, fd, StdoutIsPipe()).detach();
}

int Interrupts::Status() { return status.load(); }

const char* Interrupts::Reason() {
  return status.load() == kStdoutClosed ? "stdout closed" : "interrupted";
}

void Interrupts::StdoutClosed() {
  int expected = 0;
  status.compare_exchange_strong(expected, kStdoutClosed);
}

Interrupts::Scope::Scope(std::function<void()> w) {
  std::lock_guard lock(mu);
  wake = std::move(w);
  in_scope = true;
}

Interrupts::Scope::~Scope() {
  std::lock_guard lock(mu);
  wake = nullptr;
  in_scope = false;
}

}  // namespace tq::cli
