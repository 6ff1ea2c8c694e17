// An example libtq program: the multiprocessing.Pool calls, against tqd.
//
//   tqd --plugin build/lib/libtq_example_tasks.so &
//   build/bin/tq-example-client            # uses $TQ_ENDPOINT or the default
#include <tq/client.h>

#include <atomic>
#include <iostream>
#include <numeric>
#include <vector>

int main(int argc, char** argv) {
  tq::Client client(argc > 1 ? argv[1] : std::string());

  // apply: one call, blocking.
  std::cout << "square(7) = " << client.apply<long>("square", 7) << "\n";

  // apply_async: returns at once; get() waits.
  auto sum = client.apply_async<double>("add", 1.5, 2.25);
  std::atomic<bool> called{false};
  sum.on_done([&](const tq::AsyncResult<double>& r) {
    called = r.successful();
  });
  std::cout << "add(1.5, 2.25) = " << sum.get(std::chrono::seconds(10)) << "\n";

  // map: results in input order, at most `window` tasks in flight.
  std::vector<long> xs(1000);
  std::iota(xs.begin(), xs.end(), 1);
  std::vector<long> squares = client.map<long>("square", xs);
  std::cout << "sum of squares 1..1000 = "
            << std::accumulate(squares.begin(), squares.end(), 0L) << "\n";

  // imap_unordered: each input's outcome as its task finishes; a failed
  // input is an item with !ok(), and the loop goes on.
  std::size_t seen = 0;
  for (const auto& item : client.imap_unordered<double>("checked_sqrt",
                                                        std::vector<double>{16, -1, 81})) {
    if (item.ok()) {
      std::cout << "checked_sqrt(input #" << item.index << ") = " << item.value() << "\n";
    } else {
      std::cout << "checked_sqrt(input #" << item.index << ") failed: " << item.error()->what()
                << "\n";
    }
    ++seen;
  }

  // Remote errors arrive as typed exceptions with the remote type.
  try {
    client.apply<double>("divide", 1.0, 0.0);
  } catch (const tq::RemoteError& e) {
    std::cout << "divide(1, 0) failed: " << e.type() << ": " << e.message() << "\n";
  }
  return seen == 3 ? 0 : 1;
}
