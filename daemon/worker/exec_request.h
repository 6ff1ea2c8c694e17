// ExecRequest: what an exec task asks for, parsed and checked before
// anything runs (README.md, "The exec task").
//
// ParseExecRequest reads the task's msgpack argument array, whose one
// element is a map: argv, shell, cwd, env, stdin, timeout_ms, max_output.
// A nil value counts as an absent key (a typed client's empty optional),
// except for argv, which is required. Every rejection is a TaskError of
// type tq.BadArguments whose sentence names the key and what it wanted:
// "exec: 'cwd' must be a string, not int". Pure: no system calls.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tq::worker {

// Bytes kept per stream when the request does not say (max_output 0 or
// absent), and the most it may ask for: both streams at this cap still fit
// in a result (proto: 48 MiB).
constexpr std::size_t kDefaultMaxOutput = 1 << 20;
constexpr std::size_t kMaxOutputLimit = 16 << 20;

struct ExecRequest {
  std::vector<std::string> argv;   // non-empty; argv[0] non-empty
  bool shell = false;              // then argv is one command line
  std::optional<std::string> cwd;  // non-empty when set
  // Names (non-empty, without '=') added to or replacing ours, in order.
  std::vector<std::pair<std::string, std::string>> env;
  std::optional<std::string> stdin_data;       // absent: /dev/null
  std::chrono::milliseconds timeout{0};        // 0: none
  std::size_t max_output = kDefaultMaxOutput;  // bytes per stream
};

// Throws TaskError("tq.BadArguments", ...) for anything but one valid map.
ExecRequest ParseExecRequest(std::string_view args);

// The child's environment: the entries of `ours` (a null-terminated
// NAME=value array, as environ) whose names the request does not set, then
// the request's, in its order.
std::vector<std::string> ChildEnvironment(const char* const* ours,
                                          const ExecRequest& request);

}  // namespace tq::worker
