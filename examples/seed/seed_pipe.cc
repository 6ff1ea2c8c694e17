// The article's Pipe: the parent sends words to its child, which answers
// each in capitals; closing the parent's end ends the child.
//
//   build/bin/tq-seed-pipe
#include <tq/client.h>

#include <chrono>
#include <iostream>
#include <string>

int main() {
  tq::Client client;
  auto [child, conn] = client.process_with_pipe("seed_shout_back");
  child.start();
  int answered = 0;
  for (const char* word : {"hello", "pipe"}) {
    conn.send(std::string(word));
    if (std::optional<std::string> reply = conn.recv<std::string>()) {
      std::cout << *reply << "\n";
      ++answered;
    }
  }
  conn.close();  // the child's recv() ends: it returns
  child.join(std::chrono::seconds(30));
  return answered == 2 && child.exitcode() == 0 ? 0 : 1;
}
