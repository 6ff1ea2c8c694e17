// tq-agent: parse flags, set up logging, run the agent.
#include <spdlog/spdlog.h>

#include "agent.h"
#include "agent_options.h"
#include "logging.h"

int main(int argc, char** argv) {
  tq::agent::ParsedOptions parsed = tq::agent::ParseAgentOptions(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  tq::daemon::SetUpLogging({.level = parsed.options->log_level,
                            .journal = tq::daemon::StderrIsJournal(),
                            .program = "tq-agent"});
  auto agent = tq::agent::Agent::Create(std::move(*parsed.options));
  if (!agent.ok()) {
    spdlog::error("cannot start: {}", agent.status().message());
    // A --connect that ZeroMQ refuses is a bad option, like the others.
    return agent.status().code() == tq::proto::ErrorCode::kConfig ? 2 : 1;
  }
  return (*agent)->Run();
}
