// The bytes on the wire, pinned: every message kind with every optional
// field unset, each one set alone, and all of them set, encoded to the exact
// bytes protocol v1 has always sent, and decoded back to a message that
// encodes to the same bytes again. A map entry count that disagreed with the
// fields written (a field forgotten in the count, or a count kept for a
// field that was not written) fails both halves: the bytes differ, and the
// decoder finds a truncated map or trailing bytes.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "tq/proto/codec.h"

namespace tq::proto {
namespace {

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (!out.empty()) out += ' ';
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0f];
  }
  return out;
}

// Which Decoder method reads a message, by who receives it.
enum class Reader {
  kTqdFromClient,
  kClientFromTqd,
  kTqdFromWorker,
  kWorkerFromTqd,
  kTqdFromAgent,
  kAgentFromTqd,
};

struct WireCase {
  std::string name;
  std::function<void(Buffer&)> encode;
  Reader reader;
  std::string hex;  // what encode writes
};

template <typename M>
WireCase Case(std::string name, M m, Reader reader, std::string hex) {
  return {std::move(name), [m](Buffer& out) { Encode(m, out); }, reader, std::move(hex)};
}

// Decodes `frame` with `reader` and encodes the message again.
Result<std::string> Reencode(Reader reader, std::string_view frame) {
  Decoder decoder;
  Buffer out;
  auto encode = [&](const auto& m) { Encode(m, out); };
  auto visit = [&](auto&& r) -> Result<std::string> {
    if (!r.ok()) return r.status();
    if constexpr (std::is_same_v<std::decay_t<decltype(r.value())>, TaskAssignment>) {
      encode(r.value());
    } else {
      std::visit(encode, r.value());
    }
    return std::string(out.view());
  };
  switch (reader) {
    case Reader::kTqdFromClient: return visit(decoder.DecodeClient(frame));
    case Reader::kClientFromTqd: return visit(decoder.DecodeDaemon(frame));
    case Reader::kTqdFromWorker: return visit(decoder.DecodeFromWorker(frame));
    case Reader::kWorkerFromTqd: return visit(decoder.DecodeTask(frame));
    case Reader::kTqdFromAgent: return visit(decoder.DecodeFromAgent(frame));
    case Reader::kAgentFromTqd: return visit(decoder.DecodeToAgent(frame));
  }
  return Status(ErrorCode::kInternal, "unknown reader");
}

ErrorInfo FullError() {
  return {.type = "tq.TimedOut", .message = "timed out", .cause = "timeout", .pid = 4121,
          .exit_code = -3, .signal = 9, .rss_bytes = 1 << 20, .timeout_ms = 2000,
          .stack = "#0 f"};
}

ErrorInfo ErrorWith(auto set) {
  ErrorInfo e{.type = "E", .message = "m"};
  set(e);
  return e;
}

std::vector<WireCase> Cases() {
  using R = Reader;
  std::vector<WireCase> c;
  const std::string_view args = "\x92\x01\xa1\x61";  // static: cases keep views
  // ---- client -> tqd
  c.push_back(Case("submit", SubmitRequest{.request_id = 7, .fn = "echo", .args = args},
                   R::kTqdFromClient, "85 a1 76 01 a4 6b 69 6e 64 a6 73 75 62 6d 69 74 a3 72 "
                                      "65 71 07 a2 66 6e a4 65 63 68 6f a4 61 72 67 73 c4 04 "
                                      "92 01 a1 61"));
  c.push_back(Case("submit without args", SubmitRequest{.request_id = 1, .fn = "f"},
                   R::kTqdFromClient, "85 a1 76 01 a4 6b 69 6e 64 a6 73 75 62 6d 69 74 a3 72 "
                                      "65 71 01 a2 66 6e a1 66 a4 61 72 67 73 c4 01 90"));
  auto submit_with = [&](std::string name, auto set, std::string hex) {
    SubmitRequest m{.request_id = 2, .fn = "f", .args = "\x90"};
    set(m);
    c.push_back(Case("submit with " + name, m, R::kTqdFromClient, std::move(hex)));
  };
  submit_with("priority", [](SubmitRequest& m) { m.priority = -1000; },
              "86 a1 76 01 a4 6b 69 6e 64 a6 73 75 62 6d 69 74 a3 72 65 71 02 a8 70 72 69 6f "
              "72 69 74 79 d1 fc 18 a2 66 6e a1 66 a4 61 72 67 73 c4 01 90");
  submit_with("timeout_ms", [](SubmitRequest& m) { m.timeout_ms = 2000; },
              "86 a1 76 01 a4 6b 69 6e 64 a6 73 75 62 6d 69 74 a3 72 65 71 02 aa 74 69 6d 65 "
              "6f 75 74 5f 6d 73 cd 07 d0 a2 66 6e a1 66 a4 61 72 67 73 c4 01 90");
  submit_with("delay_ms", [](SubmitRequest& m) { m.delay_ms = 10; },
              "86 a1 76 01 a4 6b 69 6e 64 a6 73 75 62 6d 69 74 a3 72 65 71 02 a8 64 65 6c 61 "
              "79 5f 6d 73 0a a2 66 6e a1 66 a4 61 72 67 73 c4 01 90");
  submit_with("max_retries", [](SubmitRequest& m) { m.max_retries = 100; },
              "86 a1 76 01 a4 6b 69 6e 64 a6 73 75 62 6d 69 74 a3 72 65 71 02 ab 6d 61 78 5f "
              "72 65 74 72 69 65 73 64 a2 66 6e a1 66 a4 61 72 67 73 c4 01 90");
  submit_with("retry_on failed", [](SubmitRequest& m) { m.retry_on = kRetryFailed; },
              "86 a1 76 01 a4 6b 69 6e 64 a6 73 75 62 6d 69 74 a3 72 65 71 02 a8 72 65 74 72 "
              "79 5f 6f 6e 91 a6 66 61 69 6c 65 64 a2 66 6e a1 66 a4 61 72 67 73 c4 01 90");
  submit_with("retry_on lost", [](SubmitRequest& m) { m.retry_on = kRetryLost; },
              "86 a1 76 01 a4 6b 69 6e 64 a6 73 75 62 6d 69 74 a3 72 65 71 02 a8 72 65 74 72 "
              "79 5f 6f 6e 91 a4 6c 6f 73 74 a2 66 6e a1 66 a4 61 72 67 73 c4 01 90");
  submit_with("retry_on timed_out", [](SubmitRequest& m) { m.retry_on = kRetryTimedOut; },
              "86 a1 76 01 a4 6b 69 6e 64 a6 73 75 62 6d 69 74 a3 72 65 71 02 a8 72 65 74 72 "
              "79 5f 6f 6e 91 a9 74 69 6d 65 64 5f 6f 75 74 a2 66 6e a1 66 a4 61 72 67 73 c4 "
              "01 90");
  submit_with("retry_backoff_ms", [](SubmitRequest& m) { m.retry_backoff_ms = 100; },
              "86 a1 76 01 a4 6b 69 6e 64 a6 73 75 62 6d 69 74 a3 72 65 71 02 b0 72 65 74 72 "
              "79 5f 62 61 63 6b 6f 66 66 5f 6d 73 64 a2 66 6e a1 66 a4 61 72 67 73 c4 01 90");
  submit_with("key", [](SubmitRequest& m) { m.key = "job-42"; },
              "86 a1 76 01 a4 6b 69 6e 64 a6 73 75 62 6d 69 74 a3 72 65 71 02 a3 6b 65 79 a6 "
              "6a 6f 62 2d 34 32 a2 66 6e a1 66 a4 61 72 67 73 c4 01 90");
  submit_with("chunk", [](SubmitRequest& m) { m.chunk = true; },
              "86 a1 76 01 a4 6b 69 6e 64 a6 73 75 62 6d 69 74 a3 72 65 71 02 a5 63 68 75 6e "
              "6b c3 a2 66 6e a1 66 a4 61 72 67 73 c4 01 90");
  submit_with("ack off", [](SubmitRequest& m) { m.ack = false; },
              "86 a1 76 01 a4 6b 69 6e 64 a6 73 75 62 6d 69 74 a3 72 65 71 02 a3 61 63 6b c2 "
              "a2 66 6e a1 66 a4 61 72 67 73 c4 01 90");
  submit_with("every option", [](SubmitRequest& m) {
    m.priority = 1000;
    m.timeout_ms = UINT32_MAX + 1ull;
    m.delay_ms = 1;
    m.max_retries = 3;
    m.retry_on = kRetryFailed | kRetryLost | kRetryTimedOut;
    m.retry_backoff_ms = 65536;
    m.key = "k";
    m.chunk = true;
  }, "8d a1 76 01 a4 6b 69 6e 64 a6 73 75 62 6d 69 74 a3 72 65 71 02 a8 70 72 69 6f 72 69 74 "
     "79 cd 03 e8 aa 74 69 6d 65 6f 75 74 5f 6d 73 cf 00 00 00 01 00 00 00 00 a8 64 65 6c 61 "
     "79 5f 6d 73 01 ab 6d 61 78 5f 72 65 74 72 69 65 73 03 a8 72 65 74 72 79 5f 6f 6e 93 a6 "
     "66 61 69 6c 65 64 a4 6c 6f 73 74 a9 74 69 6d 65 64 5f 6f 75 74 b0 72 65 74 72 79 5f 62 "
     "61 63 6b 6f 66 66 5f 6d 73 ce 00 01 00 00 a3 6b 65 79 a1 6b a5 63 68 75 6e 6b c3 a2 66 "
     "6e a1 66 a4 61 72 67 73 c4 01 90");
  c.push_back(Case("ping", PingRequest{.request_id = UINT64_MAX}, R::kTqdFromClient,
                   "83 a1 76 01 a4 6b 69 6e 64 a4 70 69 6e 67 a3 72 65 71 cf ff ff ff ff ff ff "
                   "ff ff"));
  auto task_request = [&](TaskVerb verb, std::string hex) {
    c.push_back(Case(std::string(TaskVerbName(verb)),
                     TaskRequest{.request_id = 10, .verb = verb, .task_id = 300},
                     R::kTqdFromClient, std::move(hex)));
  };
  task_request(TaskVerb::kCancel, "84 a1 76 01 a4 6b 69 6e 64 a6 63 61 6e 63 65 6c a3 72 65 71 "
                                  "0a a4 74 61 73 6b cd 01 2c");
  task_request(TaskVerb::kKick, "84 a1 76 01 a4 6b 69 6e 64 a4 6b 69 63 6b a3 72 65 71 0a a4 "
                                "74 61 73 6b cd 01 2c");
  task_request(TaskVerb::kStatus, "84 a1 76 01 a4 6b 69 6e 64 a6 73 74 61 74 75 73 a3 72 65 71 "
                                  "0a a4 74 61 73 6b cd 01 2c");
  task_request(TaskVerb::kWait, "84 a1 76 01 a4 6b 69 6e 64 a4 77 61 69 74 a3 72 65 71 0a a4 "
                                "74 61 73 6b cd 01 2c");
  c.push_back(Case("workers", ListRequest{.request_id = 1, .what = Listing::kWorkers},
                   R::kTqdFromClient, "83 a1 76 01 a4 6b 69 6e 64 a7 77 6f 72 6b 65 72 73 a3 "
                                      "72 65 71 01"));
  c.push_back(Case("stats", ListRequest{.request_id = 2, .what = Listing::kStats},
                   R::kTqdFromClient, "83 a1 76 01 a4 6b 69 6e 64 a5 73 74 61 74 73 a3 72 65 "
                                      "71 02"));
  c.push_back(Case("metrics", ListRequest{.request_id = 3, .what = Listing::kMetrics},
                   R::kTqdFromClient,
                   "83 a1 76 01 a4 6b 69 6e 64 a7 6d 65 74 72 69 63 73 a3 72 65 71 03"));

  // ---- tqd -> client
  c.push_back(Case("accepted", Accepted{.request_id = 7, .task_id = 1}, R::kClientFromTqd,
                   "84 a1 76 01 a4 6b 69 6e 64 a8 61 63 63 65 70 74 65 64 a3 72 65 71 07 a4 74 "
                   "61 73 6b 01"));
  c.push_back(Case("accepted duplicate", Accepted{.request_id = 7, .task_id = 1, .duplicate = true},
                   R::kClientFromTqd, "85 a1 76 01 a4 6b 69 6e 64 a8 61 63 63 65 70 74 65 64 "
                                      "a3 72 65 71 07 a4 74 61 73 6b 01 a9 64 75 70 6c 69 63 "
                                      "61 74 65 c3"));
  c.push_back(Case("result done",
                   TaskResult{.request_id = 7, .task_id = 1, .state = TaskState::kDone,
                              .attempts = 1, .value = args},
                   R::kClientFromTqd, "87 a1 76 01 a4 6b 69 6e 64 a6 72 65 73 75 6c 74 a3 72 "
                                      "65 71 07 a4 74 61 73 6b 01 a8 61 74 74 65 6d 70 74 73 "
                                      "01 a5 73 74 61 74 65 a4 64 6f 6e 65 a5 76 61 6c 75 65 "
                                      "c4 04 92 01 a1 61"));
  c.push_back(Case("result failed",
                   TaskResult{.request_id = 3, .task_id = 3, .state = TaskState::kFailed,
                              .error = {.type = "std::runtime_error", .message = "boom"}},
                   R::kClientFromTqd, "87 a1 76 01 a4 6b 69 6e 64 a6 72 65 73 75 6c 74 a3 72 "
                                      "65 71 03 a4 74 61 73 6b 03 a8 61 74 74 65 6d 70 74 73 "
                                      "00 a5 73 74 61 74 65 a6 66 61 69 6c 65 64 a5 65 72 72 "
                                      "6f 72 82 a4 74 79 70 65 b2 73 74 64 3a 3a 72 75 6e 74 "
                                      "69 6d 65 5f 65 72 72 6f 72 a7 6d 65 73 73 61 67 65 a4 "
                                      "62 6f 6f 6d"));
  // {"v":1, "kind":"result", "req":4, "task":9, "attempts":2, "state":"lost", "error":
  const std::string lost =
      "87 a1 76 01 a4 6b 69 6e 64 a6 72 65 73 75 6c 74 a3 72 65 71 04 a4 74 61 73 6b 09 "
      "a8 61 74 74 65 6d 70 74 73 02 a5 73 74 61 74 65 a4 6c 6f 73 74 a5 65 72 72 6f 72 ";
  // ...and an error map of three entries: "type":"E", "message":"m", and `cause_hex`.
  const std::string error_of_three = "83 a4 74 79 70 65 a1 45 a7 6d 65 73 73 61 67 65 a1 6d ";
  auto lost_with = [&](std::string name, const ErrorInfo& error, std::string cause_hex) {
    c.push_back(Case("result lost with " + name,
                     TaskResult{.request_id = 4, .task_id = 9, .state = TaskState::kLost,
                                .attempts = 2, .error = error},
                     R::kClientFromTqd, lost + error_of_three + cause_hex));
  };
  lost_with("cause", ErrorWith([](ErrorInfo& e) { e.cause = "exit"; }),
            "a5 63 61 75 73 65 a4 65 78 69 74");
  lost_with("pid", ErrorWith([](ErrorInfo& e) { e.pid = 7; }),
            "a3 70 69 64 07");
  lost_with("exit_code", ErrorWith([](ErrorInfo& e) { e.exit_code = 0; }),
            "a9 65 78 69 74 5f 63 6f 64 65 00");
  lost_with("signal", ErrorWith([](ErrorInfo& e) { e.signal = 6; }),
            "a6 73 69 67 6e 61 6c 06");
  lost_with("rss_bytes", ErrorWith([](ErrorInfo& e) { e.rss_bytes = 1; }),
            "a9 72 73 73 5f 62 79 74 65 73 01");
  lost_with("timeout_ms", ErrorWith([](ErrorInfo& e) { e.timeout_ms = 1; }),
            "aa 74 69 6d 65 6f 75 74 5f 6d 73 01");
  lost_with("stack", ErrorWith([](ErrorInfo& e) { e.stack = "s"; }),
            "a5 73 74 61 63 6b a1 73");
  c.push_back(Case("result timed_out with every cause field",
                   TaskResult{.request_id = 13, .task_id = 4, .state = TaskState::kTimedOut,
                              .attempts = 2, .error = FullError()},
                   R::kClientFromTqd, "87 a1 76 01 a4 6b 69 6e 64 a6 72 65 73 75 6c 74 a3 72 "
                                      "65 71 0d a4 74 61 73 6b 04 a8 61 74 74 65 6d 70 74 73 "
                                      "02 a5 73 74 61 74 65 a9 74 69 6d 65 64 5f 6f 75 74 a5 "
                                      "65 72 72 6f 72 89 a4 74 79 70 65 ab 74 71 2e 54 69 6d "
                                      "65 64 4f 75 74 a7 6d 65 73 73 61 67 65 a9 74 69 6d 65 "
                                      "64 20 6f 75 74 a5 63 61 75 73 65 a7 74 69 6d 65 6f 75 "
                                      "74 a3 70 69 64 cd 10 19 a9 65 78 69 74 5f 63 6f 64 65 "
                                      "fd a6 73 69 67 6e 61 6c 09 a9 72 73 73 5f 62 79 74 65 "
                                      "73 ce 00 10 00 00 aa 74 69 6d 65 6f 75 74 5f 6d 73 cd "
                                      "07 d0 a5 73 74 61 63 6b a4 23 30 20 66"));
  const TaskStatus status{.request_id = 12, .task_id = 3, .state = TaskState::kRunning,
                          .fn = "sleep", .priority = -1, .attempts = 1, .worker_pid = 4121,
                          .queued_at_ms = 1700000000000, .started_at_ms = 1700000000005};
  c.push_back(Case("task_status", status, R::kClientFromTqd, "8c a1 76 01 a4 6b 69 6e 64 ab 74 "
                                                             "61 73 6b 5f 73 74 61 74 75 73 a3 "
                                                             "72 65 71 0c a4 74 61 73 6b 03 a5 "
                                                             "73 74 61 74 65 a7 72 75 6e 6e 69 "
                                                             "6e 67 a2 66 6e a5 73 6c 65 65 70 "
                                                             "a8 70 72 69 6f 72 69 74 79 ff a8 "
                                                             "61 74 74 65 6d 70 74 73 01 aa 77 "
                                                             "6f 72 6b 65 72 5f 70 69 64 cd 10 "
                                                             "19 ac 71 75 65 75 65 64 5f 61 74 "
                                                             "5f 6d 73 cf 00 00 01 8b cf e5 68 "
                                                             "00 ad 73 74 61 72 74 65 64 5f 61 "
                                                             "74 5f 6d 73 cf 00 00 01 8b cf e5 "
                                                             "68 05 ae 66 69 6e 69 73 68 65 64 "
                                                             "5f 61 74 5f 6d 73 00"));
  TaskStatus failed_status = status;
  failed_status.state = TaskState::kFailed;
  failed_status.finished_at_ms = 1700000000009;
  failed_status.error = ErrorInfo{.type = "E", .message = "m"};
  c.push_back(Case("task_status with error", failed_status, R::kClientFromTqd,
                   "8d a1 76 01 a4 6b 69 6e 64 ab 74 61 73 6b 5f 73 74 61 74 75 73 a3 72 65 71 "
                   "0c a4 74 61 73 6b 03 a5 73 74 61 74 65 a6 66 61 69 6c 65 64 a2 66 6e a5 73 "
                   "6c 65 65 70 a8 70 72 69 6f 72 69 74 79 ff a8 61 74 74 65 6d 70 74 73 01 aa "
                   "77 6f 72 6b 65 72 5f 70 69 64 cd 10 19 ac 71 75 65 75 65 64 5f 61 74 5f 6d "
                   "73 cf 00 00 01 8b cf e5 68 00 ad 73 74 61 72 74 65 64 5f 61 74 5f 6d 73 cf "
                   "00 00 01 8b cf e5 68 05 ae 66 69 6e 69 73 68 65 64 5f 61 74 5f 6d 73 cf 00 "
                   "00 01 8b cf e5 68 09 a5 65 72 72 6f 72 82 a4 74 79 70 65 a1 45 a7 6d 65 73 "
                   "73 61 67 65 a1 6d"));
  failed_status.error = FullError();
  c.push_back(Case("task_status with every cause field", failed_status, R::kClientFromTqd,
                   "8d a1 76 01 a4 6b 69 6e 64 ab 74 61 73 6b 5f 73 74 61 74 75 73 a3 72 65 71 "
                   "0c a4 74 61 73 6b 03 a5 73 74 61 74 65 a6 66 61 69 6c 65 64 a2 66 6e a5 73 "
                   "6c 65 65 70 a8 70 72 69 6f 72 69 74 79 ff a8 61 74 74 65 6d 70 74 73 01 aa "
                   "77 6f 72 6b 65 72 5f 70 69 64 cd 10 19 ac 71 75 65 75 65 64 5f 61 74 5f 6d "
                   "73 cf 00 00 01 8b cf e5 68 00 ad 73 74 61 72 74 65 64 5f 61 74 5f 6d 73 cf "
                   "00 00 01 8b cf e5 68 05 ae 66 69 6e 69 73 68 65 64 5f 61 74 5f 6d 73 cf 00 "
                   "00 01 8b cf e5 68 09 a5 65 72 72 6f 72 89 a4 74 79 70 65 ab 74 71 2e 54 69 "
                   "6d 65 64 4f 75 74 a7 6d 65 73 73 61 67 65 a9 74 69 6d 65 64 20 6f 75 74 a5 "
                   "63 61 75 73 65 a7 74 69 6d 65 6f 75 74 a3 70 69 64 cd 10 19 a9 65 78 69 74 "
                   "5f 63 6f 64 65 fd a6 73 69 67 6e 61 6c 09 a9 72 73 73 5f 62 79 74 65 73 ce "
                   "00 10 00 00 aa 74 69 6d 65 6f 75 74 5f 6d 73 cd 07 d0 a5 73 74 61 63 6b a4 "
                   "23 30 20 66"));
  TaskStatus submitted_status = status;
  submitted_status.submitter_uid = 1000;
  submitted_status.submitter_pid = 4242;
  c.push_back(Case("task_status with its submitter", submitted_status, R::kClientFromTqd,
                   "8e a1 76 01 a4 6b 69 6e 64 ab 74 61 73 6b 5f 73 74 61 74 75 73 a3 72 65 71 "
                   "0c a4 74 61 73 6b 03 a5 73 74 61 74 65 a7 72 75 6e 6e 69 6e 67 a2 66 6e a5 "
                   "73 6c 65 65 70 a8 70 72 69 6f 72 69 74 79 ff a8 61 74 74 65 6d 70 74 73 01 "
                   "aa 77 6f 72 6b 65 72 5f 70 69 64 cd 10 19 ac 71 75 65 75 65 64 5f 61 74 5f "
                   "6d 73 cf 00 00 01 8b cf e5 68 00 ad 73 74 61 72 74 65 64 5f 61 74 5f 6d 73 "
                   "cf 00 00 01 8b cf e5 68 05 ae 66 69 6e 69 73 68 65 64 5f 61 74 5f 6d 73 00 "
                   "ad 73 75 62 6d 69 74 74 65 72 5f 75 69 64 cd 03 e8 "
                   "ad 73 75 62 6d 69 74 74 65 72 5f 70 69 64 cd 10 92"));
  // uid 0 is root, a known user: it is sent.
  submitted_status.submitter_uid = 0;
  submitted_status.submitter_pid = 0;
  c.push_back(Case("task_status submitted by root", submitted_status, R::kClientFromTqd,
                   "8d a1 76 01 a4 6b 69 6e 64 ab 74 61 73 6b 5f 73 74 61 74 75 73 a3 72 65 71 "
                   "0c a4 74 61 73 6b 03 a5 73 74 61 74 65 a7 72 75 6e 6e 69 6e 67 a2 66 6e a5 "
                   "73 6c 65 65 70 a8 70 72 69 6f 72 69 74 79 ff a8 61 74 74 65 6d 70 74 73 01 "
                   "aa 77 6f 72 6b 65 72 5f 70 69 64 cd 10 19 ac 71 75 65 75 65 64 5f 61 74 5f "
                   "6d 73 cf 00 00 01 8b cf e5 68 00 ad 73 74 61 72 74 65 64 5f 61 74 5f 6d 73 "
                   "cf 00 00 01 8b cf e5 68 05 ae 66 69 6e 69 73 68 65 64 5f 61 74 5f 6d 73 00 "
                   "ad 73 75 62 6d 69 74 74 65 72 5f 75 69 64 00"));
  c.push_back(Case("progress",
                   TaskProgress{.request_id = 1, .task_id = 1, .done = 1, .total = 5,
                                .message = "step 1"},
                   R::kClientFromTqd, "87 a1 76 01 a4 6b 69 6e 64 a8 70 72 6f 67 72 65 73 73 "
                                      "a3 72 65 71 01 a4 74 61 73 6b 01 a4 64 6f 6e 65 01 a5 "
                                      "74 6f 74 61 6c 05 a7 6d 65 73 73 61 67 65 a6 73 74 65 "
                                      "70 20 31"));
  c.push_back(Case("progress without message",
                   TaskProgress{.request_id = 1, .task_id = 1, .done = 0.5, .total = 0},
                   R::kClientFromTqd, "86 a1 76 01 a4 6b 69 6e 64 a8 70 72 6f 67 72 65 73 73 "
                                      "a3 72 65 71 01 a4 74 61 73 6b 01 a4 64 6f 6e 65 cb 3f "
                                      "e0 00 00 00 00 00 00 a5 74 6f 74 61 6c 00"));
  c.push_back(Case("worker_list empty", WorkersReply{.request_id = 5}, R::kClientFromTqd,
                   "84 a1 76 01 a4 6b 69 6e 64 ab 77 6f 72 6b 65 72 5f 6c 69 73 74 a3 72 65 71 "
                   "05 a7 77 6f 72 6b 65 72 73 90"));
  c.push_back(Case("worker_list",
                   WorkersReply{.request_id = 5,
                                .workers = {{.slot = 0, .pid = 4121, .state = "idle",
                                             .tasks_done = 3, .uptime_ms = 1000,
                                             .rss_bytes = 1 << 22},
                                            {.slot = 1, .pid = 4122, .state = "busy",
                                             .task_id = 8, .fn = "sleep", .tasks_done = 0,
                                             .uptime_ms = 5, .rss_bytes = 0,
                                             .task_ms = 1500}}},
                   R::kClientFromTqd,
                   "84 a1 76 01 a4 6b 69 6e 64 ab 77 6f 72 6b 65 72 5f 6c 69 73 74 a3 72 65 "
                   "71 05 a7 77 6f 72 6b 65 72 73 92 89 a4 73 6c 6f 74 00 a3 70 69 64 cd 10 "
                   "19 a5 73 74 61 74 65 a4 69 64 6c 65 a4 74 61 73 6b 00 a2 66 6e a0 aa 74 "
                   "61 73 6b 73 5f 64 6f 6e 65 03 a9 75 70 74 69 6d 65 5f 6d 73 cd 03 e8 a9 "
                   "72 73 73 5f 62 79 74 65 73 ce 00 40 00 00 a7 74 61 73 6b 5f 6d 73 00 89 "
                   "a4 73 6c 6f 74 01 a3 70 69 64 cd 10 1a a5 73 74 61 74 65 a4 62 75 73 79 "
                   "a4 74 61 73 6b 08 a2 66 6e a5 73 6c 65 65 70 aa 74 61 73 6b 73 5f 64 6f "
                   "6e 65 00 a9 75 70 74 69 6d 65 5f 6d 73 05 a9 72 73 73 5f 62 79 74 65 73 "
                   "00 a7 74 61 73 6b 5f 6d 73 cd 05 dc"));
  c.push_back(Case("worker_list with its task's submitter",
                   WorkersReply{.request_id = 5,
                                .workers = {{.slot = 1, .pid = 4122, .state = "busy",
                                             .task_id = 8, .fn = "sleep", .tasks_done = 0,
                                             .uptime_ms = 5, .rss_bytes = 0,
                                             .submitter_uid = 1000, .submitter_pid = 4242}}},
                   R::kClientFromTqd, "84 a1 76 01 a4 6b 69 6e 64 ab 77 6f 72 6b 65 72 5f 6c "
                                      "69 73 74 a3 72 65 71 05 a7 77 6f 72 6b 65 72 73 91 8b "
                                      "a4 73 6c 6f 74 01 a3 70 69 64 cd 10 1a a5 73 "
                                      "74 61 74 65 a4 62 75 73 79 a4 74 61 73 6b 08 a2 66 6e "
                                      "a5 73 6c 65 65 70 aa 74 61 73 6b 73 5f 64 6f 6e 65 00 "
                                      "a9 75 70 74 69 6d 65 5f 6d 73 05 a9 72 73 73 5f 62 79 "
                                      "74 65 73 00 a7 74 61 73 6b 5f 6d 73 00 ad 73 75 62 6d 69 74 74 65 72 5f 75 69 64 "
                                      "cd 03 e8 ad 73 75 62 6d 69 74 74 65 72 5f 70 69 64 cd "
                                      "10 92"));
  c.push_back(Case("queue_stats empty", StatsReply{.request_id = 6}, R::kClientFromTqd,
                   "de 00 15 a1 76 01 a4 6b 69 6e 64 ab 71 75 65 75 65 5f 73 74 61 74 73 a3 "
                   "72 65 71 06 a6 71 75 65 75 65 64 00 a7 72 75 6e 6e 69 6e 67 00 a7 77 6f "
                   "72 6b 65 72 73 00 a4 64 6f 6e 65 00 a6 66 61 69 6c 65 64 00 a9 74 69 6d "
                   "65 64 5f 6f 75 74 00 a9 63 61 6e 63 65 6c 6c 65 64 00 a4 6c 6f 73 74 00 "
                   "a6 62 75 72 69 65 64 00 a6 72 65 63 65 6e 74 90 a9 75 70 74 69 6d 65 5f "
                   "6d 73 00 a9 73 75 62 6d 69 74 74 65 64 00 a8 72 65 73 74 61 72 74 73 86 "
                   "a4 65 78 69 74 00 a6 73 69 67 6e 61 6c 00 a3 6f 6f 6d 00 a8 70 72 6f 74 "
                   "6f 63 6f 6c 00 a8 72 65 63 79 63 6c 65 64 00 a7 73 74 6f 70 70 65 64 00 "
                   "aa 71 75 65 75 65 5f 77 61 69 74 86 a5 63 6f 75 6e 74 00 a6 73 75 6d 5f "
                   "75 73 00 a6 70 35 30 5f 75 73 00 a6 70 39 30 5f 75 73 00 a6 70 39 39 5f "
                   "75 73 00 a6 6d 61 78 5f 75 73 00 a8 72 75 6e 5f 74 69 6d 65 86 a5 63 6f "
                   "75 6e 74 00 a6 73 75 6d 5f 75 73 00 a6 70 35 30 5f 75 73 00 a6 70 39 30 "
                   "5f 75 73 00 a6 70 39 39 5f 75 73 00 a6 6d 61 78 5f 75 73 00 ad 77 6f 72 "
                   "6b 65 72 5f 73 74 61 74 65 73 84 a8 73 74 61 72 74 69 6e 67 00 a4 69 64 "
                   "6c 65 00 a4 62 75 73 79 00 a8 73 74 6f 70 70 69 6e 67 00 ab 6c 61 73 74 "
                   "5f 6d 69 6e 75 74 65 8b a7 73 70 61 6e 5f 6d 73 00 a4 64 6f 6e 65 00 a6 "
                   "66 61 69 6c 65 64 00 a9 74 69 6d 65 64 5f 6f 75 74 00 a9 63 61 6e 63 65 "
                   "6c 6c 65 64 00 a4 6c 6f 73 74 00 a6 62 75 72 69 65 64 00 a9 73 75 62 6d "
                   "69 74 74 65 64 00 a8 72 65 73 74 61 72 74 73 86 a4 65 78 69 74 00 a6 73 "
                   "69 67 6e 61 6c 00 a3 6f 6f 6d 00 a8 70 72 6f 74 6f 63 6f 6c 00 a8 72 65 "
                   "63 79 63 6c 65 64 00 a7 73 74 6f 70 70 65 64 00 aa 71 75 65 75 65 5f 77 "
                   "61 69 74 86 a5 63 6f 75 6e 74 00 a6 73 75 6d 5f 75 73 00 a6 70 35 30 5f "
                   "75 73 00 a6 70 39 30 5f 75 73 00 a6 70 39 39 5f 75 73 00 a6 6d 61 78 5f "
                   "75 73 00 a8 72 75 6e 5f 74 69 6d 65 86 a5 63 6f 75 6e 74 00 a6 73 75 6d "
                   "5f 75 73 00 a6 70 35 30 5f 75 73 00 a6 70 39 30 5f 75 73 00 a6 70 39 39 "
                   "5f 75 73 00 a6 6d 61 78 5f 75 73 00 a9 66 75 6e 63 74 69 6f 6e 73 90"));
  StatsReply stats{.request_id = 6, .queued = 1, .running = 2, .workers = 3,
                   .recent = {{.task_id = 9, .fn = "f", .state = TaskState::kDone,
                               .attempts = 1, .queued_at_ms = 1, .finished_at_ms = 2},
                              {.task_id = 8, .fn = "g", .state = TaskState::kBuried,
                               .attempts = 4, .queued_at_ms = -1, .finished_at_ms = 0}},
                   .worker_states = {.starting = 1, .idle = 0, .busy = 2, .stopping = 0}};
  stats.since_start.span_ms = 65000;
  stats.since_start.submitted = 40;
  for (std::uint64_t n = 4; TaskState s : kFinalStates) stats.since_start.ended[s] = n++;
  stats.since_start.restarts = {1, 2, 0, 0, 3, 0};
  stats.since_start.queue_wait = {.count = 39, .sum_us = 7800, .p50_us = 150, .p90_us = 400,
                                  .p99_us = 900, .max_us = 1000};
  stats.since_start.run_time = {.count = 36, .sum_us = 36000000, .p50_us = 999936,
                                .p90_us = 1015808, .p99_us = 1015808, .max_us = 1020000};
  stats.last_minute.span_ms = 60000;
  stats.last_minute.submitted = 2;
  stats.last_minute.ended[TaskState::kDone] = 1;
  stats.functions = {{.fn = "", .submitted = 7}, {.fn = "f", .submitted = 33}};
  stats.functions[1].ended[TaskState::kDone] = 4;
  c.push_back(Case("queue_stats", stats, R::kClientFromTqd,
                   "de 00 15 a1 76 01 a4 6b 69 6e 64 ab 71 75 65 75 65 5f 73 74 61 74 73 a3 "
                   "72 65 71 06 a6 71 75 65 75 65 64 01 a7 72 75 6e 6e 69 6e 67 02 a7 77 6f "
                   "72 6b 65 72 73 03 a4 64 6f 6e 65 04 a6 66 61 69 6c 65 64 05 a9 74 69 6d "
                   "65 64 5f 6f 75 74 06 a9 63 61 6e 63 65 6c 6c 65 64 07 a4 6c 6f 73 74 08 "
                   "a6 62 75 72 69 65 64 09 a6 72 65 63 65 6e 74 92 86 a4 74 61 73 6b 09 a2 "
                   "66 6e a1 66 a5 73 74 61 74 65 a4 64 6f 6e 65 a8 61 74 74 65 6d 70 74 73 "
                   "01 ac 71 75 65 75 65 64 5f 61 74 5f 6d 73 01 ae 66 69 6e 69 73 68 65 64 "
                   "5f 61 74 5f 6d 73 02 86 a4 74 61 73 6b 08 a2 66 6e a1 67 a5 73 74 61 74 "
                   "65 a6 62 75 72 69 65 64 a8 61 74 74 65 6d 70 74 73 04 ac 71 75 65 75 65 "
                   "64 5f 61 74 5f 6d 73 ff ae 66 69 6e 69 73 68 65 64 5f 61 74 5f 6d 73 00 "
                   "a9 75 70 74 69 6d 65 5f 6d 73 cd fd e8 a9 73 75 62 6d 69 74 74 65 64 28 "
                   "a8 72 65 73 74 61 72 74 73 86 a4 65 78 69 74 01 a6 73 69 67 6e 61 6c 02 "
                   "a3 6f 6f 6d 00 a8 70 72 6f 74 6f 63 6f 6c 00 a8 72 65 63 79 63 6c 65 64 "
                   "03 a7 73 74 6f 70 70 65 64 00 aa 71 75 65 75 65 5f 77 61 69 74 86 a5 63 "
                   "6f 75 6e 74 27 a6 73 75 6d 5f 75 73 cd 1e 78 a6 70 35 30 5f 75 73 cc 96 "
                   "a6 70 39 30 5f 75 73 cd 01 90 a6 70 39 39 5f 75 73 cd 03 84 a6 6d 61 78 "
                   "5f 75 73 cd 03 e8 a8 72 75 6e 5f 74 69 6d 65 86 a5 63 6f 75 6e 74 24 a6 "
                   "73 75 6d 5f 75 73 ce 02 25 51 00 a6 70 35 30 5f 75 73 ce 00 0f 42 00 a6 "
                   "70 39 30 5f 75 73 ce 00 0f 80 00 a6 70 39 39 5f 75 73 ce 00 0f 80 00 a6 "
                   "6d 61 78 5f 75 73 ce 00 0f 90 60 ad 77 6f 72 6b 65 72 5f 73 74 61 74 65 "
                   "73 84 a8 73 74 61 72 74 69 6e 67 01 a4 69 64 6c 65 00 a4 62 75 73 79 02 "
                   "a8 73 74 6f 70 70 69 6e 67 00 ab 6c 61 73 74 5f 6d 69 6e 75 74 65 8b a7 "
                   "73 70 61 6e 5f 6d 73 cd ea 60 a4 64 6f 6e 65 01 a6 66 61 69 6c 65 64 00 "
                   "a9 74 69 6d 65 64 5f 6f 75 74 00 a9 63 61 6e 63 65 6c 6c 65 64 00 a4 6c "
                   "6f 73 74 00 a6 62 75 72 69 65 64 00 a9 73 75 62 6d 69 74 74 65 64 02 a8 "
                   "72 65 73 74 61 72 74 73 86 a4 65 78 69 74 00 a6 73 69 67 6e 61 6c 00 a3 "
                   "6f 6f 6d 00 a8 70 72 6f 74 6f 63 6f 6c 00 a8 72 65 63 79 63 6c 65 64 00 "
                   "a7 73 74 6f 70 70 65 64 00 aa 71 75 65 75 65 5f 77 61 69 74 86 a5 63 6f "
                   "75 6e 74 00 a6 73 75 6d 5f 75 73 00 a6 70 35 30 5f 75 73 00 a6 70 39 30 "
                   "5f 75 73 00 a6 70 39 39 5f 75 73 00 a6 6d 61 78 5f 75 73 00 a8 72 75 6e "
                   "5f 74 69 6d 65 86 a5 63 6f 75 6e 74 00 a6 73 75 6d 5f 75 73 00 a6 70 35 "
                   "30 5f 75 73 00 a6 70 39 30 5f 75 73 00 a6 70 39 39 5f 75 73 00 a6 6d 61 "
                   "78 5f 75 73 00 a9 66 75 6e 63 74 69 6f 6e 73 92 88 a2 66 6e a0 a9 73 75 "
                   "62 6d 69 74 74 65 64 07 a4 64 6f 6e 65 00 a6 66 61 69 6c 65 64 00 a9 74 "
                   "69 6d 65 64 5f 6f 75 74 00 a9 63 61 6e 63 65 6c 6c 65 64 00 a4 6c 6f 73 "
                   "74 00 a6 62 75 72 69 65 64 00 88 a2 66 6e a1 66 a9 73 75 62 6d 69 74 74 "
                   "65 64 21 a4 64 6f 6e 65 04 a6 66 61 69 6c 65 64 00 a9 74 69 6d 65 64 5f "
                   "6f 75 74 00 a9 63 61 6e 63 65 6c 6c 65 64 00 a4 6c 6f 73 74 00 a6 62 75 "
                   "72 69 65 64 00"));
  c.push_back(Case("metrics_text", MetricsReply{.request_id = 3, .text = "tq_queue_depth 0\n"},
                   R::kClientFromTqd,
                   "84 a1 76 01 a4 6b 69 6e 64 ac 6d 65 74 72 69 63 73 5f 74 65 78 74 a3 72 "
                   "65 71 03 a4 74 65 78 74 b1 74 71 5f 71 75 65 75 65 5f 64 65 70 74 68 20 "
                   "30 0a"));
  c.push_back(Case("error", ErrorReply{.request_id = 5, .code = "UNKNOWN_FUNCTION",
                                       .message = "no function 'nope'"},
                   R::kClientFromTqd, "85 a1 76 01 a4 6b 69 6e 64 a5 65 72 72 6f 72 a3 72 65 "
                                      "71 05 a4 63 6f 64 65 b0 55 4e 4b 4e 4f 57 4e 5f 46 55 "
                                      "4e 43 54 49 4f 4e a7 6d 65 73 73 61 67 65 b2 6e 6f 20 "
                                      "66 75 6e 63 74 69 6f 6e 20 27 6e 6f 70 65 27"));
  // A batch's element of a kind that may only travel alone (§1, "Batches").
  c.push_back(Case("error NOT_BATCHABLE",
                   ErrorReply{.request_id = 2, .code = "NOT_BATCHABLE", .message = "x"},
                   R::kClientFromTqd, "85 a1 76 01 a4 6b 69 6e 64 a5 65 72 72 6f 72 a3 72 65 "
                                      "71 02 a4 63 6f 64 65 ad 4e 4f 54 5f 42 41 54 43 48 41 "
                                      "42 4c 45 a7 6d 65 73 73 61 67 65 a1 78"));
  c.push_back(Case("error for an unreadable request",
                   ErrorReply{.request_id = 0, .code = "MALFORMED", .message = "empty frame"},
                   R::kClientFromTqd, "85 a1 76 01 a4 6b 69 6e 64 a5 65 72 72 6f 72 a3 72 65 "
                                      "71 00 a4 63 6f 64 65 a9 4d 41 4c 46 4f 52 4d 45 44 a7 "
                                      "6d 65 73 73 61 67 65 ab 65 6d 70 74 79 20 66 72 61 6d "
                                      "65"));
  c.push_back(Case("pong", Pong{.request_id = 8, .server = "tqd 0.1.0", .pid = 5495, .workers = 1},
                   R::kClientFromTqd, "86 a1 76 01 a4 6b 69 6e 64 a4 70 6f 6e 67 a3 72 65 71 "
                                      "08 a6 73 65 72 76 65 72 a9 74 71 64 20 30 2e 31 2e 30 "
                                      "a3 70 69 64 cd 15 77 a7 77 6f 72 6b 65 72 73 01"));

  // ---- tq-worker <-> tqd
  c.push_back(Case("hello", WorkerHello{.pid = 5659, .functions = {"crash", "echo"}},
                   R::kTqdFromWorker, "84 a1 76 01 a4 6b 69 6e 64 a5 68 65 6c 6c 6f a3 70 69 "
                                      "64 cd 16 1b a3 66 6e 73 92 a5 63 72 61 73 68 a4 65 63 "
                                      "68 6f"));
  c.push_back(Case("hello without functions", WorkerHello{.pid = 1}, R::kTqdFromWorker,
                   "84 a1 76 01 a4 6b 69 6e 64 a5 68 65 6c 6c 6f a3 70 69 64 01 a3 66 6e 73 90"));
  c.push_back(Case("worker progress",
                   TaskProgress{.task_id = 1, .done = 2, .total = 2, .message = "step 2"},
                   R::kTqdFromWorker, "86 a1 76 01 a4 6b 69 6e 64 a8 70 72 6f 67 72 65 73 73 "
                                      "a4 74 61 73 6b 01 a4 64 6f 6e 65 02 a5 74 6f 74 61 6c "
                                      "02 a7 6d 65 73 73 61 67 65 a6 73 74 65 70 20 32"));
  c.push_back(Case("worker progress without message",
                   TaskProgress{.task_id = 1, .done = 1, .total = 0}, R::kTqdFromWorker,
                   "85 a1 76 01 a4 6b 69 6e 64 a8 70 72 6f 67 72 65 73 73 a4 74 61 73 6b 01 a4 "
                   "64 6f 6e 65 01 a5 74 6f 74 61 6c 00"));
  c.push_back(Case("worker result done",
                   WorkerResult{.task_id = 1, .state = TaskState::kDone, .value = "\x02"},
                   R::kTqdFromWorker, "85 a1 76 01 a4 6b 69 6e 64 a6 72 65 73 75 6c 74 a4 74 "
                                      "61 73 6b 01 a5 73 74 61 74 65 a4 64 6f 6e 65 a5 76 61 "
                                      "6c 75 65 c4 01 02"));
  c.push_back(Case("worker result failed",
                   WorkerResult{.task_id = 2, .state = TaskState::kFailed,
                                .error = {.type = "int", .message = "non-standard"}},
                   R::kTqdFromWorker, "85 a1 76 01 a4 6b 69 6e 64 a6 72 65 73 75 6c 74 a4 74 "
                                      "61 73 6b 02 a5 73 74 61 74 65 a6 66 61 69 6c 65 64 a5 "
                                      "65 72 72 6f 72 82 a4 74 79 70 65 a3 69 6e 74 a7 6d 65 "
                                      "73 73 61 67 65 ac 6e 6f 6e 2d 73 74 61 6e 64 61 72 64"));
  c.push_back(Case("task", TaskAssignment{.task_id = 1, .fn = "echo", .args = args},
                   R::kWorkerFromTqd, "85 a1 76 01 a4 6b 69 6e 64 a4 74 61 73 6b a4 74 61 73 "
                                      "6b 01 a2 66 6e a4 65 63 68 6f a4 61 72 67 73 c4 04 92 "
                                      "01 a1 61"));
  c.push_back(Case("task without args", TaskAssignment{.task_id = 2, .fn = "none"},
                   R::kWorkerFromTqd, "85 a1 76 01 a4 6b 69 6e 64 a4 74 61 73 6b a4 74 61 73 "
                                      "6b 02 a2 66 6e a4 6e 6f 6e 65 a4 61 72 67 73 c4 00"));
  c.push_back(Case("chunked task",
                   TaskAssignment{.task_id = 3, .fn = "sq", .args = "\x91\x91\x01", .chunk = true},
                   R::kWorkerFromTqd, "86 a1 76 01 a4 6b 69 6e 64 a4 74 61 73 6b a4 74 61 73 "
                                      "6b 03 a5 63 68 75 6e 6b c3 a2 66 6e a2 73 71 a4 61 72 "
                                      "67 73 c4 03 91 91 01"));
  // agent <-> tqd (PROTOCOL.md §10; the first and the welcome and ch_spawn
  // are the bytes §10.6 shows).
  c.push_back(Case("agent_hello", AgentHello{{0x1f2e3d4c5b6a7988, 1}, "node17", 8, "0.1.0"},
                   R::kTqdFromAgent, "87 a1 76 01 a4 6b 69 6e 64 ab 61 67 65 6e 74 5f 68 65 "
                                     "6c 6c 6f a1 73 cf 1f 2e 3d 4c 5b 6a 79 88 a1 6e 01 a4 "
                                     "68 6f 73 74 a6 6e 6f 64 65 31 37 a5 73 6c 6f 74 73 08 "
                                     "a7 76 65 72 73 69 6f 6e a5 30 2e 31 2e 30"));
  c.push_back(Case("agent_beat", AgentBeat{{7, 2}, 1},
                   R::kTqdFromAgent, "85 a1 76 01 a4 6b 69 6e 64 aa 61 67 65 6e 74 5f 62 65 "
                                     "61 74 a1 73 07 a1 6e 02 a3 61 63 6b 01"));
  c.push_back(Case("ch_spawned", ChannelSpawned{{7, 3}, 1, 4121},
                   R::kTqdFromAgent, "86 a1 76 01 a4 6b 69 6e 64 aa 63 68 5f 73 70 61 77 6e "
                                     "65 64 a1 73 07 a1 6e 03 a2 63 68 01 a3 70 69 64 cd 10 "
                                     "19"));
  c.push_back(Case("ch_out", ChannelOutput{{7, 4}, 1, "\x85"},
                   R::kTqdFromAgent, "86 a1 76 01 a4 6b 69 6e 64 a6 63 68 5f 6f 75 74 a1 73 "
                                     "07 a1 6e 04 a2 63 68 01 a4 64 61 74 61 c4 01 85"));
  c.push_back(Case("ch_exited with a code", ChannelExited{.h = {7, 5}, .channel = 1, .code = 0},
                   R::kTqdFromAgent, "86 a1 76 01 a4 6b 69 6e 64 a9 63 68 5f 65 78 69 74 65 "
                                     "64 a1 73 07 a1 6e 05 a2 63 68 01 a4 63 6f 64 65 00"));
  c.push_back(Case("ch_exited with a signal", ChannelExited{.h = {7, 6}, .channel = 2, .signal = 9},
                   R::kTqdFromAgent, "86 a1 76 01 a4 6b 69 6e 64 a9 63 68 5f 65 78 69 74 65 "
                                     "64 a1 73 07 a1 6e 06 a2 63 68 02 a6 73 69 67 6e 61 6c "
                                     "09"));
  c.push_back(Case("ch_exited with an error",
                   ChannelExited{.h = {7, 7}, .channel = 3, .error = "no"},
                   R::kTqdFromAgent, "86 a1 76 01 a4 6b 69 6e 64 a9 63 68 5f 65 78 69 74 65 "
                                     "64 a1 73 07 a1 6e 07 a2 63 68 03 a5 65 72 72 6f 72 a2 "
                                     "6e 6f"));
  c.push_back(Case("ch_rss", ChannelRss{{7, 8}, 1, 1 << 20},
                   R::kTqdFromAgent, "86 a1 76 01 a4 6b 69 6e 64 a6 63 68 5f 72 73 73 a1 73 "
                                     "07 a1 6e 08 a2 63 68 01 a9 72 73 73 5f 62 79 74 65 73 "
                                     "ce 00 10 00 00"));
  c.push_back(Case("ch_stack", ChannelStack{{7, 9}, 1, "#0 f"},
                   R::kTqdFromAgent, "86 a1 76 01 a4 6b 69 6e 64 a8 63 68 5f 73 74 61 63 6b "
                                     "a1 73 07 a1 6e 09 a2 63 68 01 a5 73 74 61 63 6b a4 23 "
                                     "30 20 66"));
  c.push_back(Case("agent_bye", AgentBye{{7, 10}, false},
                   R::kTqdFromAgent, "84 a1 76 01 a4 6b 69 6e 64 a9 61 67 65 6e 74 5f 62 79 "
                                     "65 a1 73 07 a1 6e 0a"));
  c.push_back(Case("agent_bye with requeue", AgentBye{{7, 11}, true},
                   R::kTqdFromAgent, "85 a1 76 01 a4 6b 69 6e 64 a9 61 67 65 6e 74 5f 62 79 "
                                     "65 a1 73 07 a1 6e 0b a7 72 65 71 75 65 75 65 c3"));
  c.push_back(Case("agent_welcome", AgentWelcome{{0x1f2e3d4c5b6a7988, 1}, 1000, 5000},
                   R::kAgentFromTqd, "86 a1 76 01 a4 6b 69 6e 64 ad 61 67 65 6e 74 5f 77 65 "
                                     "6c 63 6f 6d 65 a1 73 cf 1f 2e 3d 4c 5b 6a 79 88 a1 6e "
                                     "01 a7 62 65 61 74 5f 6d 73 cd 03 e8 ab 64 65 61 64 6c "
                                     "69 6e 65 5f 6d 73 cd 13 88"));
  c.push_back(Case("daemon_beat", DaemonBeat{{7, 2}, 3},
                   R::kAgentFromTqd, "85 a1 76 01 a4 6b 69 6e 64 ab 64 61 65 6d 6f 6e 5f 62 "
                                     "65 61 74 a1 73 07 a1 6e 02 a3 61 63 6b 03"));
  c.push_back(Case("ch_spawn", ChannelSpawn{{0x1f2e3d4c5b6a7988, 2}, 1},
                   R::kAgentFromTqd, "85 a1 76 01 a4 6b 69 6e 64 a8 63 68 5f 73 70 61 77 6e "
                                     "a1 73 cf 1f 2e 3d 4c 5b 6a 79 88 a1 6e 02 a2 63 68 01"));
  c.push_back(Case("ch_in", ChannelInput{{7, 4}, 1, "\x85"},
                   R::kAgentFromTqd, "86 a1 76 01 a4 6b 69 6e 64 a5 63 68 5f 69 6e a1 73 07 "
                                     "a1 6e 04 a2 63 68 01 a4 64 61 74 61 c4 01 85"));
  c.push_back(Case("ch_close_in", ChannelCloseInput{{7, 5}, 1},
                   R::kAgentFromTqd, "85 a1 76 01 a4 6b 69 6e 64 ab 63 68 5f 63 6c 6f 73 65 "
                                     "5f 69 6e a1 73 07 a1 6e 05 a2 63 68 01"));
  c.push_back(Case("ch_signal", ChannelSignal{{7, 6}, 1, 15},
                   R::kAgentFromTqd, "86 a1 76 01 a4 6b 69 6e 64 a9 63 68 5f 73 69 67 6e 61 "
                                     "6c a1 73 07 a1 6e 06 a2 63 68 01 a6 73 69 67 6e 61 6c "
                                     "0f"));
  c.push_back(Case("ch_capture", ChannelCapture{{7, 7}, 1, 3000},
                   R::kAgentFromTqd, "86 a1 76 01 a4 6b 69 6e 64 aa 63 68 5f 63 61 70 74 75 "
                                     "72 65 a1 73 07 a1 6e 07 a2 63 68 01 aa 74 69 6d 65 6f "
                                     "75 74 5f 6d 73 cd 0b b8"));
  c.push_back(Case("session_end of an unknown session", SessionEnd{{7, 0}, "unknown session"},
                   R::kAgentFromTqd, "85 a1 76 01 a4 6b 69 6e 64 ab 73 65 73 73 69 6f 6e 5f "
                                     "65 6e 64 a1 73 07 a1 6e 00 a3 77 68 79 af 75 6e 6b 6e "
                                     "6f 77 6e 20 73 65 73 73 69 6f 6e"));
  return c;
}

TEST(WireTest, EveryMessageEncodesToTheBytesOfProtocolV1) {
  for (const WireCase& c : Cases()) {
    SCOPED_TRACE(c.name);
    Buffer out;
    c.encode(out);
    EXPECT_EQ(Hex(out.view()), c.hex);
  }
}

TEST(WireTest, EveryMessageDecodesToOneThatEncodesToTheSameBytes) {
  for (const WireCase& c : Cases()) {
    SCOPED_TRACE(c.name);
    Buffer out;
    c.encode(out);
    const Result<std::string> again = Reencode(c.reader, out.view());
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(Hex(again.value()), Hex(out.view()));
  }
}

// A batch (PROTOCOL.md §1) is no new encoding: its frames are lone
// messages, byte for byte. Which kinds may be among them is fixed.
TEST(WireTest, OnlySubmitCancelAndUnwaitMayBeBatched) {
  std::vector<std::string_view> batchable;
  for (std::size_t k = 0; k < kRequestKinds; ++k) {
    const auto kind = static_cast<RequestKind>(k);
    if (IsBatchable(kind)) batchable.push_back(RequestKindName(kind));
  }
  EXPECT_EQ(batchable, (std::vector<std::string_view>{"submit", "cancel", "unwait"}));
  EXPECT_EQ(kMaxBatchRequests, 1024u);
}

// A tqd from before `tq stats` sent queue_stats with the counts by state
// and `recent` only: it still decodes, the newer figures zero.
TEST(WireTest, AQueueStatsWithoutTheMinuteAndTheFunctionsStillDecodes) {
  const std::string hex =
      "8d a1 76 01 a4 6b 69 6e 64 ab 71 75 65 75 65 5f 73 74 61 74 73 a3 72 65 71 06 a6 71 75 "
      "65 75 65 64 01 a7 72 75 6e 6e 69 6e 67 02 a7 77 6f 72 6b 65 72 73 03 a4 64 6f 6e 65 04 "
      "a6 66 61 69 6c 65 64 05 a9 74 69 6d 65 64 5f 6f 75 74 06 a9 63 61 6e 63 65 6c 6c 65 64 "
      "07 a4 6c 6f 73 74 08 a6 62 75 72 69 65 64 09 a6 72 65 63 65 6e 74 90";
  std::string frame;
  for (std::size_t i = 0; i < hex.size(); i += 3) {
    frame += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  Decoder decoder;
  auto m = decoder.DecodeDaemon(frame);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const auto& stats = std::get<StatsReply>(m.value());
  EXPECT_EQ(stats.since_start.ended[TaskState::kDone], 4u);
  EXPECT_EQ(stats.since_start.ended[TaskState::kBuried], 9u);
  EXPECT_EQ(stats.since_start.span_ms, 0u);
  EXPECT_EQ(stats.since_start.queue_wait, DurationStats{});
  EXPECT_EQ(stats.last_minute.submitted, 0u);
  EXPECT_TRUE(stats.functions.empty());
}

}  // namespace
}  // namespace tq::proto
