// A task plugin that misbehaves on request, for the adversarial worker tests
// (tests/integration/hostile_worker_test.cc). Each function breaks one rule a
// worker should keep: it throws something that is not a std::exception,
// writes bytes of its own to the result pipe (fd 4), closes a pipe, forks,
// blocks signals, or eats memory or CPU. tqd must turn each into a clear
// failed or lost result and keep its pool whole.
//
// Functions that leave a process behind (fork_and_exit) write its pid to
// the file they are given, so the test can kill it by pid.
#include <signal.h>
#include <tq/worker/task.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace hostile {

constexpr int kResultFd = 4;

// Thrown by throw_struct: deliberately not derived from std::exception.
struct NotAnException {
  int code = 7;
};

void WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(kResultFd, bytes.data(), bytes.size());
    if (n <= 0) return;  // tqd stopped listening: that is the point
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string BigEndian32(std::uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
          static_cast<char>(n >> 8), static_cast<char>(n)};
}

[[noreturn]] void Hang() {
  for (;;) ::pause();
}

void BlockAllSignals() {
  sigset_t all;
  sigfillset(&all);
  ::sigprocmask(SIG_BLOCK, &all, nullptr);  // SIGKILL and SIGSTOP stay
}

}  // namespace hostile

TQ_PLUGIN(registry) {
  using namespace hostile;

  registry.add("throw_int", []() -> int { throw 42; });
  registry.add("throw_struct", []() -> int { throw NotAnException{}; });

  // A frame with a valid header around bytes that are not msgpack.
  registry.add("write_garbage", []() {
    WriteAll(BigEndian32(9) + "not msgpk");
    return 1;
  });
  // A header claiming more than the 64 MiB limit, then a stream of bytes
  // that would never end if tqd waited for them.
  registry.add("write_oversized_frame", []() {
    WriteAll(BigEndian32((64u << 20) + 1));
    const std::string chunk(1 << 20, 'x');
    for (;;) WriteAll(chunk);
    return 1;
  });
  // Closes the result pipe and stays alive: tqd can never hear from it.
  registry.add("close_result_pipe", []() -> int {
    ::close(kResultFd);
    Hang();
  });
  // Closes the task pipe, then answers normally: the worker leaves after.
  registry.add("close_task_pipe", []() {
    ::close(3);
    return 1;
  });
  // The worker exits; a child it forked keeps both pipes open.
  registry.add("fork_and_exit", [](const std::string& pid_file) -> int {
    const pid_t child = ::fork();
    if (child == 0) {
      std::this_thread::sleep_for(std::chrono::seconds(60));
      ::_exit(0);
    }
    std::ofstream(pid_file) << child << "\n";
    ::_exit(0);
  });
  // Blocks every signal it can, says so by creating `marker_file`, then
  // hangs: only SIGKILL ends it.
  registry.add("block_signals_and_hang", [](const std::string& marker_file) -> int {
    BlockAllSignals();
    std::ofstream(marker_file) << "blocked\n";
    Hang();
  });
  // Blocks every signal it can, then breaks the protocol.
  registry.add("block_signals_and_write_garbage", []() {
    BlockAllSignals();
    WriteAll(BigEndian32(3) + "\xc1\xc1\xc1");
    Hang();
    return 1;
  });
  // Writes a well-formed result for `task_id` whose value is `bytes` long,
  // behind the runtime's back (the runtime would refuse it).
  registry.add("raw_result", [](std::uint64_t task_id, std::uint32_t bytes) {
    msgpack::sbuffer body;
    msgpack::packer<msgpack::sbuffer> pk(body);
    pk.pack_map(5);
    pk.pack(std::string("v")); pk.pack(1);
    pk.pack(std::string("kind")); pk.pack(std::string("result"));
    pk.pack(std::string("task")); pk.pack(task_id);
    pk.pack(std::string("state")); pk.pack(std::string("done"));
    pk.pack(std::string("value"));
    pk.pack_bin(bytes);
    std::string value(bytes, '\0');
    value[0] = '\xc4';  // garbage inside, but tqd does not look
    pk.pack_bin_body(value.data(), bytes);
    WriteAll(BigEndian32(static_cast<std::uint32_t>(body.size())) +
             std::string(body.data(), body.size()));
    Hang();
    return 1;
  });
  // Allocates and touches `bytes` bytes; returns how many it got.
  registry.add("allocate", [](std::uint64_t bytes) {
    std::vector<char> v(bytes);
    for (std::size_t i = 0; i < v.size(); i += 4096) v[i] = 1;
    return v.size();
  });
  // Burns CPU for `ms` milliseconds of wall time.
  registry.add("spin", [](std::int64_t ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    std::uint64_t x = 0;
    while (std::chrono::steady_clock::now() < until) x = x * 31 + 7;
    return x;
  });
  // A result of `bytes` bytes (a msgpack str).
  registry.add("big_result", [](std::uint32_t bytes) { return std::string(bytes, 'r'); });
}
