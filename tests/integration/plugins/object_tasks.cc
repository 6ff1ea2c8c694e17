// Tasks for the objects and processes tests: they reach tqd's named
// objects through tq::worker::client() and talk through their pipe.
#include <tq/worker/client.h>
#include <tq/worker/task.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

TQ_PLUGIN(registry) {
  // n atomic increments of dict[key]; the last sum.
  registry.add("incr_many", [](std::string dict, std::string key, int n) {
    auto d = tq::worker::client().dict<std::string, std::int64_t>(dict);
    std::int64_t last = 0;
    for (int i = 0; i < n; ++i) last = d.incr(key);
    return last;
  });
  // Puts from, from+1, ... (count of them) on the queue.
  registry.add("produce", [](std::string queue, int from, int count) {
    auto q = tq::worker::client().queue<int>(queue);
    for (int i = from; i < from + count; ++i) q.put(i);
    return count;
  });
  // Sends back every message until the client closes its end; how many.
  registry.add("echo_pipe", [] {
    auto p = tq::worker::pipe();
    std::int64_t n = 0;
    while (std::optional<std::int64_t> m = p.recv<std::int64_t>()) {
      p.send(*m);
      ++n;
    }
    return n;
  });
  // Takes the lock, then dies holding it.
  registry.add("lock_and_crash", [](std::string lock) -> bool {
    tq::worker::client().lock(lock).acquire();
    std::abort();
  });
  // Takes the lock and returns without releasing it.
  registry.add("lock_and_return", [](std::string lock) {
    return tq::worker::client().lock(lock).acquire().acquired;
  });
  registry.add("getpid", [] { return static_cast<std::int64_t>(::getpid()); });
  // Waits for the event (so a test knows the task runs), then sleeps.
  registry.add("signal_and_sleep", [](std::string event, int ms) {
    tq::worker::client().event(event).set();
    ::usleep(static_cast<useconds_t>(ms) * 1000);
    return true;
  });
}
