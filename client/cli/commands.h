// The tq CLI's commands. Each returns the process exit code (exit_codes.h)
// and writes results to stdout, diagnostics to stderr.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tq/raw_client.h"

namespace tq::cli {

struct Common {
  std::string endpoint;  // empty: the default
  std::chrono::milliseconds connect_timeout{5000};
};

// The exit status for an outcome that is not ok().
int ExitCodeFor(const Outcome& outcome);

// tq call FN [ARG...]: one task, its value printed as JSON.
int Call(const Common& common, const std::string& fn,
         const std::vector<std::string>& json_args, const SubmitOptions& options);

// tq submit FN [ARG...] and tq submit -- CMD [ARG...] (the exec task):
// prints the task's id once tqd accepted it; with `wait`, waits and prints
// the value (or the command's output, exiting with its status).
struct SubmitSpec {
  std::string fn;                    // a function, when `command` is empty
  std::vector<std::string> args;     // its JSON arguments
  std::vector<std::string> command;  // else: argv for exec
  SubmitOptions options;
  bool wait = false;
  int progress = 0;  // +1 forced on, -1 off, 0: when stderr is a terminal
};
int Submit(const Common& common, const SubmitSpec& spec);

// tq map FN (one task per JSON line of stdin) and tq map -- CMD {} ...
// [::: ITEM...] (one exec task per item, GNU parallel's replacement
// strings). Exit status: the number of failed items, at most 101.
struct MapSpec {
  std::string fn;                     // a function, when `command` is empty
  std::vector<std::string> command;   // else: the command template
  std::optional<std::vector<std::string>> items;  // after :::, else stdin
  std::size_t window = 1000;          // most tasks in flight
  bool keep_order = true;
  bool halt_on_error = false;
  int progress = 0;
  SubmitOptions options;
};
int Map(const Common& common, const MapSpec& spec);

// tq wait ID...: each task's value as JSON, in the order given. `timeout`
// bounds the whole wait (exit 124).
int Wait(const Common& common, const std::vector<std::uint64_t>& ids,
         std::optional<std::chrono::milliseconds> timeout);

// tq status ID...: what tqd knows of each task, as text or JSON lines.
// Without ids: the queue, the counts of ended tasks and the recent ones.
int Status(const Common& common, const std::vector<std::uint64_t>& ids, bool json);

// tq workers: the pool, as an aligned table or JSON.
int Workers(const Common& common, bool json);

// tq cancel ID... / tq kick ID...: one line per task with its new state.
int Cancel(const Common& common, const std::vector<std::uint64_t>& ids);
int Kick(const Common& common, const std::vector<std::uint64_t>& ids);

// tq ping: who serves the endpoint.
int Ping(const Common& common);

}  // namespace tq::cli
