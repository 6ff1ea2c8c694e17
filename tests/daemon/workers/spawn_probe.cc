// tq-test-spawn-probe PROGRAM [ARG]...: spawns PROGRAM once through
// base::Subprocess the way the exec task does (stdin from /dev/null, every
// other descriptor closed, a process group of its own), from a process set
// up like a worker: SIGPIPE ignored, SIGTERM handled, and a descriptor open
// without O_CLOEXEC. Prints how many signals were not at the default
// before the spawn, then exits with the child's exit code (125 if the
// spawn failed). For running under strace: SpawnChildTest counts the
// child's system calls.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <bit>
#include <cstdio>
#include <string>
#include <vector>

#include "base/spawn_child.h"
#include "base/subprocess.h"

namespace {
void OnTerm(int) {}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: tq-test-spawn-probe PROGRAM [ARG]...\n");
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGTERM, OnTerm);
  const int inheritable = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC
  std::printf("non-default signals: %d\n",
              std::popcount(tq::base::NonDefaultSignals()));
  std::fflush(stdout);
  tq::base::SpawnOptions o;
  o.argv.assign(argv + 1, argv + argc);
  o.child_stdin = tq::base::Stdio::Null();
  o.close_other_fds = true;
  auto child = tq::base::Subprocess::Spawn(o);
  if (!child.ok()) {
    std::fprintf(stderr, "%s\n", child.status().ToString().c_str());
    return 125;
  }
  const int code = child->Wait().code;
  ::close(inheritable);
  return code;
}
