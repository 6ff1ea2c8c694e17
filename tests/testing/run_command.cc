// RunCommand, with a poll loop so a chatty child never blocks on a full pipe.
#include "testing/run_command.h"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

#include "base/fd.h"

extern char** environ;

namespace tq::testing {

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::string& stdin_data,
                         const std::vector<std::string>& extra_env) {
  auto in = base::Pipe::Create();
  auto out = base::Pipe::Create();
  auto err = base::Pipe::Create();
  if (!in.ok() || !out.ok() || !err.ok()) throw std::runtime_error("pipe failed");

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in->read.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out->write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err->write.get(), 2);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const auto& e : extra_env) env_strings.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot run " + argv[0]);
  in->read.Close();
  out->write.Close();
  err->write.Close();

  CommandResult result;
  std::size_t written = 0;
  if (stdin_data.empty()) in->write.Close();
  ::signal(SIGPIPE, SIG_IGN);
  (void)base::SetNonBlocking(in->write.get());
  while (out->read || err->read) {
    pollfd fds[3] = {{out->read.get(), POLLIN, 0},
                     {err->read.get(), POLLIN, 0},
                     {in->write.get(), POLLOUT, 0}};
    if (::poll(fds, 3, -1) < 0 && errno != EINTR) break;
    base::Fd* readers[2] = {&out->read, &err->read};
    std::string* sinks[2] = {&result.out, &result.err};
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      char buf[65536];
      const ssize_t n = ::read(readers[i]->get(), buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else {
        readers[i]->Close();
      }
    }
    if (in->write && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = ::write(in->write.get(), stdin_data.data() + written,
                                stdin_data.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 || written == stdin_data.size()) in->write.Close();
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = base::ExitStatus::FromWaitStatus(status);
  return result;
}

}  // namespace tq::testing
