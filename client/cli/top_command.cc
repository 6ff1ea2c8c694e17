// tq top: TopScreen on a terminal, refreshed every second, with ncurses.
//
// ncurses owns the terminal: it switches to the alternate screen and back,
// puts the terminal in cbreak mode and restores it (endwin), and redraws
// only what changed. What it cannot do here is notice a resize by itself:
// its own SIGWINCH handler would set a flag that the main thread sees
// only at its next getch, and the signal may land on one of libtq's
// threads. So the handler is ours: it writes to a pipe that the main loop
// polls beside stdin, whichever thread runs it, and the loop tells ncurses
// the new size (resizeterm) and redraws at once. ^C comes the same way:
// tq's Interrupts (interrupts.h) reads SIGINT on its own thread and wakes
// this loop through the same pipe, so the terminal is restored before tq
// exits, with status 0 as for q.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <clocale>
#include <cstring>
#include <ctime>
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "exit_codes.h"
#include "interrupts.h"
#include "top_screen.h"

// Last: curses.h defines macros (move, erase, refresh, timeout) that
// would break the C++ headers above.
#include <curses.h>

namespace tq::cli {
namespace {

constexpr auto kRefresh = std::chrono::seconds(1);

int wake_fd = -1;  // the write end of the loop's pipe, for the handlers

void OnWinch(int) {
  const int saved = errno;
  (void)!::write(wake_fd, "w", 1);
  errno = saved;
}

std::string LocalClock() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

// Asks tqd for what the screen shows; a failure is shown, not fatal.
void Refresh(RawClient& client, TopView* view) {
  try {
    QueueStats stats = client.Stats();
    std::vector<WorkerStatus> workers = client.Workers();
    view->stats = std::move(stats);
    view->workers = std::move(workers);
    view->error.clear();
  } catch (const Error& e) {
    view->error = e.what();
  }
  view->clock = LocalClock();
}

void Draw(const TopView& view) {
  int rows = 0, cols = 0;
  getmaxyx(stdscr, rows, cols);
  erase();
  int y = 0;
  for (const std::string& line : TopScreen(view, rows, cols)) mvaddstr(y++, 0, line.c_str());
  refresh();
}

// The terminal's size now, told to ncurses.
void Resize() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
    resizeterm(ws.ws_row, ws.ws_col);
  }
}

// Runs the screen until q, ^C or SIGTERM. Returns when the terminal has been
// restored.
void RunScreen(RawClient& client, TopView& view, int wake_read) {
  initscr();
  cbreak();
  noecho();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  curs_set(0);
  bool quit = false;
  while (!quit) {
    Draw(view);
    const auto next = std::chrono::steady_clock::now() + kRefresh;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          next - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake_read, POLLIN, 0}};
      (void)::poll(fds, 2, static_cast<int>(left.count()));  // EINTR: look again
      if (fds[1].revents & POLLIN) {
        char buf[64];
        bool resized = false;
        for (ssize_t n; (n = ::read(wake_read, buf, sizeof buf)) > 0;) {
          resized = resized || std::find(buf, buf + n, 'w') != buf + n;
        }
        if (resized) {
          Resize();
          Draw(view);
        }
      }
      if (Interrupts::Status() != 0) {
        quit = true;
        break;
      }
      for (int ch; (ch = getch()) != ERR;) {
        if (ch == 'q' || ch == 'Q') quit = true;
        if (ch == KEY_RESIZE) Draw(view);
      }
      if (quit) break;
    }
    if (!quit) Refresh(client, &view);
  }
  endwin();
}

}  // namespace

int Top(const Common& common) {
  if (!::isatty(STDIN_FILENO) || !::isatty(STDOUT_FILENO)) {
    std::cerr << "tq top: needs a terminal (for a listing, use tq stats or tq workers)\n";
    return kUsage;
  }
  std::setlocale(LC_ALL, "");  // function names are UTF-8
  return Guarded([&] {
    RawClient client(ClientOptionsFor(common));
    TopView view;
    view.endpoint = client.endpoint();
    // The first answer before the screen: an unreachable tqd is told plainly.
    view.stats = client.Stats();
    view.workers = client.Workers();
    view.clock = LocalClock();

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
      std::cerr << "tq top: pipe: " << std::strerror(errno) << "\n";
      return kProtocol;
    }
    wake_fd = pipe_fds[1];
    struct sigaction winch {};
    winch.sa_handler = OnWinch;  // no SA_RESTART: poll returns at once
    sigaction(SIGWINCH, &winch, nullptr);
    {
      const Interrupts::Scope scope([w = pipe_fds[1]] { (void)!::write(w, "i", 1); });
      RunScreen(client, view, pipe_fds[0]);
    }
    ::signal(SIGWINCH, SIG_DFL);
    wake_fd = -1;
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return kOk;
  });
}

}  // namespace tq::cli
