// ExecAgent.
#include "agent_exec.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace tq::worker {
namespace {

bool IsFlag(std::string_view arg, std::string_view flag) {
  return arg == flag || (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag &&
                         arg[flag.size()] == '=');
}

bool HasFlag(int argc, char** argv, std::string_view flag) {
  for (int i = 1; i < argc; ++i) {
    if (IsFlag(argv[i], flag)) return true;
  }
  return false;
}

}  // namespace

bool WantsAgent(int argc, char** argv) { return HasFlag(argc, argv, "--connect"); }

int ExecAgent(int argc, char** argv) {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::string agent = TQ_AGENT_INSTALLED;
  if (!ec && std::filesystem::exists(self.parent_path() / "tq-agent", ec)) {
    agent = (self.parent_path() / "tq-agent").string();
  }
  std::vector<std::string> args(argv, argv + argc);
  args[0] = agent;
  // The agent runs workers of this program, which may be a custom one.
  if (!self.empty() && !HasFlag(argc, argv, "--worker")) {
    args.push_back("--worker");
    args.push_back(self.string());
  }
  std::vector<char*> c_args;
  for (std::string& a : args) c_args.push_back(a.data());
  c_args.push_back(nullptr);
  ::execv(agent.c_str(), c_args.data());
  std::fprintf(stderr, "tq-worker: --connect: cannot run %s: %s\n", agent.c_str(),
               std::strerror(errno));
  return 2;
}

}  // namespace tq::worker
