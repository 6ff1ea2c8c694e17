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

// tq call FN [ARG...]: one task, its value printed as JSON.
int Call(const Common& common, const std::string& fn,
         const std::vector<std::string>& json_args, const SubmitOptions& options);

// tq submit FN [ARG...]: prints the task's id once tqd accepted it; with
// `wait`, waits and prints the value as `call` does.
int Submit(const Common& common, const std::string& fn,
           const std::vector<std::string>& json_args,
           const SubmitOptions& options, bool wait);

// tq map FN: one task per JSON line of stdin, values printed in input order.
int Map(const Common& common, const std::string& fn, std::size_t window,
        const SubmitOptions& options);

// tq wait ID...: each task's value as JSON, in the order given. `timeout`
// bounds the whole wait (exit 124).
int Wait(const Common& common, const std::vector<std::uint64_t>& ids,
         std::optional<std::chrono::milliseconds> timeout);

// tq status ID...: what tqd knows of each task, as text or JSON lines.
int Status(const Common& common, const std::vector<std::uint64_t>& ids, bool json);

// tq cancel ID... / tq kick ID...: one line per task with its new state.
int Cancel(const Common& common, const std::vector<std::uint64_t>& ids);
int Kick(const Common& common, const std::vector<std::uint64_t>& ids);

// tq ping: who serves the endpoint.
int Ping(const Common& common);

}  // namespace tq::cli
