// tq-spawn-rate: the floor of the exec row, the raw rate at which this
// machine starts and reaps a trivial program: posix_spawn + waitpid of
// /bin/true, N times, P at a time (default 2: two cores, and tq's two
// workers each run one command at a time).
//
//   tq-spawn-rate [--jobs N] [--parallel P] [--layout procs|single] [--program PATH]
//
// Layouts: `procs` (default) forks P spawner processes before the clock
// starts, each doing posix_spawn + waitpid in turn, as tq's P workers do;
// `single` keeps P children running from one process (waitpid(-1), spawn
// the next). On a machine shared with other load they differ: P processes
// get a larger share of the CPUs than one.
//
// Prints `impl=floor row=spawn layout=L jobs=N parallel=P wall_s=...
// jobs_per_s=...`. The children inherit stdio, so PATH should print nothing.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace {

// Runs `jobs` spawns one after the other; returns how many failed.
long Sequential(const std::string& program, long jobs) {
  std::string arg0 = program;
  char* child_argv[] = {arg0.data(), nullptr};
  long failed = 0;
  for (long i = 0; i < jobs; ++i) {
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, program.c_str(), nullptr, nullptr, child_argv, environ);
    if (rc != 0) {
      std::fprintf(stderr, "tq-spawn-rate: posix_spawn %s: %s\n", program.c_str(),
                   std::strerror(rc));
      return jobs;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) return jobs;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  return failed;
}

// P forked spawners, released together through a pipe once all exist.
long Procs(const std::string& program, long jobs, long parallel, double* wall) {
  int go[2];
  if (pipe(go) != 0) return jobs;
  std::vector<pid_t> spawners;
  for (long p = 0; p < parallel; ++p) {
    const long share = jobs / parallel + (p < jobs % parallel ? 1 : 0);
    const pid_t pid = fork();
    if (pid < 0) return jobs;
    if (pid == 0) {
      close(go[1]);
      char c;
      while (read(go[0], &c, 1) < 0 && errno == EINTR) {
      }
      _exit(Sequential(program, share) == 0 ? 0 : 1);
    }
    spawners.push_back(pid);
  }
  close(go[0]);
  const auto start = std::chrono::steady_clock::now();
  close(go[1]);  // EOF releases them all
  long failed = 0;
  for (pid_t pid : spawners) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  *wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return failed;
}

}  // namespace

int main(int argc, char** argv) {
  long jobs = 1000, parallel = 2;
  std::string program = "/bin/true", layout = "procs";
  bool usage = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--jobs") {
      jobs = std::atol(argv[i + 1]);
    } else if (flag == "--parallel") {
      parallel = std::atol(argv[i + 1]);
    } else if (flag == "--program") {
      program = argv[i + 1];
    } else if (flag == "--layout") {
      layout = argv[i + 1];
    } else {
      usage = true;
    }
  }
  if (usage || jobs < 1 || parallel < 1 || (layout != "procs" && layout != "single")) {
    std::fprintf(stderr,
                 "usage: tq-spawn-rate [--jobs N] [--parallel P] [--layout procs|single] "
                 "[--program PATH]\n");
    return 2;
  }
  if (layout == "procs") {
    double wall = 0;
    if (Procs(program, jobs, parallel, &wall) != 0) {
      std::fprintf(stderr, "tq-spawn-rate: some runs of %s failed\n", program.c_str());
      return 1;
    }
    std::printf("impl=floor row=spawn layout=procs jobs=%ld parallel=%ld wall_s=%.3f "
                "jobs_per_s=%.1f\n",
                jobs, parallel, wall, static_cast<double>(jobs) / wall);
    return 0;
  }

  char* child_argv[] = {program.data(), nullptr};
  long started = 0, running = 0, failed = 0;
  auto spawn_one = [&] {
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, program.c_str(), nullptr, nullptr, child_argv, environ);
    if (rc != 0) {
      std::fprintf(stderr, "tq-spawn-rate: posix_spawn %s: %s\n", program.c_str(),
                   std::strerror(rc));
      std::exit(1);
    }
    ++started;
    ++running;
  };

  const auto start = std::chrono::steady_clock::now();
  while (started < jobs && running < parallel) spawn_one();
  while (running > 0) {
    int status = 0;
    if (waitpid(-1, &status, 0) < 0) {
      std::perror("tq-spawn-rate: waitpid");
      return 1;
    }
    --running;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
    if (started < jobs) spawn_one();
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failed > 0) {
    std::fprintf(stderr, "tq-spawn-rate: %ld of %ld runs failed\n", failed, jobs);
    return 1;
  }
  std::printf("impl=floor row=spawn layout=single jobs=%ld parallel=%ld wall_s=%.3f "
              "jobs_per_s=%.1f\n",
              jobs, parallel, wall, static_cast<double>(jobs) / wall);
  return 0;
}
