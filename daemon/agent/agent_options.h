// AgentOptions: tq-agent's command line, and what it reads from the files
// it names (the CURVE keys), checked before anything starts.
//
// tq-agent --connect tcp://HEAD:PORT --server-key FILE --key FILE
//          [--slots N] [--plugin LIB.so]... [--worker PROGRAM]
//          [--drain finish|requeue] [--log-level LEVEL]
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tq::agent {

struct AgentOptions {
  std::string connect;               // tqd's agent endpoint, tcp://HEAD:PORT
  std::string server_key_file;       // tqd's public key (PATH.pub)
  std::string key_file;              // this agent's secret key (PATH.key)
  std::uint32_t slots = 0;           // worker processes at most; >= 1
  std::vector<std::string> plugins;  // passed to every worker as --plugin
  std::string worker_program;        // tq-worker, or one built on the SDK
  bool drain_requeue = false;        // --drain requeue: AgentBye{requeue}
  std::string log_level = "info";

  // Read from the key files.
  std::string server_public_z85;
  std::string public_z85;
  std::string secret_z85;
};

// What parsing the command line came to: options to run with, or an exit
// code (0 after --help or --version, 2 for a mistake, whose one-line
// explanation has gone to stderr).
struct ParsedOptions {
  std::optional<AgentOptions> options;
  int exit_code = 0;
};

ParsedOptions ParseAgentOptions(int argc, char** argv);

// The CPUs this process may run on (sched_getaffinity), at least 1.
std::uint32_t AvailableCpus();

// The tq-worker beside the running program (/proc/self/exe's directory),
// where the build tree and the install (libexec/tq/) both put it.
std::string WorkerBesideSelf();

}  // namespace tq::agent
