// The tasks of the seed programs (examples/seed): what the article's
// Python functions do in the child, here run by tqd's workers. A line the
// Python child prints is returned, and the client prints it; shared state
// goes through tq::worker::client(), a task's own client of the same tqd.
#include <tq/worker/client.h>
#include <tq/worker/task.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

// "W x H" of a binary PGM (P5) or PPM (P6) file, from its header.
std::string ImageSize(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string magic;
  int width = 0, height = 0;
  if (!(in >> magic >> width >> height) || (magic != "P5" && magic != "P6")) {
    throw std::runtime_error(path + ": not a PGM or PPM image");
  }
  return std::to_string(width) + "x" + std::to_string(height);
}

}  // namespace

TQ_PLUGIN(registry) {
  // tq-seed-process: greet(name) prints its greeting and pid.
  registry.add("seed_greet", [](std::string name) {
    return "Hello, " + name + "! I am process " + std::to_string(::getpid());
  });
  // tq-seed-process: Squarer.run().
  registry.add("seed_square", [](std::int64_t n) {
    return std::to_string(n) + " squared is " + std::to_string(n * n);
  });
  // tq-seed-queue: square(n, q) puts its line on the queue.
  registry.add("seed_square_to_queue", [](std::string queue, std::int64_t n) {
    tq::worker::client().queue<std::string>(queue).put(std::to_string(n) + " squared is " +
                                                       std::to_string(n * n));
  });
  // tq-seed-pipe: child(conn) answers each message in capitals until the
  // parent closes its end; how many it answered.
  registry.add("seed_shout_back", [] {
    auto conn = tq::worker::pipe();
    std::int64_t answered = 0;
    while (std::optional<std::string> message = conn.recv<std::string>()) {
      std::transform(message->begin(), message->end(), message->begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      conn.send(*message);
      ++answered;
    }
    return answered;
  });
  // tq-seed-manager: record(d, l, i): d[i] = i * i; l.append(i).
  registry.add("seed_record", [](std::string dict, std::string list, std::int64_t i) {
    tq::Client& client = tq::worker::client();
    client.dict<std::int64_t, std::int64_t>(dict).set(i, i * i);
    client.list<std::int64_t>(list).append(i);
  });
  // tq-seed-pool: work(i) sleeps a random while and says how long.
  registry.add("seed_work", [](std::int64_t i) {
    thread_local std::mt19937 random{std::random_device{}()};
    const int ms = std::uniform_int_distribution<int>(50, 250)(random);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    char line[64];
    std::snprintf(line, sizeof line, "task %lld slept %.2f s", static_cast<long long>(i),
                  ms / 1000.0);
    return std::string(line);
  });
  // tq-seed-pool: describe(path), an image's name and size.
  registry.add("seed_describe_image", [](std::string path) {
    return path.substr(path.rfind('/') + 1) + ": " + ImageSize(path);
  });
}
