// The metrics endpoint: its address, the requests it understands and its
// answers (pure), then the endpoint itself on a real ZMQ_STREAM socket with
// real TCP clients, time from a FakeClock.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/fd.h"
#include "metrics_endpoint.h"
#include "metrics_http.h"
#include "testing/fake_clock.h"
#include "testing/wait_for.h"

namespace tq::daemon {
namespace {

using namespace std::chrono_literals;
using Kind = HttpRequest::Kind;

// ---- the address

TEST(MetricsAddressTest, TakesIpv4Ipv6AndEveryInterface) {
  bool ipv6 = true;
  EXPECT_EQ(MetricsBindEndpoint("127.0.0.1:9464", &ipv6).value(), "tcp://127.0.0.1:9464");
  EXPECT_FALSE(ipv6);
  EXPECT_EQ(MetricsBindEndpoint("[::1]:0", &ipv6).value(), "tcp://[::1]:0");
  EXPECT_TRUE(ipv6);
  EXPECT_EQ(MetricsBindEndpoint("*:9464", &ipv6).value(), "tcp://*:9464");
}

TEST(MetricsAddressTest, RefusesWhatIsNotHostColonPortWithASentence) {
  bool ipv6 = false;
  for (const char* bad : {"9464", "localhost:9464", "127.0.0.1:", "127.0.0.1:65536",
                          "127.0.0.1:9x", "[::1:9464", "[nope]:1", ":9464"}) {
    const auto r = MetricsBindEndpoint(bad, &ipv6);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), proto::ErrorCode::kConfig);
    EXPECT_NE(r.status().message().find("metrics: '" + std::string(bad) + "'"),
              std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find("give HOST:PORT"), std::string::npos);
  }
}

// ---- requests and answers

TEST(HttpRequestTest, IsIncompleteUntilTheBlankLineAfterTheHeaders) {
  EXPECT_EQ(ParseHttpRequest("").kind, Kind::kIncomplete);
  EXPECT_EQ(ParseHttpRequest("GET /metrics HTTP/1.1\r\nHost: x\r\n").kind, Kind::kIncomplete);
  const HttpRequest r = ParseHttpRequest("GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.kind, Kind::kComplete);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/metrics");
  EXPECT_EQ(ParseHttpRequest("GET /metrics HTTP/1.0\n\n").kind, Kind::kComplete);
}

TEST(HttpRequestTest, CallsAnythingButAnHttp1RequestLineMalformed) {
  for (const char* bad : {"\r\n\r\n", "GET\r\n\r\n", "GET /metrics\r\n\r\n",
                          "GET /metrics HTTP/2\r\n\r\n", "GET metrics HTTP/1.1\r\n\r\n",
                          "get /metrics HTTP/1.1\r\n\r\n", "GET  /metrics HTTP/1.1\r\n\r\n",
                          "\x16\x03\x01\x02\x05\x01\x05\x01\xfc\x03\x03\n\n"}) {
    EXPECT_EQ(ParseHttpRequest(bad).kind, Kind::kMalformed) << bad;
  }
}

TEST(HttpRequestTest, AnswersGetAndHeadOfMetricsOnly) {
  int pages = 0;
  const auto page = [&] {
    ++pages;
    return std::string("tq_up 1\n");
  };
  const std::string ok = AnswerMetricsRequest(ParseHttpRequest("GET /metrics HTTP/1.1\n\n"), page);
  EXPECT_EQ(ok,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Content-Length: 8\r\nConnection: close\r\n\r\ntq_up 1\n");
  const std::string head =
      AnswerMetricsRequest(ParseHttpRequest("HEAD /metrics HTTP/1.1\n\n"), page);
  EXPECT_NE(head.find("Content-Length: 8\r\n"), std::string::npos);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");  // no body
  EXPECT_EQ(pages, 2);
  const std::string missing = AnswerMetricsRequest(ParseHttpRequest("GET / HTTP/1.1\n\n"), page);
  EXPECT_EQ(missing.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u);
  const std::string post = AnswerMetricsRequest(ParseHttpRequest("POST /metrics HTTP/1.1\n\n"), page);
  EXPECT_EQ(post.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u);
  EXPECT_NE(post.find("Allow: GET, HEAD\r\n"), std::string::npos);
  const std::string bad = AnswerMetricsRequest(ParseHttpRequest("hello\n\n"), page);
  EXPECT_EQ(bad.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
  EXPECT_EQ(pages, 2);  // the page is made only when it is sent
}

// ---- the endpoint, over real TCP

class MetricsEndpointTest : public ::testing::Test {
 protected:
  MetricsEndpointTest() {
    auto e = MetricsEndpoint::Bind(context_, "127.0.0.1:0", clock_, [this] {
      ++pages_;
      return std::string("tq_queue_depth 0\n");
    });
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    endpoint_.emplace(std::move(*e));
    const std::string& url = endpoint_->url();  // http://127.0.0.1:PORT/metrics
    port_ = std::stoi(url.substr(url.rfind(':') + 1));
  }

  base::Fd Connect() {
    base::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port_));
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return fd;
  }

  // Serves until `fd`'s peer closes; returns what came back.
  std::string ServeUntilClosed(int fd, std::chrono::milliseconds deadline = 20s) {
    std::string got;
    const bool closed = testing::WaitFor("the endpoint to answer and close", [&] {
      endpoint_->OnReadable();
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 1) <= 0) return false;
      char buf[4096];
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) got.append(buf, static_cast<std::size_t>(n));
      return n == 0;
    }, deadline);
    EXPECT_TRUE(closed) << got;
    return got;
  }

  static void Write(int fd, std::string_view bytes) {
    ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }

  zmq::context_t context_{1};
  testing::FakeClock clock_;
  std::optional<MetricsEndpoint> endpoint_;
  int port_ = 0;
  int pages_ = 0;
};

TEST_F(MetricsEndpointTest, AnswersAScrapeAndClosesTheConnection) {
  base::Fd c = Connect();
  Write(c.get(), "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n");
  const std::string got = ServeUntilClosed(c.get());
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
  EXPECT_EQ(got.substr(got.find("\r\n\r\n") + 4), "tq_queue_depth 0\n");
  EXPECT_EQ(pages_, 1);
  EXPECT_EQ(endpoint_->connections(), 0u);
}

TEST_F(MetricsEndpointTest, PutsARequestTogetherFromPiecesSentApart) {
  base::Fd c = Connect();
  Write(c.get(), "GET /metr");
  ASSERT_TRUE(testing::WaitFor([&] {
    endpoint_->OnReadable();
    return endpoint_->connections() == 1;
  }));
  Write(c.get(), "ics HTTP/1.1\r\n");
  Write(c.get(), "\r\n");
  EXPECT_EQ(ServeUntilClosed(c.get()).rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
}

TEST_F(MetricsEndpointTest, RefusesARequestOverItsLimit) {
  base::Fd c = Connect();
  Write(c.get(), "GET /metrics HTTP/1.1\r\nX-Pad: " + std::string(9000, 'a'));
  const std::string got = ServeUntilClosed(c.get());
  EXPECT_EQ(got.rfind("HTTP/1.1 431 ", 0), 0u) << got;
  EXPECT_EQ(pages_, 0);
}

TEST_F(MetricsEndpointTest, TimesOutAClientThatNeverFinishesItsRequest) {
  base::Fd c = Connect();
  Write(c.get(), "GET /metrics HTTP/1.1\r\n");
  ASSERT_TRUE(testing::WaitFor([&] {
    endpoint_->OnReadable();
    return endpoint_->connections() == 1;
  }));
  ASSERT_TRUE(endpoint_->NextDeadline().has_value());
  EXPECT_EQ(*endpoint_->NextDeadline(), clock_.Now() + MetricsEndpoint::kRequestTimeout);
  clock_.Advance(MetricsEndpoint::kRequestTimeout - 1ms);
  endpoint_->RunExpired();
  EXPECT_EQ(endpoint_->connections(), 1u);
  clock_.Advance(1ms);
  endpoint_->RunExpired();
  EXPECT_EQ(endpoint_->connections(), 0u);
  EXPECT_FALSE(endpoint_->NextDeadline().has_value());
  EXPECT_EQ(ServeUntilClosed(c.get()).rfind("HTTP/1.1 408 ", 0), 0u);
}

TEST_F(MetricsEndpointTest, ClosesConnectionsBeyondItsLimitAndStillServesTheRest) {
  std::vector<base::Fd> idle;
  for (std::size_t i = 0; i < MetricsEndpoint::kMaxConnections; ++i) idle.push_back(Connect());
  ASSERT_TRUE(testing::WaitFor([&] {
    endpoint_->OnReadable();
    return endpoint_->connections() == MetricsEndpoint::kMaxConnections;
  }));
  base::Fd extra = Connect();
  EXPECT_EQ(ServeUntilClosed(extra.get()), "");  // closed at once, unanswered
  EXPECT_EQ(endpoint_->connections(), MetricsEndpoint::kMaxConnections);
  Write(idle[3].get(), "GET /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(ServeUntilClosed(idle[3].get()).rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
}

TEST_F(MetricsEndpointTest, ForgetsAClientThatHangsUp) {
  {
    base::Fd c = Connect();
    Write(c.get(), "GET /met");
    ASSERT_TRUE(testing::WaitFor([&] {
      endpoint_->OnReadable();
      return endpoint_->connections() == 1;
    }));
  }
  ASSERT_TRUE(testing::WaitFor([&] {
    endpoint_->OnReadable();
    return endpoint_->connections() == 0;
  }));
}

TEST(MetricsEndpointBindTest, SaysWhyAnAddressCannotBeBound) {
  zmq::context_t context(1);
  testing::FakeClock clock;
  auto first = MetricsEndpoint::Bind(context, "127.0.0.1:0", clock, [] { return ""; });
  ASSERT_TRUE(first.ok());
  const std::string taken = first->url().substr(7, first->url().size() - 7 - 8);  // HOST:PORT
  auto second = MetricsEndpoint::Bind(context, taken, clock, [] { return ""; });
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), proto::ErrorCode::kIo);
  EXPECT_EQ(second.status().message(),
            "metrics: cannot listen on " + taken + ": Address already in use");
}

}  // namespace
}  // namespace tq::daemon
