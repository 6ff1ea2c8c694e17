// A worker program that, while the file named by $TQ_TEST_DIE_FILE exists,
// exits with code 3 shortly after saying hello: a worker that dies on its
// own, over and over, for the crash-loop backoff test.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>
#include <tq/worker/task.h>

int main(int argc, char** argv) {
  const char* file = std::getenv("TQ_TEST_DIE_FILE");
  if (file != nullptr && ::access(file, F_OK) == 0) {
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      ::_exit(3);
    }).detach();
  }
  tq::worker::Registry registry;
  registry.add("echo1", [](int x) { return x; });
  return tq::worker::Main(argc, argv, registry);
}
