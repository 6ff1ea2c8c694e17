// An example task plugin: typed C++ functions that any tq client can call.
//
// Build it as a shared library linked with the SDK (see
// examples/plugin/CMakeLists.txt), then start tqd with
//   tqd --plugin /path/to/libtq_example_tasks.so
// and call it:  tq call square 7   ->  49
#include <tq/worker/task.h>

#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

TQ_PLUGIN(registry) {
  registry.add("square", [](std::int64_t x) { return x * x; });
  registry.add("inc", [](std::int64_t x) { return x + 1; });
  registry.add("add", [](double a, double b) { return a + b; });

  // A C++ exception becomes a failed task; the client sees its type
  // ("std::invalid_argument") and message.
  registry.add("divide", [](double a, double b) {
    if (b == 0) throw std::invalid_argument("division by zero");
    return a / b;
  });

  // Choose the error type clients see with tq::worker::TaskError.
  registry.add("checked_sqrt", [](double x) -> double {
    if (x < 0) throw tq::worker::TaskError("ValueError", "math domain error");
    double r = x;
    for (int i = 0; i < 40; ++i) r = 0.5 * (r + x / r);
    return x == 0 ? 0 : r;
  });

  // Containers convert both ways.
  registry.add("word_count", [](const std::string& text) {
    std::map<std::string, int> counts;
    std::istringstream in(text);
    for (std::string w; in >> w;) ++counts[w];
    return counts;
  });
}
