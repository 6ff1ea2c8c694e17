// AgentOptions: CLI11 for the flags, tq_keys for the key files.
#include "agent_options.h"

#include <sched.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "tq/keys/curve_keys.h"
#include "tq/proto/limits.h"

namespace tq::agent {
namespace {

constexpr int kUsage = 2;  // as tq-worker's own start-up errors

int Fail(const std::string& why) {
  std::cerr << "tq-agent: " << why << "\n";
  return kUsage;
}

}  // namespace

std::uint32_t AvailableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  const int n = CPU_COUNT(&set);
  return n > 0 ? static_cast<std::uint32_t>(n) : 1;
}

std::string WorkerBesideSelf() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "tq-worker";
  return (self.parent_path() / "tq-worker").string();
}

ParsedOptions ParseAgentOptions(int argc, char** argv) {
  CLI::App app{
      "tq-agent: runs tq-worker processes on this host for a tqd on another one, over "
      "CURVE-encrypted TCP (also started as `tq-worker --connect`)."};
  app.set_version_flag("--version", "tq-agent " TQ_VERSION);
  AgentOptions o;
  o.slots = AvailableCpus();
  o.worker_program = WorkerBesideSelf();
  std::string drain = "finish";
  app.add_option("--connect", o.connect, "tqd's agent endpoint (tqd --agents)")
      ->option_text("tcp://HEAD:PORT")
      ->required();
  app.add_option("--server-key", o.server_key_file, "tqd's public key file (PATH.pub)")
      ->option_text("FILE")
      ->required();
  app.add_option("--key", o.key_file,
                 "This agent's secret key file (PATH.key, mode 0600; its PATH.pub "
                 "must be in tqd's --agent-keys)")
      ->option_text("FILE")
      ->required();
  app.add_option("--slots", o.slots,
                 "Worker processes to run at most. Default: the CPUs it may run on "
                 "(sched_getaffinity).")
      ->option_text("N")
      ->check(CLI::Range(1u, proto::kMaxAgentSlots));
  app.add_option("--plugin", o.plugins, "Task plugin (.so) every worker loads; repeatable")
      ->option_text("LIB.so");
  app.add_option("--worker", o.worker_program,
                 "Worker program to run. Default: the tq-worker beside tq-agent.")
      ->option_text("PROGRAM");
  app.add_option("--drain", drain,
                 "On SIGTERM: let running tasks finish (finish), or give them back to "
                 "tqd's queue at once (requeue). Default: finish.")
      ->option_text("finish|requeue")
      ->check(CLI::IsMember({"finish", "requeue"}));
  app.add_option("--log-level", o.log_level,
                 "trace, debug, info, warn, error or off. Default: info.")
      ->option_text("LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return {.exit_code = app.exit(e)};
  } catch (const CLI::CallForVersion& e) {
    return {.exit_code = app.exit(e)};
  } catch (const CLI::ParseError& e) {
    return {.exit_code = Fail(e.what())};
  }
  o.drain_requeue = drain == "requeue";
  if (o.connect.rfind("tcp://", 0) != 0) {
    return {.exit_code = Fail("--connect " + o.connect + ": must be tcp://HEAD:PORT")};
  }
  try {
    o.server_public_z85 = keys::ReadPublicKey(o.server_key_file);
    o.secret_z85 = keys::ReadSecretKey(o.key_file);
    o.public_z85 = keys::PublicKeyOf(o.secret_z85);
  } catch (const keys::KeyError& e) {
    return {.exit_code = Fail(e.what())};
  }
  return {.options = std::move(o)};
}

}  // namespace tq::agent
