// Config: everything tqd's behaviour depends on.
//
// Each field that users set is a row of the settings table (settings.h),
// which gives its TOML key, flag, range and help; the initial values below
// are the defaults. Built by LoadConfig (settings_flags.h) from defaults,
// then the TOML file (--config), then explicit flags; SIGHUP rebuilds it the
// same way and the supervisor applies what may change at run time (see
// Supervisor::Reload). Validate() is the one place that decides what is
// acceptable, with a sentence for what is not.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "objects/object_limits.h"
#include "task_table.h"
#include "tq/proto/limits.h"
#include "tq/proto/status.h"

namespace tq::daemon {

struct Config {
  std::string endpoint;              // ipc://PATH or tcp://HOST:PORT
  int workers = 2;                   // pool size
  std::string worker_program;        // tq-worker or a custom worker binary
  std::vector<std::string> plugins;  // passed to every worker as --plugin
  std::size_t max_queued = 100000;   // queued (not running) tasks
  // Running tasks of one submitting uid at once (Scheduler); 0: no cap.
  std::uint32_t max_running_per_user = 0;
  proto::Limits limits;  // max_args_bytes, max_result_bytes lower them
  // Per-worker resource limits, applied by tq-worker at its start with
  // setrlimit (its flags --rlimit-as, --rlimit-cpu); 0 means none.
  std::uint64_t worker_rlimit_as = 0;   // RLIMIT_AS, bytes
  std::uint64_t worker_rlimit_cpu = 0;  // RLIMIT_CPU, seconds of CPU time
  // How long running tasks may take to finish after SIGTERM.
  std::chrono::milliseconds shutdown_grace{10000};
  // Most bytes of replies held for one client that does not read them
  // (beyond what ZeroMQ queues); beyond it that client's oldest are dropped
  // and it is told how many (REPLIES_DROPPED).
  std::uint64_t max_unread_reply_bytes = 64 * proto::kMiB;
  // ZMTP heartbeats on client connections (RouterOptions).
  std::chrono::milliseconds heartbeat_interval{1000};
  std::chrono::milliseconds heartbeat_timeout{5000};
  // How long a new worker may take to say hello (not a setting yet).
  std::chrono::milliseconds worker_start_timeout{10000};

  // Supervision.
  std::chrono::milliseconds task_timeout{0};  // default per task; 0: none
  std::chrono::milliseconds stop_grace{2000};  // SIGTERM -> SIGKILL a worker
  std::uint64_t max_tasks_per_worker = 0;      // recycle after; 0: never
  // Most expected run time of tasks sent to one worker ahead of need; 0:
  // none are.
  std::chrono::milliseconds prefetch_budget{1};
  std::uint64_t max_rss_per_worker = 0;        // bytes; recycle above; 0: never
  std::uint32_t bury_after = 3;  // worker deaths before a task is buried
  bool capture_stacks = true;    // gdb/eu-stack a timed-out task's worker
  RetentionLimits retention;     // the result store

  // Named objects and task pipes (objects/object_store.h, task_pipe.h).
  objects::ObjectLimits objects;
  // Most bytes tqd holds for one task's pipe that the task has not taken
  // yet; past it the client's pipe messages get PIPE_FULL.
  std::uint64_t max_pipe_bytes = proto::kMiB;

  // The exec builtin, passed to workers as --exec off / --exec-allow PATH.
  bool exec_enabled = true;
  std::vector<std::string> exec_allow;  // absolute paths; empty: any program

  // Durability (README, "Durability"): the store's directory, whether a
  // task submitted without saying is durable, and a cap on the store's
  // size (0: none) past which durable submits get STORE_FAILED.
  std::string state_dir;
  bool durable = true;
  std::uint64_t store_max_bytes = 0;
  // Where GET /metrics is served: HOST:PORT, "" for nowhere.
  std::string metrics;
  std::string log_format = "text";  // "text" or "json" (logging.h)
  // Worker agents (agent_endpoint.h): where they connect ("" for nowhere),
  // tqd's CURVE secret key file, the allow-list directory, and liveness.
  std::string agents;
  std::string curve_key;
  std::string agent_keys;
  std::chrono::milliseconds agent_beat{1000};
  std::chrono::milliseconds agent_deadline{5000};

  std::string config_file;  // re-read on SIGHUP; "" for none

  proto::Status Validate() const;
};

// Sets the fields that `path`'s TOML table names; every other field keeps
// its value. Unknown keys, wrong types and values out of a setting's range
// are errors naming the file, line and key; `config` is then unchanged.
proto::Status ApplyConfigFile(const std::string& path, Config* config);

}  // namespace tq::daemon
