// The article's first two programs: five Processes started and joined, and
// a Process subclass. Each child's line is its task's return value.
//
//   tqd --plugin build/lib/libtq_seed_tasks.so &
//   build/bin/tq-seed-process        # $TQ_ENDPOINT or the default endpoint
#include <tq/client.h>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

// Python's `class Squarer(Process)` with its run(): a Process built from
// the task that is its run().
class Squarer : public tq::Process {
 public:
  Squarer(tq::Client& client, int n) : tq::Process(client.process("seed_square", n)) {}
};

int main() {
  tq::Client client;
  std::vector<tq::Process> processes;
  for (int i = 0; i < 5; ++i) {
    processes.push_back(client.process("seed_greet", "worker " + std::to_string(i)));
  }
  for (tq::Process& p : processes) p.start();
  int failed = 0;
  for (tq::Process& p : processes) {
    p.join();
    if (p.exitcode() == 0) {
      std::cout << p.value<std::string>() << "\n";
    } else {
      ++failed;
    }
  }

  Squarer squarer(client, 7);
  squarer.start();
  squarer.join(std::chrono::seconds(30));
  if (squarer.exitcode() != 0) return 1;
  std::cout << squarer.name() << ": " << squarer.value<std::string>() << "\n";
  return failed == 0 ? 0 : 1;
}
