// Writes the seed corpus of the fuzz targets: real protocol messages, made
// by the same encoders tqd, tq-worker and libtq use, the frames captured from
// a live tqd in proto/PROTOCOL.md, and the classic hostile shapes the codec
// must refuse (bombs, wrong types). Seeds only steer the fuzzer toward deep
// code; the committed copies in tests/fuzz/corpus come from this program:
//
//   scripts/fuzz --write-corpus
//
// Usage: fuzz_corpus_writer DIR  (writes DIR/message, DIR/frame_reader, DIR/task)
#include <msgpack.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tq/proto/codec.h"
#include "tq/proto/framing.h"

namespace {

using namespace tq::proto;
namespace fs = std::filesystem;

std::string Hex(const char* hex) {
  std::string out;
  unsigned v = 0;
  int nibbles = 0;
  for (const char* p = hex; *p != '\0'; ++p) {
    const char c = *p;
    if (c == ' ') continue;
    v = v * 16 + static_cast<unsigned>(c <= '9' ? c - '0' : c - 'a' + 10);
    if (++nibbles == 2) {
      out += static_cast<char>(v);
      v = 0;
      nibbles = 0;
    }
  }
  return out;
}

template <typename M>
std::string Encoded(const M& m) {
  Buffer b;
  Encode(m, b);
  return std::string(b.view());
}

template <typename M>
std::string Framed(const M& m) {
  Buffer b;
  const std::size_t start = BeginFrame(b);
  Encode(m, b);
  EndFrame(b, start);
  return std::string(b.view());
}

std::string Packed(auto&& fill) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  fill(pk);
  return std::string(buf.data(), buf.size());
}

void Write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  const std::string args = Packed([](auto& pk) {
    pk.pack_array(2);
    pk.pack(1);
    pk.pack(std::string("a"));
  });

  // ---- message: client <-> tqd frames
  const fs::path msg = root / "message";
  // proto/PROTOCOL.md §8, captured from a live tqd.
  Write(msg, "doc_submit", Hex("85 a1 76 01 a4 6b 69 6e 64 a6 73 75 62 6d 69 74 a3 72 65 71 07 "
                               "a2 66 6e a4 65 63 68 6f a4 61 72 67 73 c4 04 92 01 a1 61"));
  Write(msg, "doc_accepted", Hex("84 a1 76 01 a4 6b 69 6e 64 a8 61 63 63 65 70 74 65 64 a3 72 "
                                 "65 71 07 a4 74 61 73 6b 01"));
  Write(msg, "doc_ping", Hex("83 a1 76 01 a4 6b 69 6e 64 a4 70 69 6e 67 a3 72 65 71 08"));
  Write(msg, "submit_echo", Encoded(SubmitRequest{.request_id = 7, .fn = "echo", .args = args}));
  Write(msg, "submit_no_args", Encoded(SubmitRequest{.request_id = 1, .fn = "crash"}));
  Write(msg, "submit_utf8_fn", Encoded(SubmitRequest{.request_id = 2, .fn = "\xc3\xa9\x63h\xc3\xb8", .args = "\x90"}));
  Write(msg, "submit_big_req", Encoded(SubmitRequest{.request_id = UINT64_MAX, .fn = "sleep", .args = "\x91\xcd\x03\xe8"}));
  Write(msg, "ping", Encoded(PingRequest{.request_id = 8}));
  Write(msg, "accepted", Encoded(Accepted{.request_id = 7, .task_id = 1}));
  Write(msg, "result_done", Encoded(TaskResult{.request_id = 7, .task_id = 1,
                                               .state = TaskState::kDone, .value = args}));
  Write(msg, "result_failed", Encoded(TaskResult{.request_id = 3, .task_id = 3, .state = TaskState::kFailed,
                                                 .error = {.type = "std::runtime_error", .message = "boom"}}));
  Write(msg, "result_lost", Encoded(TaskResult{.request_id = 4, .task_id = 9, .state = TaskState::kLost,
                                               .error = {.type = "tq.WorkerLost",
                                                         .message = "worker 5035 killed by signal 6 (SIGABRT)"}}));
  Write(msg, "error_unknown_function",
        Encoded(ErrorReply{.request_id = 5, .code = "UNKNOWN_FUNCTION",
                           .message = "no function 'nope'; this tqd offers: crash, echo, fail, sleep"}));
  Write(msg, "error_req0", Encoded(ErrorReply{.request_id = 0, .code = "MALFORMED", .message = "empty frame"}));
  // Batches (PROTOCOL.md §1) are frames of lone messages: an element
  // refused for its kind, and the TOO_LARGE of an oversized batch.
  Write(msg, "error_not_batchable",
        Encoded(ErrorReply{.request_id = 2, .code = "NOT_BATCHABLE",
                           .message = "a ping may not be in a batch; send it as a message of its own"}));
  Write(msg, "error_batch_too_large",
        Encoded(ErrorReply{.request_id = 9, .code = "TOO_LARGE",
                           .message = "a batch of 1025 requests and 41000 bytes; the limit is 1024 "
                                      "requests and 67108864 bytes"}));
  Write(msg, "pong", Encoded(Pong{.request_id = 8, .server = "tqd 0.1.0", .pid = 5495, .workers = 1}));
  // Submit options and the requests and replies about one task.
  Write(msg, "submit_options", Encoded(SubmitRequest{
                                   .request_id = 9, .fn = "sleep", .args = "\x91\x01",
                                   .priority = -5, .timeout_ms = 2000, .delay_ms = 10,
                                   .max_retries = 3, .retry_on = kRetryFailed | kRetryLost,
                                   .retry_backoff_ms = 100, .key = "job-42"}));
  Write(msg, "submit_ack_off", Encoded(SubmitRequest{.request_id = 14, .fn = "echo",
                                                     .args = "\x90", .ack = false}));
  Write(msg, "cancel", Encoded(TaskRequest{.request_id = 10, .verb = TaskVerb::kCancel, .task_id = 3}));
  Write(msg, "wait", Encoded(TaskRequest{.request_id = 11, .verb = TaskVerb::kWait, .task_id = 3}));
  Write(msg, "task_status", Encoded(TaskStatus{.request_id = 12, .task_id = 3, .state = TaskState::kRunning,
                                               .fn = "sleep", .priority = 1, .attempts = 1,
                                               .worker_pid = 4121, .queued_at_ms = 1700000000000,
                                               .started_at_ms = 1700000000005}));
  Write(msg, "result_timed_out",
        Encoded(TaskResult{.request_id = 13, .task_id = 4, .state = TaskState::kTimedOut, .attempts = 2,
                           .error = {.type = "tq.TimedOut", .message = "timed out after 2000 ms",
                                     .cause = "timeout", .pid = 4121, .signal = 9,
                                     .rss_bytes = 1 << 20, .timeout_ms = 2000,
                                     .stack = "#0 nanosleep"}}));
  // Named objects and task pipes (PROTOCOL.md §2, §3): one request per
  // shape of the op table in decode_objects.cc, and their replies.
  auto object = [&](const std::string& name, ObjectRequest r) {
    r.request_id = 20;
    r.name = "jobs";
    Write(msg, "object_" + name, Encoded(r));
  };
  object("dict_set", {.type = ObjectType::kDict, .op = ObjectOp::kSet, .key = "\xa1k", .value = args});
  object("dict_get", {.type = ObjectType::kDict, .op = ObjectOp::kGet, .key = "\xa1k"});
  object("dict_incr", {.type = ObjectType::kDict, .op = ObjectOp::kIncr, .key = "\xa1n", .by = -3});
  object("dict_cas", {.type = ObjectType::kDict, .op = ObjectOp::kCas, .key = "\xa1n",
                      .value = "\x02", .expect = "\x01"});
  object("dict_update", {.type = ObjectType::kDict, .op = ObjectOp::kUpdate,
                         .keys = {"\xa1" "a", "\xa1" "b"}, .values = {"\x01", "\xc0"}});
  object("dict_items", {.type = ObjectType::kDict, .op = ObjectOp::kItems, .cursor = 7});
  object("list_extend", {.type = ObjectType::kList, .op = ObjectOp::kExtend, .values = {"\x01", args}});
  object("list_slice", {.type = ObjectType::kList, .op = ObjectOp::kSlice, .index = -2, .stop = 5});
  object("queue_put", {.type = ObjectType::kQueue, .op = ObjectOp::kPut, .value = args,
                       .timeout_ms = 300, .capacity = 8});
  object("queue_get_many", {.type = ObjectType::kQueue, .op = ObjectOp::kGetMany, .timeout_ms = 0,
                            .count = 16});
  object("lock_acquire", {.type = ObjectType::kLock, .op = ObjectOp::kAcquire, .task_id = 5});
  object("semaphore_acquire", {.type = ObjectType::kSemaphore, .op = ObjectOp::kAcquire,
                               .timeout_ms = 1000, .initial = 3});
  object("event_wait", {.type = ObjectType::kEvent, .op = ObjectOp::kWait, .timeout_ms = 50});
  Write(msg, "reply_value", Encoded(ObjectReply{.request_id = 20, .value = args, .ok = true}));
  Write(msg, "reply_items", Encoded(ObjectReply{.request_id = 21, .keys = {"\xa1" "a"}, .values = {"\x01"},
                                                .cursor = 9}));
  Write(msg, "reply_timed_out", Encoded(ObjectReply{.request_id = 22, .broken = true, .timed_out = true}));
  Write(msg, "pipe_send", Encoded(PipeMessage{.request_id = 23, .task_id = 4, .data = args}));
  Write(msg, "pipe_close", Encoded(PipeMessage{.request_id = 23, .task_id = 4, .close = true}));
  // Hostile shapes (tests/integration/robustness_test.cc sends them too).
  Write(msg, "bomb_array", std::string("\xdd\xff\xff\xff\xff", 5));
  Write(msg, "bomb_map", std::string("\xdf\xff\xff\xff\xff", 5));
  Write(msg, "bomb_str", std::string("\xdb\x40\x00\x00\x00" "abc", 8));
  Write(msg, "bomb_nesting", std::string(40, '\x91') + "\x01");
  Write(msg, "wrong_types", Packed([](auto& pk) {
          pk.pack_map(5);
          pk.pack(std::string("v")); pk.pack(std::string("1"));
          pk.pack(std::string("kind")); pk.pack(3);
          pk.pack(std::string("req")); pk.pack(-1);
          pk.pack(std::string("fn")); pk.pack_bin(4); pk.pack_bin_body("echo", 4);
          pk.pack(std::string("args")); pk.pack(std::vector<int>{1, 2});
        }));
  Write(msg, "ext_value", Packed([](auto& pk) {
          pk.pack_map(3);
          pk.pack(std::string("v")); pk.pack(1);
          pk.pack(std::string("kind")); pk.pack(std::string("ping"));
          pk.pack(std::string("req")); pk.pack_ext(1, 1); pk.pack_ext_body("x", 1);
        }));

  // ---- message: agent <-> tqd frames (PROTOCOL.md §10), one session's
  // worth each way, and the session_end of an unknown session.
  const AgentHeader agent{.session = 0x5eed5eed5eed5eed, .seq = 1};
  // Each direction numbers its own messages.
  auto seq_from = [](AgentHeader h) {
    return [h]() mutable {
      AgentHeader out = h;
      ++h.seq;
      return out;
    };
  };
  auto next = seq_from(agent);
  auto next_to = seq_from(agent);
  const std::string hello_frame = Framed(WorkerHello{.pid = 4121, .functions = {"echo"}});
  Write(msg, "agent_hello", Encoded(AgentHello{next(), "node17", 8, "0.1.0"}));
  Write(msg, "agent_ch_spawned", Encoded(ChannelSpawned{next(), 1, 4121}));
  Write(msg, "agent_ch_out", Encoded(ChannelOutput{next(), 1, hello_frame}));
  Write(msg, "agent_beat", Encoded(AgentBeat{next(), 3}));
  Write(msg, "agent_ch_rss", Encoded(ChannelRss{next(), 1, 5 << 20}));
  Write(msg, "agent_ch_stack", Encoded(ChannelStack{next(), 1, "#0  nanosleep ()\n"}));
  Write(msg, "agent_ch_exited_signal",
        Encoded(ChannelExited{.h = next(), .channel = 1, .signal = 9}));
  Write(msg, "agent_ch_exited_error",
        Encoded(ChannelExited{.h = next(), .channel = 2, .error = "posix_spawn: No such file"}));
  Write(msg, "agent_bye", Encoded(AgentBye{next(), true}));
  Write(msg, "agent_welcome", Encoded(AgentWelcome{next_to(), 1000, 5000}));
  Write(msg, "agent_daemon_beat", Encoded(DaemonBeat{next_to(), 2}));
  Write(msg, "agent_ch_spawn", Encoded(ChannelSpawn{next_to(), 1}));
  const std::string task_frame = Framed(TaskAssignment{.task_id = 1, .fn = "echo", .args = args});
  Write(msg, "agent_ch_in", Encoded(ChannelInput{next_to(), 1, task_frame}));
  Write(msg, "agent_ch_close_in", Encoded(ChannelCloseInput{next_to(), 1}));
  Write(msg, "agent_ch_signal", Encoded(ChannelSignal{next_to(), 1, 15}));
  Write(msg, "agent_ch_capture", Encoded(ChannelCapture{next_to(), 1, 3000}));
  Write(msg, "agent_session_end", Encoded(SessionEnd{{agent.session, 0}, "unknown session"}));

  // ---- frame_reader: byte 0 = limit selector, byte 1 = chunking seed,
  // then a worker's stream of frames.
  const fs::path frames = root / "frame_reader";
  const std::string doc_hello = Hex(
      "00 00 00 31 84 a1 76 01 a4 6b 69 6e 64 a5 68 65 6c 6c 6f a3 70 69 64 cd 16 1b "
      "a3 66 6e 73 94 a5 63 72 61 73 68 a4 65 63 68 6f a4 66 61 69 6c a5 73 6c 65 65 70");
  const std::string doc_result = Hex(
      "00 00 00 2d 85 a1 76 01 a4 6b 69 6e 64 a6 72 65 73 75 6c 74 a4 74 61 73 6b 01 "
      "a5 73 74 61 74 65 a4 64 6f 6e 65 a5 76 61 6c 75 65 c4 04 92 01 a1 61");
  Write(frames, "doc_hello_result", std::string("\x00\x01", 2) + doc_hello + doc_result);
  const std::string hello = Framed(WorkerHello{.pid = 4121, .functions = {"echo", "fail", "sleep"}});
  const std::string failed = Framed(WorkerResult{.task_id = 2, .state = TaskState::kFailed,
                                                 .error = {.type = "int", .message = "exception of non-standard type int"}});
  const std::string done = Framed(WorkerResult{.task_id = 3, .state = TaskState::kDone, .value = "\xc0"});
  Write(frames, "session", std::string("\x00\x07", 2) + hello + failed + done);
  Write(frames, "session_small_limit", std::string("\x10\x03", 2) + hello + done);
  Write(frames, "partial_tail", std::string("\x00\x09", 2) + done + done.substr(0, 7));
  Write(frames, "over_limit", std::string("\x00\x02", 2) + done + std::string("\x04\x00\x00\x01", 4) + "xx");
  Write(frames, "empty_frame", std::string("\x00\x05", 2) + std::string(4, '\0') + done);
  Write(frames, "garbage", std::string("\x00\x0b", 2) + std::string("\x00\x00\x00\x05hello", 9));

  // ---- task: a task frame payload, tqd -> worker
  const fs::path task = root / "task";
  Write(task, "doc_task", Hex("85 a1 76 01 a4 6b 69 6e 64 a4 74 61 73 6b a4 74 61 73 6b 01 "
                              "a2 66 6e a4 65 63 68 6f a4 61 72 67 73 c4 04 92 01 a1 61"));
  auto task_with = [&](const std::string& name, const std::string& fn, const std::string& a) {
    Write(task, name, Encoded(TaskAssignment{.task_id = 42, .fn = fn, .args = a}));
  };
  task_with("no_args", "none", "");
  task_with("int", "int", "\x91\x2a");
  task_with("two", "two", Packed([](auto& pk) { pk.pack_array(2); pk.pack(2.5); pk.pack(std::string("xy")); }));
  task_with("vec", "vec", Packed([](auto& pk) { pk.pack_array(1); pk.pack(std::vector<long>{1, -2, 3}); }));
  task_with("nested", "nested", Packed([](auto& pk) {
              pk.pack_array(1);
              pk.pack(std::vector<std::vector<std::string>>{{"a"}, {"b", "c"}});
            }));
  task_with("map", "map", Packed([](auto& pk) {
              pk.pack_array(1);
              pk.pack(std::map<std::string, double>{{"k", 1.5}, {"l", -2}});
            }));
  task_with("opt_nil", "opt", "\x91\xc0");
  task_with("tuple", "tuple", Packed([](auto& pk) {
              pk.pack_array(1);
              pk.pack(std::make_tuple(true, std::string("s"), std::vector<int>{1}));
            }));
  task_with("wrong_type", "int", "\x91\xa3str");
  task_with("args_bomb", "vec", std::string("\x91\xdd\x00\x00\xff\xff", 6));
  task_with("args_deep", "nested", std::string(70, '\x91') + "\x01");
  task_with("args_truncated", "two", "\x92\xcb\x40");
  std::printf("wrote seeds to %s\n", root.c_str());
  return 0;
}
