// Several clients, and several threads on one client, at once: each caller
// gets exactly its own results.
#include <gtest/gtest.h>
#include <tq/client.h>

#include <thread>

#include "testing/tqd_process.h"

namespace tq {
namespace {

using namespace std::chrono_literals;

// "a7": the client that sent it, and which of its calls.
std::string Tag(char client, int i) {
  std::string tag(1, client);
  return tag += std::to_string(i);
}

TEST(ClientConcurrencyTest, TwoClientsInterleavingGetExactlyTheirOwnResults) {
  testing::TqdProcess tqd;
  Client a(tqd.endpoint());
  Client b(tqd.endpoint());
  std::vector<AsyncResult<std::vector<std::string>>> from_a, from_b;
  for (int i = 0; i < 500; ++i) {
    from_a.push_back(a.apply_async<std::vector<std::string>>("echo", Tag('a', i)));
    from_b.push_back(b.apply_async<std::vector<std::string>>("echo", Tag('b', i)));
  }
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(from_a[i].get(20s), std::vector<std::string>{Tag('a', i)});
    EXPECT_EQ(from_b[i].get(20s), std::vector<std::string>{Tag('b', i)});
  }
}

TEST(ClientConcurrencyTest, ThreadsSharingOneClientGetTheirOwnResults) {
  testing::TqdProcess tqd;
  Client client(tqd.endpoint());
  constexpr int kThreads = 8;
  constexpr int kCalls = 200;
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const int x = t * 100000 + i;
        if (client.apply<std::vector<int>>("echo", x) != std::vector<int>{x}) ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

TEST(ClientConcurrencyTest, ConcurrentMapsFromThreadsStayInOrder) {
  testing::TqdProcess tqd;
  Client client(tqd.endpoint());
  std::vector<std::thread> threads;
  std::vector<char> ok(4, 0);  // not vector<bool>: threads write neighbours
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<int> xs(1000);
      for (int i = 0; i < 1000; ++i) xs[i] = t * 1000 + i;
      const auto ys = client.map<std::vector<int>>("echo", xs, MapOptions{64});
      bool all = ys.size() == xs.size();
      for (std::size_t i = 0; all && i < xs.size(); ++i) all = ys[i] == std::vector<int>{xs[i]};
      ok[t] = all;
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_TRUE(ok[t]) << "thread " << t;
}

}  // namespace
}  // namespace tq
