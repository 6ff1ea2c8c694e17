// The tq CLI's commands. Each returns the process exit code (exit_codes.h)
// and writes results to stdout, diagnostics to stderr.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace tq::cli {

struct Common {
  std::string endpoint;  // empty: the default
  std::chrono::milliseconds connect_timeout{5000};
};

// tq call FN [ARG...]: one task, its value printed as JSON.
int Call(const Common& common, const std::string& fn,
         const std::vector<std::string>& json_args,
         std::optional<std::chrono::milliseconds> timeout);

// tq map FN: one task per JSON line of stdin, values printed in input order.
int Map(const Common& common, const std::string& fn, std::size_t window);

// tq ping: who serves the endpoint.
int Ping(const Common& common);

}  // namespace tq::cli
