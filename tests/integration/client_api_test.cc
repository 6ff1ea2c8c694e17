// libtq against a real tqd: apply, apply_async, map, imap_unordered,
// plugin functions, and every kind of error reaching the caller typed.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <tq/client.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <ranges>
#include <set>
#include <thread>

#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::TqdOptions;
using testing::TqdProcess;

using testing::WithExamplePlugin;

class ClientApiTest : public ::testing::Test {
 protected:
  TqdProcess tqd_{WithExamplePlugin()};
  Client client_{tqd_.endpoint()};
};

TEST_F(ClientApiTest, ApplyReturnsThePluginFunctionsValue) {
  EXPECT_EQ(client_.apply<long>("square", 12), 144);
  EXPECT_DOUBLE_EQ(client_.apply<double>("add", 1.25, 2.5), 3.75);
}

TEST_F(ClientApiTest, EchoReturnsItsArgumentsOfMixedTypes) {
  using Row = std::tuple<int, std::string, std::vector<int>>;
  const Row row = client_.apply<Row>("echo", 7, std::string("seven"), std::vector<int>{7, 7});
  EXPECT_EQ(row, Row(7, "seven", std::vector<int>{7, 7}));
}

TEST_F(ClientApiTest, ContainersConvertBothWays) {
  const auto counts =
      client_.apply<std::map<std::string, int>>("word_count", std::string("b a b"));
  EXPECT_EQ(counts, (std::map<std::string, int>{{"a", 1}, {"b", 2}}));
}

TEST_F(ClientApiTest, ApplyAsyncReturnsBeforeTheTaskEnds) {
  AsyncResult<void> slow = client_.apply_async<void>("sleep", 300);
  EXPECT_FALSE(slow.ready());
  EXPECT_THROW(slow.successful(), std::logic_error);
  slow.get(20s);
  EXPECT_TRUE(slow.ready());
  EXPECT_TRUE(slow.successful());
  EXPECT_GT(slow.task_id(), 0u);
}

TEST_F(ClientApiTest, GetWithTimeoutThrowsTimeoutErrorAndTheTaskGoesOn) {
  auto r = client_.apply_async<void>("sleep", 400);
  EXPECT_THROW(r.get(10ms), TimeoutError);
  EXPECT_NO_THROW(r.get(20s));
}

TEST_F(ClientApiTest, MapOfTenThousandReturnsResultsInInputOrder) {
  std::vector<long> xs(10000);
  std::iota(xs.begin(), xs.end(), 0);
  const std::vector<long> ys = client_.map<long>("square", xs, MapOptions{500});
  ASSERT_EQ(ys.size(), xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) ASSERT_EQ(ys[i], xs[i] * xs[i]) << i;
}

TEST_F(ClientApiTest, StarmapUnpacksTuplesIntoArguments) {
  std::vector<std::pair<double, double>> pairs{{1, 2}, {3, 4}};
  EXPECT_EQ(client_.starmap<double>("add", pairs), (std::vector<double>{3, 7}));
}

TEST_F(ClientApiTest, ImapUnorderedYieldsEveryInputOnceEvenFromATemporary) {
  std::set<std::size_t> seen;
  for (const auto& item : client_.imap_unordered<long>("inc", std::vector<long>{10, 20, 30})) {
    EXPECT_EQ(item.value(), 10 * static_cast<long>(item.index + 1) + 1);
    EXPECT_TRUE(seen.insert(item.index).second);
  }
  EXPECT_EQ(seen, (std::set<std::size_t>{0, 1, 2}));
}

TEST_F(ClientApiTest, ImapUnorderedYieldsFastTasksBeforeSlowOnes) {
  // Two workers: the 1 ms sleeps finish while the long one runs.
  std::vector<int> ms{1500, 1, 1, 1};
  std::vector<std::size_t> order;
  for (const auto& item : client_.imap_unordered<msgpack::type::nil_t>("sleep", ms)) {
    order.push_back(item.index);
  }
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ(order.back(), 0u);
}

TEST_F(ClientApiTest, RemoteExceptionArrivesWithItsTypeAndMessage) {
  try {
    client_.apply<double>("divide", 1.0, 0.0);
    FAIL() << "no exception";
  } catch (const RemoteError& e) {
    EXPECT_EQ(e.type(), "std::invalid_argument");
    EXPECT_EQ(e.message(), "division by zero");
    EXPECT_EQ(e.state(), TaskState::kFailed);
    EXPECT_NE(std::string(e.what()).find("division by zero"), std::string::npos);
  }
}

TEST_F(ClientApiTest, TaskErrorChoosesTheRemoteType) {
  try {
    client_.apply<double>("checked_sqrt", -1.0);
    FAIL() << "no exception";
  } catch (const RemoteError& e) {
    EXPECT_EQ(e.type(), "ValueError");
    EXPECT_EQ(e.message(), "math domain error");
  }
}

TEST_F(ClientApiTest, BuiltinFailRaisesRuntimeError) {
  try {
    client_.apply<int>("fail", std::string("boom"));
    FAIL() << "no exception";
  } catch (const RemoteError& e) {
    EXPECT_EQ(e.type(), "std::runtime_error");
    EXPECT_EQ(e.message(), "boom");
  }
}

TEST_F(ClientApiTest, AnErrorMessageArrivesAsUtf8WithEachMalformedByteReplaced) {
  // An overlong '/', a UTF-16 surrogate and a cut-short euro sign, then a
  // whole one: only the euro sign at the end is well formed.
  try {
    client_.apply<int>("fail", std::string("a\xc0\xaf b\xed\xa0\x80 c\xe2\x82 \xe2\x82\xac"));
    FAIL() << "no exception";
  } catch (const RemoteError& e) {
    EXPECT_EQ(e.message(), "a?? b??? c?? \xe2\x82\xac");
  }
}

TEST_F(ClientApiTest, WrongArgumentsFailWithBadArguments) {
  try {
    client_.apply<long>("square", std::string("seven"));
    FAIL() << "no exception";
  } catch (const RemoteError& e) {
    EXPECT_EQ(e.type(), "tq.BadArguments");
  }
  try {
    client_.apply<long>("square", 1, 2);
    FAIL() << "no exception";
  } catch (const RemoteError& e) {
    EXPECT_EQ(e.type(), "tq.BadArguments");
    EXPECT_NE(e.message().find("takes 1 argument"), std::string::npos);
  }
  try {
    client_.apply<int>("fail", -5);
    FAIL() << "no exception";
  } catch (const RemoteError& e) {
    EXPECT_EQ(e.message(), "argument 1 has the wrong type (got negative int)");
  }
}

TEST_F(ClientApiTest, UnknownFunctionIsRejectedWithItsCode) {
  try {
    client_.apply<int>("no_such_function");
    FAIL() << "no exception";
  } catch (const RejectedError& e) {
    EXPECT_EQ(e.code(), "UNKNOWN_FUNCTION");
    EXPECT_NE(std::string(e.what()).find("no_such_function"), std::string::npos);
  }
}

TEST_F(ClientApiTest, AValueOfAnotherTypeThrowsResultTypeError) {
  EXPECT_THROW(client_.apply<std::string>("square", 3), ResultTypeError);
}

TEST_F(ClientApiTest, ATypeMismatchNamesTheTypeAskedForAndTheValueThatCame) {
  auto what = [](auto&& call) {
    try {
      call();
    } catch (const ResultTypeError& e) {
      return std::string(e.what());
    }
    return std::string("no ResultTypeError");
  };
  const std::string square = what([&] { client_.apply<std::string>("square", 3); });
  EXPECT_NE(square.find(": expected std::string, got int 9"), std::string::npos) << square;
  EXPECT_EQ(square.find("bad_cast"), std::string::npos) << square;
  const std::string counts = what([&] { client_.apply<long>("word_count", std::string("a b")); });
  EXPECT_NE(counts.find("expected long, got map of 2"), std::string::npos) << counts;
  // Chunked items say which input it was.
  const std::string item = what([&] {
    client_.map<std::string>("square", std::vector<long>{1, 2}, {.chunksize = 2});
  });
  EXPECT_NE(item.find("item "), std::string::npos) << item;
  // Built only on failure (SplitOutcome's lazy context), still whole.
  EXPECT_NE(item.find("item 0 of task "), std::string::npos) << item;
  EXPECT_NE(item.find("expected std::string, got int"), std::string::npos) << item;
}

TEST_F(ClientApiTest, MapItemsGivesEveryInputItsOwnOutcomeInInputOrder) {
  const std::vector<double> xs{4, -1, 9, -4, 16};
  for (std::size_t chunksize : {1, 5}) {
    const std::vector<MapItem<double>> items =
        client_.map_items<double>("checked_sqrt", xs, {.chunksize = chunksize});
    ASSERT_EQ(items.size(), xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i) {
      EXPECT_EQ(items[i].index, i);
      EXPECT_EQ(items[i].ok(), xs[i] >= 0) << i;
      if (items[i].ok()) {
        EXPECT_DOUBLE_EQ(items[i].value(), std::sqrt(xs[i]));
        EXPECT_EQ(items[i].error(), nullptr);
        continue;
      }
      const auto* e = dynamic_cast<const RemoteError*>(items[i].error());
      ASSERT_NE(e, nullptr) << i;
      EXPECT_EQ(e->type(), "ValueError");
      EXPECT_THROW(items[i].value(), RemoteError);
      EXPECT_THROW(std::rethrow_exception(items[i].exception()), RemoteError);
    }
  }
  std::vector<std::pair<double, double>> pairs{{1, 2}, {3, 0}};
  const auto divided = client_.starmap_items<double>("divide", pairs);
  ASSERT_EQ(divided.size(), 2u);
  EXPECT_EQ(divided[0].value(), 0.5);
  EXPECT_FALSE(divided[1].ok());
}

TEST_F(ClientApiTest, ImapYieldsEveryInputInInputOrderWhateverFinishesFirst) {
  // The first sleep ends last; a failed input in the middle stops nothing.
  const std::vector<std::string> args{"300", "0", "oops", "50", "0"};
  std::vector<std::size_t> order;
  std::vector<bool> ok;
  for (const auto& item : client_.imap<msgpack::type::nil_t>(
           "sleep", args | std::views::transform([](const std::string& a) {
                      return a == "oops" ? msgpack::object() : msgpack::object(std::stoi(a));
                    }))) {
    order.push_back(item.index);
    ok.push_back(item.ok());
  }
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(ok, (std::vector<bool>{true, true, false, true, true}));
}

TEST_F(ClientApiTest, TheWindowCountsInputsInFlightNotTasks) {
  // A lazily read range: count how far ahead of the results it is read.
  std::vector<long> xs(20000);
  std::iota(xs.begin(), xs.end(), 0);
  std::size_t reads = 0;
  auto counted = xs | std::views::transform([&](long x) {
                   ++reads;
                   return x;
                 });
  for (std::size_t chunksize : {0, 1, 50}) {
    reads = 0;
    auto items = client_.imap_unordered<long>("square", counted,
                                             {.window = 400, .chunksize = chunksize});
    std::size_t seen = 0;
    while (auto item = items.next()) {
      // Every input read is either handed out already or in flight.
      ASSERT_LE(reads, seen + 400) << "chunksize " << chunksize;
      ++seen;
    }
    EXPECT_EQ(seen, xs.size());
  }
  // A chunk never holds more than the window.
  EXPECT_EQ(detail::ChunkSize({.window = 10, .chunksize = 100}, 1000), 10u);
  EXPECT_EQ(detail::ChunkSize({.window = 800}, 1000000), 0u);  // auto: <= 800 / 8
}

TEST_F(ClientApiTest, TheTaskIdIsThereRightAfterApplyAsync) {
  auto r = client_.apply_async<void>("sleep", 60000);
  const std::uint64_t id = r.task_id();
  ASSERT_NE(id, 0u);
  const TaskInfo info = client_.status(id);
  EXPECT_EQ(info.fn, "sleep");
  EXPECT_TRUE(info.state == TaskState::kQueued || info.state == TaskState::kRunning);
  client_.cancel(id);
  // A refused task has no id, and task_id() says so instead of blocking.
  EXPECT_EQ(client_.apply_async<int>("no_such_function").task_id(), 0u);
}

TEST_F(ClientApiTest, ACrashedWorkerLosesOnlyItsTaskAndIsReplaced) {
  try {
    client_.apply<int>("crash");
    FAIL() << "no exception";
  } catch (const RemoteError& e) {
    EXPECT_EQ(e.state(), TaskState::kLost);
    EXPECT_EQ(e.type(), "tq.WorkerLost");
    EXPECT_NE(e.message().find("SIGABRT"), std::string::npos) << e.message();
  }
  // The pool is whole again: two tasks run side by side.
  auto a = client_.apply_async<void>("sleep", 200);
  auto b = client_.apply_async<void>("sleep", 200);
  EXPECT_NO_THROW(a.get(20s));
  EXPECT_NO_THROW(b.get(20s));
  EXPECT_TRUE(testing::WaitFor([&] { return tqd_.WorkerPids().size() == 2; }));
}

TEST_F(ClientApiTest, CallbacksRunWithTheResult) {
  std::atomic<long> got{0};
  auto r = client_.apply_async<long>("square", 9);
  r.on_done([&](const AsyncResult<long>& done) { got = done.get(); });
  EXPECT_TRUE(testing::WaitFor([&] { return got.load() == 81; }));
  // Registered after the end: runs as well.
  std::atomic<bool> late{false};
  r.on_done([&](const AsyncResult<long>&) { late = true; });
  EXPECT_TRUE(testing::WaitFor([&] { return late.load(); }));
}

TEST(ClientCallbackTest, AThrowingCallbackNeitherWedgesTheClientNorLosesResults) {
  TqdProcess tqd(WithExamplePlugin());
  std::atomic<int> errors{0};
  ClientOptions options;
  options.endpoint = tqd.endpoint();
  options.on_callback_error = [&](std::exception_ptr) { ++errors; };
  Client client(options);
  std::atomic<int> ran{0};
  std::vector<AsyncResult<long>> results;
  for (int i = 0; i < 50; ++i) {
    results.push_back(client.apply_async<long>("square", i));
    results.back().on_done([&](const AsyncResult<long>&) {
      ++ran;
      throw std::runtime_error("callback bug");
    });
  }
  for (int i = 0; i < 50; ++i) EXPECT_EQ(results[i].get(20s), i * i);
  EXPECT_TRUE(testing::WaitFor([&] { return ran.load() == 50 && errors.load() == 50; }));
  // A callback may itself use the client.
  std::atomic<long> nested{0};
  client.apply_async<long>("square", 3).on_done(
      [&](const AsyncResult<long>& r) { nested = client.apply<long>("inc", r.get()); });
  EXPECT_TRUE(testing::WaitFor([&] { return nested.load() == 10; }));
}

TEST(ClientConnectionTest, NoSocketFileFailsWithoutWaitingForTheConnectTimeout) {
  testing::TempDir dir;
  ClientOptions options;
  options.endpoint = "ipc://" + dir.File("nobody.sock");
  options.connect_timeout = std::chrono::hours(1);  // would outlast the test
  Client client(options);
  try {
    client.apply<int>("echo");
    FAIL() << "no exception";
  } catch (const ConnectionError& e) {
    EXPECT_EQ(std::string(e.what()),
              "no tqd at " + dir.File("nobody.sock") + " (is tqd running?)");
  }
}

TEST(ClientConnectionTest, PingWaitsForATqdStartedAfterIt) {
  // The way a script waits for the tqd it just started.
  TqdOptions later = WithExamplePlugin();
  testing::TempDir dir;
  later.endpoint = "ipc://" + dir.File("later.sock");
  Client client(ClientOptions{.endpoint = later.endpoint, .connect_timeout = 20s});
  std::optional<ServerInfo> info;
  std::thread pinger([&] { info = client.ping(); });
  TqdProcess tqd(later);
  pinger.join();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->pid, static_cast<std::uint32_t>(tqd.pid()));
  EXPECT_EQ(client.apply<long>("square", 4), 16);
  // With no tqd at all, ping gives up after the connect timeout.
  Client nobody(ClientOptions{.endpoint = "ipc://" + dir.File("nobody.sock"),
                              .connect_timeout = 100ms});
  EXPECT_THROW(nobody.ping(), ConnectionError);
}

TEST(ClientConnectionTest, ASocketThatDoesNotAnswerFailsAfterTheConnectTimeout) {
  // A socket file left behind by a process that is gone: it exists, and
  // every connect to it is refused.
  testing::TempDir dir;
  const std::string path = dir.File("stale.sock");
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
  Client client(ClientOptions{.endpoint = "ipc://" + path, .connect_timeout = 300ms});
  try {
    client.apply<int>("echo");
    FAIL() << "no exception";
  } catch (const ConnectionError& e) {
    EXPECT_NE(std::string(e.what()).find("no connection within 300 ms"), std::string::npos)
        << e.what();
  }
}

TEST(ClientBackpressureTest, MaxInFlightMakesApplyAsyncWaitInsteadOfOverflowingTheQueue) {
  // One worker and room for two queued tasks: a third unfinished task of
  // this client's would be refused with QUEUE_FULL.
  TqdOptions small = WithExamplePlugin();
  small.workers = 1;
  small.extra_args.insert(small.extra_args.end(), {"--max-queued", "2"});
  TqdProcess tqd(small);
  auto submit_all = [&](std::size_t max_in_flight) {
    Client client(ClientOptions{.endpoint = tqd.endpoint(), .max_in_flight = max_in_flight});
    std::vector<AsyncResult<void>> results;
    for (int i = 0; i < 40; ++i) results.push_back(client.apply_async<void>("sleep", 5));
    int refused = 0;
    for (auto& r : results) {
      try {
        r.get();
      } catch (const QueueFullError&) {
        ++refused;
      }
    }
    return refused;
  };
  EXPECT_EQ(submit_all(2), 0);
  // Without the cap the same burst overflows (the test of the test).
  EXPECT_GT(submit_all(0), 0);
}

TEST(ClientConnectionTest, AnInvalidEndpointIsAConnectionError) {
  ClientOptions options;
  options.endpoint = "carrier-pigeon://home";
  EXPECT_THROW(Client{options}, ConnectionError);
}

TEST(ClientConnectionTest, PendingCallsFailWhenTqdDiesAndANewTqdIsPickedUp) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  auto pending = client.apply_async<void>("sleep", 60000);
  ASSERT_TRUE(testing::WaitFor([&] { return pending.task_id() != 0; }));
  tqd.Kill(SIGKILL);
  EXPECT_THROW(pending.get(20s), ConnectionError);

  TqdOptions again;
  again.endpoint = tqd.endpoint();
  TqdProcess successor(again);
  EXPECT_EQ(client.apply<std::vector<int>>("echo", 5), std::vector<int>{5});
}

TEST(ClientConnectionTest, ArgsOverTheLimitAreRejectedBeforeSending) {
  TqdProcess tqd;
  Client client(tqd.endpoint());
  const std::string big(49 * 1024 * 1024, 'x');
  try {
    client.apply<int>("echo", big);
    FAIL() << "no exception";
  } catch (const RejectedError& e) {
    EXPECT_EQ(e.code(), "TOO_LARGE");
  }
  EXPECT_EQ(client.ping().workers, 2u);
}

}  // namespace
}  // namespace tq
