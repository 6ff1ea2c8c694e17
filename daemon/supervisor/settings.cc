// The settings table. A row names its Config field once; the field's
// initial value is the default (see settings.h).
#include "settings.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <thread>
#include <type_traits>

#include "tq/proto/endpoint.h"
#include "tq/proto/limits.h"

namespace tq::daemon {
namespace {

// Binds a field through `access`, a lambda (auto& config) -> auto& that
// reaches it, so nested fields (retention.ttl) bind like direct ones.
template <typename Access>
SettingField FieldAt(Access access) {
  using T = std::remove_cvref_t<decltype(access(std::declval<Config&>()))>;
  constexpr bool kInteger = std::is_integral_v<T> && !std::is_same_v<T, bool>;
  SettingField f;
  f.get = [access](const Config& c) -> SettingValue {
    if constexpr (kInteger) {
      return static_cast<std::uint64_t>(access(c));
    } else {
      return access(c);
    }
  };
  f.set = [access](Config& c, const SettingValue& v) {
    if constexpr (kInteger) {
      // The range check keeps the value within what T holds (field.max).
      access(c) = static_cast<T>(std::get<std::uint64_t>(v));
    } else {
      access(c) = std::get<T>(v);
    }
  };
  if constexpr (kInteger) {
    f.max = std::numeric_limits<T>::max();
  } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
    f.max = static_cast<std::uint64_t>(kLongestDuration.count());
  }
  return f;
}

template <typename T>
SettingField Field(T Config::*member) {
  return FieldAt([member](auto& c) -> auto& { return c.*member; });
}

// A bool field written as the choice "on" or "off".
SettingField OnOff(bool Config::*member) {
  return {.get = [member](const Config& c) -> SettingValue {
            return std::string(c.*member ? "on" : "off");
          },
          .set = [member](Config& c, const SettingValue& v) {
            c.*member = std::get<std::string>(v) == "on";
          }};
}

// The tq-worker beside tqd, as in the build tree; else the one installed
// with tqd: TQ_WORKER_FROM_TQD is the path from tqd's directory to it
// (../libexec/tq/tq-worker, from GNUInstallDirs), so an installed tree
// works wherever it is put.
std::string DefaultWorkerProgram() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "tq-worker";
  const auto sibling = self.parent_path() / "tq-worker";
  if (std::filesystem::exists(sibling, ec)) return sibling.string();
  return (self.parent_path() / TQ_WORKER_FROM_TQD).lexically_normal().string();
}

// $STATE_DIRECTORY (systemd's StateDirectory=; the first of its list),
// else /var/lib/tq for root (the system's tqd, as for the endpoint), else
// $XDG_STATE_HOME/tq, else ~/.local/state/tq.
std::string DefaultStateDir() {
  auto set = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v == nullptr ? "" : v;
  };
  if (std::string dirs = set("STATE_DIRECTORY"); !dirs.empty()) {
    return dirs.substr(0, dirs.find(':'));
  }
  if (::geteuid() == 0) return "/var/lib/tq";
  if (std::string xdg = set("XDG_STATE_HOME"); !xdg.empty()) return xdg + "/tq";
  return set("HOME") + "/.local/state/tq";
}

using enum SettingType;
using enum OnReload;

std::vector<Setting> MakeSettings() {
  const proto::Limits protocol;
  return {
      {.name = "endpoint", .type = kString, .reload = kRestart,
       .help = "Where to listen: ipc://PATH or tcp://HOST:PORT",
       .field = Field(&Config::endpoint),
       .metavar = "ENDPOINT",
       .default_text = "$TQ_ENDPOINT, else $XDG_RUNTIME_DIR/tq/tqd.sock (not for root), else /run/tq/tqd.sock",
       .start_up_default = [](Config& c) { c.endpoint = proto::DefaultEndpoint(); },
       .example = "\"ipc:///run/tq/tqd.sock\""},
      {.name = "workers", .type = kCount, .reload = kApplies,
       .help = "Number of worker processes; 0 runs tasks on agents only (with agents)",
       .field = Field(&Config::workers),
       .min = 0, .max = 1024, .flag = "-w,--workers",
       .default_text = "the CPU count",
       .start_up_default = [](Config& c) {
         c.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
       },
       .example = "4"},
      {.name = "plugins", .type = kStringList, .reload = kNewWorkers,
       .help = "Task plugin (.so) every worker loads; the flag is repeatable",
       .field = Field(&Config::plugins), .flag = "--plugin", .metavar = "LIB.so",
       .example = "[\"/usr/local/lib/tq/libmytasks.so\"]"},
      {.name = "worker", .type = kString, .reload = kNewWorkers,
       .help = "Worker program to run (tq-worker or one built on the SDK)",
       .field = Field(&Config::worker_program),
       .metavar = "PROGRAM",
       .default_text = "the tq-worker beside tqd, else the one installed with it "
                       "(libexec/tq/tq-worker)",
       .start_up_default = [](Config& c) { c.worker_program = DefaultWorkerProgram(); },
       .example = "\"/usr/local/libexec/tq/tq-worker\""},
      // The store is opened at start.
      {.name = "state_dir", .type = kString, .reload = kRestart,
       .help = "Directory of the task store (tq.db), kept across restarts",
       .field = Field(&Config::state_dir), .metavar = "DIR",
       .default_text = "$STATE_DIRECTORY, else /var/lib/tq for root, else "
                       "$XDG_STATE_HOME/tq, else ~/.local/state/tq",
       .start_up_default = [](Config& c) { c.state_dir = DefaultStateDir(); },
       .example = "\"/var/lib/tq\""},
      {.name = "durable", .type = kBool, .reload = kApplies,
       .help = "Whether a task submitted without saying is durable: on disk before it "
               "is accepted, and back after a restart",
       .field = Field(&Config::durable)},
      {.name = "store_max_size", .type = kBytes, .reload = kRestart,
       .help = "Most bytes the task store may hold; past it durable submits get "
               "STORE_FAILED",
       .field = Field(&Config::store_max_bytes), .zero_means = "no limit"},
      {.name = "max_queued", .type = kCount, .reload = kApplies,
       .help = "Most queued tasks; beyond it SUBMIT gets QUEUE_FULL",
       .field = Field(&Config::max_queued), .min = 1},
      {.name = "max_running_per_user", .type = kCount, .reload = kApplies,
       .help = "Most tasks of one user (the submitter's uid) running at once; the "
               "others wait, and other users' tasks run meanwhile",
       .field = Field(&Config::max_running_per_user), .zero_means = "no cap",
       .example = "2"},
      {.name = "task_timeout", .type = kDuration, .reload = kApplies,
       .help = "Timeout of a task submitted without one",
       .field = Field(&Config::task_timeout), .zero_means = "none"},
      {.name = "shutdown_grace", .type = kDuration, .reload = kApplies,
       .help = "How long running tasks get to finish after SIGTERM",
       .field = Field(&Config::shutdown_grace)},
      {.name = "stop_grace", .type = kDuration, .reload = kApplies,
       .help = "Time between SIGTERM and SIGKILL for a worker whose task timed out "
               "or was cancelled",
       .field = Field(&Config::stop_grace)},
      {.name = "prefetch_budget", .type = kDuration, .reload = kApplies,
       .help = "Most expected run time of short tasks queued ahead of need behind a "
               "worker's running task, itself expected to take no longer, by their "
               "function's measured run time",
       .field = Field(&Config::prefetch_budget), .zero_means = "no prefetch"},
      {.name = "max_tasks_per_worker", .type = kCount, .reload = kApplies,
       .help = "Replace a worker after this many tasks",
       .field = Field(&Config::max_tasks_per_worker), .zero_means = "never"},
      {.name = "max_rss_per_worker", .type = kBytes, .reload = kApplies,
       .help = "Replace a worker whose RSS exceeds this after a task",
       .field = Field(&Config::max_rss_per_worker), .zero_means = "never"},
      {.name = "bury_after", .type = kCount, .reload = kApplies,
       .help = "Bury a task once it has killed this many workers",
       .field = Field(&Config::bury_after), .min = 1},
      {.name = "capture_stacks", .type = kBool, .reload = kApplies,
       .help = "Attach gdb's stack of a timed-out task's worker to its result",
       .field = Field(&Config::capture_stacks)},
      {.name = "result_ttl", .type = kDuration, .reload = kApplies,
       .help = "How long an ended task's result stays available by id",
       .field = FieldAt([](auto& c) -> auto& { return c.retention.ttl; })},
      {.name = "max_results", .type = kCount, .reload = kApplies,
       .help = "Most ended tasks kept; the oldest go first",
       .field = FieldAt([](auto& c) -> auto& { return c.retention.max_results; }),
       .min = 1},
      {.name = "max_result_store_bytes", .type = kBytes, .reload = kApplies,
       .help = "Most bytes of ended tasks kept; the oldest go first",
       .field = FieldAt([](auto& c) -> auto& { return c.retention.max_bytes; })},
      {.name = "exec", .type = kChoice, .reload = kNewWorkers,
       .help = "Whether the exec builtin may run commands",
       .field = OnOff(&Config::exec_enabled), .choices = {"on", "off"}},
      {.name = "exec_allow", .type = kStringList, .reload = kNewWorkers,
       .help = "Absolute path of a program exec may run; the flag is repeatable",
       .field = Field(&Config::exec_allow), .metavar = "PATH", .default_text = "any program",
       .example = "[\"/usr/bin/convert\"]"},
      // At most the protocol's: clients and workers decode with those. tqd's
      // decoders are built with these at start, so a change waits for one.
      {.name = "max_args_bytes", .type = kBytes, .reload = kRestart,
       .help = "Largest task arguments accepted; bigger submits get TOO_LARGE",
       .field = FieldAt([](auto& c) -> auto& { return c.limits.max_args_bytes; }),
       .min = 1, .max = protocol.max_args_bytes},
      {.name = "max_result_bytes", .type = kBytes, .reload = kRestart,
       .help = "Largest task result; a bigger one fails the task with tq.ResultTooLarge",
       .field = FieldAt([](auto& c) -> auto& { return c.limits.max_result_bytes; }),
       .min = 1, .max = protocol.max_result_bytes},
      {.name = "max_unread_reply_bytes", .type = kBytes, .reload = kApplies,
       .help = "Most bytes of replies kept for a client that does not read them; "
               "beyond it its oldest are dropped and it is told how many",
       .field = Field(&Config::max_unread_reply_bytes), .min = 1},
      // The socket is set up with them at start.
      {.name = "heartbeat_interval", .type = kDuration, .reload = kRestart,
       .help = "How often tqd sends a ZeroMQ heartbeat to each client connection",
       .field = Field(&Config::heartbeat_interval), .zero_means = "no heartbeats"},
      {.name = "heartbeat_timeout", .type = kDuration, .reload = kRestart,
       .help = "A client connection silent this long is dropped; clients drop tqd "
               "after as long without traffic",
       .field = Field(&Config::heartbeat_timeout), .min = 1},
      {.name = "max_objects", .type = kCount, .reload = kApplies,
       .help = "Most named objects (dicts, lists, queues, locks, semaphores, events) "
               "tqd holds; beyond it a call that would make one gets OBJECT_FULL",
       .field = FieldAt([](auto& c) -> auto& { return c.objects.max_objects; }), .min = 1},
      {.name = "max_object_bytes", .type = kBytes, .reload = kApplies,
       .help = "Most bytes of keys and values one named object holds; a write past it "
               "gets OBJECT_FULL",
       .field = FieldAt([](auto& c) -> auto& { return c.objects.max_object_bytes; }),
       .min = 1},
      {.name = "max_object_store_bytes", .type = kBytes, .reload = kApplies,
       .help = "Most bytes all named objects hold together; a write past it gets "
               "OBJECT_FULL",
       .field = FieldAt([](auto& c) -> auto& { return c.objects.max_store_bytes; }),
       .min = 1},
      {.name = "max_waiting_per_client", .type = kCount, .reload = kApplies,
       .help = "Most blocking object calls (queue get and put, acquire, wait) one "
               "connection may have waiting; more get TOO_MANY_WAITING",
       .field = FieldAt([](auto& c) -> auto& { return c.objects.max_waiting_per_client; }),
       .min = 1},
      {.name = "max_pipe_bytes", .type = kBytes, .reload = kApplies,
       .help = "Most bytes tqd holds for a task's pipe that the task has not read; "
               "beyond it a client's pipe message gets PIPE_FULL",
       .field = Field(&Config::max_pipe_bytes), .min = 1},
      // Below 32 MiB a worker cannot even load its libraries.
      {.name = "worker_rlimit_as", .type = kBytes, .reload = kNewWorkers,
       .help = "Address-space limit (RLIMIT_AS) of each worker; a task allocating "
               "past it fails with std::bad_alloc",
       .field = Field(&Config::worker_rlimit_as),
       .min = 32 * proto::kMiB, .zero_means = "none"},
      {.name = "worker_rlimit_cpu", .type = kCount, .reload = kNewWorkers,
       .help = "CPU-time limit (RLIMIT_CPU) of each worker, in seconds; past it the "
               "worker is killed and replaced",
       .field = Field(&Config::worker_rlimit_cpu),
       .zero_means = "none", .metavar = "SECONDS"},
      // Set up once, at start.
      {.name = "metrics", .type = kString, .reload = kRestart,
       .help = "Serve Prometheus metrics at http://HOST:PORT/metrics (HOST an IP "
               "address, [IPv6] or *; port 0 picks one)",
       .field = Field(&Config::metrics), .metavar = "HOST:PORT", .default_text = "off",
       .example = "\"127.0.0.1:9464\""},
      // Worker agents on other hosts (README, "Many machines").
      {.name = "agents", .type = kString, .reload = kRestart,
       .help = "Listen for worker agents (tq-agent) at this tcp:// endpoint, "
               "CURVE-encrypted; needs curve_key and agent_keys",
       .field = Field(&Config::agents), .metavar = "ENDPOINT", .default_text = "off",
       .example = "\"tcp://0.0.0.0:7710\""},
      {.name = "curve_key", .type = kString, .reload = kRestart,
       .help = "tqd's CURVE secret key file for the agent endpoint (tq keygen; "
               "mode 0600)",
       .field = Field(&Config::curve_key), .metavar = "FILE", .default_text = "none",
       .example = "\"/etc/tq/keys/head.key\""},
      {.name = "agent_keys", .type = kString, .reload = kRestart,
       .help = "Directory of the public keys (*.pub) of the agents allowed in; "
               "re-read on SIGHUP",
       .field = Field(&Config::agent_keys), .metavar = "DIR", .default_text = "none",
       .example = "\"/etc/tq/agents\""},
      {.name = "agent_beat", .type = kDuration, .reload = kRestart,
       .help = "How often tqd and each agent tell each other they are alive",
       .field = Field(&Config::agent_beat), .min = 1},
      {.name = "agent_deadline", .type = kDuration, .reload = kRestart,
       .help = "An agent silent this long is given up: its running tasks end lost "
               "(or are retried) and the rest go back to the queue",
       .field = Field(&Config::agent_deadline), .min = 1},
      {.name = "log_format", .type = kChoice, .reload = kRestart,
       .help = "How log lines are written: text, or one JSON object per line",
       .field = Field(&Config::log_format), .choices = {"text", "json"}},
  };
}

std::string Dashed(std::string_view name) {
  std::string s(name);
  std::replace(s.begin(), s.end(), '_', '-');
  return s;
}

}  // namespace

std::string Setting::long_flag() const {
  if (flag.empty()) return "--" + Dashed(name);
  const std::size_t at = flag.rfind("--");
  return std::string(flag.substr(at, flag.find(',', at) - at));
}

std::string Setting::flag_names() const {
  if (!flag.empty()) return std::string(flag);
  if (type == SettingType::kBool) return long_flag() + ",!--no-" + Dashed(name);
  return long_flag();
}

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> kSettings = MakeSettings();
  return kSettings;
}

const Setting* FindSetting(std::string_view name) {
  for (const Setting& s : Settings()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Config DefaultConfig() {
  Config c;
  for (const Setting& s : Settings()) {
    if (s.start_up_default != nullptr) s.start_up_default(c);
  }
  return c;
}

std::vector<std::string_view> KeepRestartOnlySettings(const Config& running,
                                                      Config* next) {
  std::vector<std::string_view> kept;
  for (const Setting& s : Settings()) {
    if (s.reload != OnReload::kRestart) continue;
    SettingValue now = s.field.get(running);
    if (s.field.get(*next) == now) continue;
    s.field.set(*next, now);
    kept.push_back(s.name);
  }
  return kept;
}

}  // namespace tq::daemon
