// The article's Queue: three children put a line each on one queue, the
// parent gets three. The queue is named after this program's pid so that
// runs side by side do not share it, and dropped at the end.
//
//   build/bin/tq-seed-queue
#include <tq/client.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

int main() {
  tq::Client client;
  const std::string name = "seed-queue-" + std::to_string(::getpid());
  auto q = client.queue<std::string>(name);
  std::vector<tq::Process> children;
  for (int n : {1, 2, 3}) children.push_back(client.process("seed_square_to_queue", name, n));
  for (tq::Process& c : children) c.start();
  int got = 0;
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (std::optional<std::string> line = q.get(std::chrono::seconds(30))) {
      std::cout << *line << "\n";
      ++got;
    }
  }
  for (tq::Process& c : children) c.join();
  q.drop();
  return got == 3 ? 0 : 1;
}
