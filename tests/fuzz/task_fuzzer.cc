// Fuzz target: the worker side of a task. DecodeTask is what tq-worker runs
// on every frame from tqd; the task SDK's argument conversion is what runs
// on `args`, which tqd passes through from any client unparsed (it checks
// only the first byte), so hostile msgpack reaches it.
//
// Input: one task frame payload. Every accepted task's args are handed to
// functions of several signatures, as a plugin would register them; the only
// exception allowed out of the SDK is TaskError (tq.BadArguments), anything
// else would become a confusing failure or, for bad_alloc, mean a limit is
// missing.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "fuzz_util.h"
#include "tq/worker/task.h"

namespace {

tq::worker::Registry MakeRegistry() {
  using tq::worker::Output;
  tq::worker::Registry r;
  r.add("int", [](std::int64_t x) { return x; });
  r.add("uint", [](std::uint8_t x) { return x; });
  r.add("two", [](double a, const std::string& b) { return b.size() + a; });
  r.add("none", []() { return 1; });
  r.add("vec", [](std::vector<std::int64_t> v) { return v; });
  r.add("nested", [](std::vector<std::vector<std::string>> v) { return v; });
  r.add("map", [](std::map<std::string, double> m) { return m; });
  r.add("opt", [](std::optional<std::string> s) { return s; });
  r.add("tuple", [](std::tuple<bool, std::string, std::vector<int>> t) { return t; });
  r.add("void", [](std::string) {});
  r.add_raw("echo", [](std::string_view args, Output& out) {
    out.write(args.data(), args.size());
  });
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const tq::worker::Registry registry = MakeRegistry();
  static tq::proto::Decoder decoder;
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  auto task = decoder.DecodeTask(frame);
  if (!task.ok()) {
    FUZZ_CHECK(tq::fuzz::IsUtf8(task.status().message()));
    return 0;
  }
  // Round trip, as in the other targets.
  tq::proto::Buffer first;
  tq::proto::Encode(*task, first);
  tq::proto::Decoder again;
  auto second = again.DecodeTask(first.view());
  FUZZ_CHECK(second.ok());
  FUZZ_CHECK(second->task_id == task->task_id && second->fn == task->fn &&
             second->args == task->args);

  std::string value;
  for (const std::string& name : registry.names()) {
    value.clear();
    tq::worker::Output out(&value);
    try {
      (*registry.find(name))(task->args, out);
      // Typed functions always pack a value (nil for void); raw echo may not.
      FUZZ_CHECK(!value.empty() || name == "echo");
    } catch (const tq::worker::TaskError& e) {
      FUZZ_CHECK(e.type() == "tq.BadArguments");
    }
  }
  return 0;
}
