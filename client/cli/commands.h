// The tq CLI's commands. Each returns the process exit code (exit_codes.h)
// and writes results to stdout, diagnostics to stderr. Commands that
// submit tasks cancel the ones they have not collected when interrupted
// (Interrupts), unless told to --detach.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tq/raw_client.h"

namespace tq::cli {

struct Common {
  std::string endpoint;  // empty: the default
  std::chrono::milliseconds connect_timeout{5000};
};

// Where and with what environment a command runs (--cwd, --env,
// --env-all): by default the caller's working directory, and none of the
// caller's environment (the worker's own, as tqd started it).
struct ExecPlace {
  std::string cwd;  // absolute
  std::vector<std::pair<std::string, std::string>> env;
};

// tq call FN [ARG...]: one task, its value printed as JSON.
struct CallSpec {
  std::string fn;
  std::vector<std::string> args;  // each one JSON value
  SubmitOptions options;
  bool detach = false;  // interrupted: leave the task running
};
int Call(const Common& common, const CallSpec& spec);

// tq submit FN [ARG...] and tq submit -- CMD [ARG...] (the exec task):
// prints the task's id once tqd accepted it; with `wait`, waits and prints
// the value (or the command's output, exiting with its status).
struct SubmitSpec {
  std::string fn;                    // a function, when `command` is empty
  std::vector<std::string> args;     // its JSON arguments
  std::vector<std::string> command;  // else: argv for exec
  ExecPlace place;
  SubmitOptions options;
  bool wait = false;
  int progress = 0;  // +1 forced on, -1 off, 0: when stderr is a terminal
  bool detach = false;
};
int Submit(const Common& common, const SubmitSpec& spec);

// tq map FN (one task per JSON line of stdin) and tq map -- CMD {} ...
// [::: ITEM...] (one exec task per item, GNU parallel's replacement
// strings). Exit status: the number of failed items, at most 101.
struct MapSpec {
  std::string fn;                     // a function, when `command` is empty
  std::vector<std::string> command;   // else: the command template
  std::optional<std::vector<std::string>> items;  // after :::, else stdin
  ExecPlace place;
  std::size_t window = 1000;          // most tasks in flight
  bool keep_order = true;
  bool halt_on_error = false;
  int progress = 0;
  SubmitOptions options;
  bool detach = false;
  // A resumable map (--name JOB): item N is the durable task of key JOB/N,
  // named JOB; a done item is not run again, a failed one is.
  std::string name;
};
int Map(const Common& common, const MapSpec& spec);

// tq map --name JOB --status: how many of JOB's items are done, failed
// (each named) and pending. Exit status: the number failed, at most 101.
int MapStatus(const Common& common, const std::string& name);

// tq wait ID...: each task's value as JSON, or a command's output and
// status, in the order given; the exit status is the first failure's.
// `timeout` bounds the whole wait (exit 124). `json`: one JSON object per
// task instead.
int Wait(const Common& common, const std::vector<std::uint64_t>& ids,
         std::optional<std::chrono::milliseconds> timeout, bool json);

// tq status ID...: what tqd knows of each task, as text or JSON lines.
// Without ids: the queue, the counts of ended tasks and the recent ones.
int Status(const Common& common, const std::vector<std::uint64_t>& ids, bool json);

// tq workers: the pool, as an aligned table or JSON.
int Workers(const Common& common, bool json);
// tq functions: what the workers offer, and from which plugin.
int Functions(const Common& common, bool json);

// tq stats: the counts since tqd started and over the last minute (tasks
// by state, queue waits and run times, worker restarts, per function), as
// aligned tables, one line of JSON, or Prometheus' text format.
enum class StatsFormat { kText, kJson, kPrometheus };
int Stats(const Common& common, StatsFormat format);

// tq top: a live full-screen view of the queue, the throughput, the
// workers and the slowest running tasks, redrawn every second and on
// resize, until q or ^C (exit 0). Needs a terminal on stdin and stdout.
int Top(const Common& common);

// tq cancel ID... / tq kick ID...: one line per task with its new state.
int Cancel(const Common& common, const std::vector<std::uint64_t>& ids);
int Kick(const Common& common, const std::vector<std::uint64_t>& ids);

// tq dict get|set|incr|del|keys|items|size NAME ..., tq list
// append|get|len NAME ..., tq queue put|get|size NAME ...: tqd's named
// objects, values as JSON.
struct ObjectSpec {
  std::string kind;  // "dict", "list", "queue"
  std::string verb;
  std::string name;
  std::vector<std::string> words;  // KEY, VALUE..., INDEX, BY
  std::optional<double> timeout;   // queue get/put: seconds; unset: no limit
  std::size_t count = 1;           // queue get: most items
};
int ObjectCommand(const Common& common, const ObjectSpec& spec);

// tq ping: who serves the endpoint.
int Ping(const Common& common);

// tq keygen PATH: writes a new CURVE key pair, PATH.key (secret, mode
// 0600) and PATH.pub, and prints the public key. Refuses to replace either
// file unless `force`. Needs no tqd. Exit 0, or 125 with the reason.
int Keygen(const std::string& stem, bool force);

}  // namespace tq::cli
