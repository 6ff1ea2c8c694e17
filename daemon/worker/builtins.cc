// Builtin tasks.
#include "builtins.h"

#include <chrono>
#include <cstdlib>
#include <thread>

#include "exec_task.h"

namespace tq::worker {

void RegisterBuiltins(Registry& registry) {
  registry.add_raw("echo", [](std::string_view args, Output& out) {
    if (args.empty()) args = "\x90";  // no arguments: []
    out.write(args.data(), args.size());
  });
  registry.add("sleep", [](std::int64_t ms) {
    if (ms < 0) throw TaskError("tq.BadArguments", "sleep: ms must be >= 0");
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  });
  registry.add("fail", [](std::string message) -> bool {
    throw std::runtime_error(message);
  });
  registry.add("crash", []() -> bool { std::abort(); });
  RegisterExec(registry);
}

}  // namespace tq::worker
