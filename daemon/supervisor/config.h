// Config: everything tqd's behaviour depends on, fixed at start-up.
//
// Built from the command line in tqd_main.cc; Validate() is the one place
// that decides what is acceptable, with a sentence for what is not.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "tq/proto/limits.h"
#include "tq/proto/status.h"

namespace tq::daemon {

struct Config {
  std::string endpoint;              // ipc://PATH or tcp://HOST:PORT
  int workers = 2;                   // pool size
  std::string worker_program;        // tq-worker or a custom worker binary
  std::vector<std::string> plugins;  // passed to every worker as --plugin
  std::size_t max_queued = 100000;   // queued (not running) tasks
  proto::Limits limits;
  // How long running tasks may take to finish after SIGTERM.
  std::chrono::milliseconds shutdown_grace{10000};
  // How long a new worker may take to say hello.
  std::chrono::milliseconds worker_start_timeout{10000};

  proto::Status Validate() const;
};

}  // namespace tq::daemon
