// Codec tests: every message survives Encode then its Decoder method, and
// every way a peer can get a frame wrong is rejected with the exact
// ErrorCode (and a sentence naming the problem), including msgpack "bombs"
// whose headers claim far more than the frame holds.
#include "tq/proto/codec.h"

#include <gtest/gtest.h>

#include <functional>
#include <msgpack.hpp>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "codec_test_util.h"

namespace tq::proto {
namespace {

using namespace std::string_literals;

// ---- helpers ---------------------------------------------------------------

using namespace testutil;

// A valid submit, for tests to spoil.
RawMap ValidSubmit() {
  return Message("submit")
      .Set("req", PackedUint(7))
      .Set("fn", PackedStr("echo"))
      .Set("args", PackedBin("\x91\x01"));
}

// ---- round trips -----------------------------------------------------------

TEST(CodecTest, RoundTripsASubmitWithBinaryArgsContainingNulBytes) {
  // [bin "a\0b", 0]: NULs must survive, so views must carry their size.
  const std::string args =
      "\x92\xc4\x03"
      "a\0b\x00"s;
  Buffer frame;
  auto m = RoundTrip(SubmitRequest{7, "resize", args}, &Decoder::DecodeClient,
                     &frame);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->request_id, 7u);
  EXPECT_EQ(m->fn, "resize");
  EXPECT_EQ(m->args, args);
}

TEST(CodecTest, RoundTripsTheChunkFlagOfSubmitAndTask) {
  Buffer frame;
  SubmitRequest submit{3, "square", "\x92\x91\x01\x91\x02"};
  submit.chunk = true;
  auto m = RoundTrip(submit, &Decoder::DecodeClient, &frame);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->chunk);
  frame.clear();
  m = RoundTrip(SubmitRequest{3, "square", "\x90"}, &Decoder::DecodeClient, &frame);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->chunk);
  EXPECT_EQ(frame.view().find("chunk"), std::string_view::npos);  // absent unless set
  frame.clear();
  auto t = RoundTrip(TaskAssignment{9, "square", "\x90", true}, &Decoder::DecodeTask, &frame);
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->chunk);
}

TEST(DecoderTest, RejectsAChunkFlagThatIsNotABool) {
  Decoder decoder;
  EXPECT_TRUE(IsError(decoder.DecodeClient(ValidSubmit().Set("chunk", PackedUint(1)).Build()),
                      ErrorCode::kWrongType, "field 'chunk'"));
}

TEST(CodecTest, RoundTripsAnAckLessSubmitAndLeavesAckOutByDefault) {
  Buffer frame;
  SubmitRequest submit{3, "square", "\x90"};
  submit.ack = false;
  auto m = RoundTrip(submit, &Decoder::DecodeClient, &frame);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->ack);
  frame.clear();
  m = RoundTrip(SubmitRequest{3, "square", "\x90"}, &Decoder::DecodeClient, &frame);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->ack);
  // An old tqd rejects any field it does not know: absent unless off.
  EXPECT_EQ(frame.view().find("ack"), std::string_view::npos);
}

TEST(DecoderTest, TakesAckTrueAsTheDefaultAndRejectsAnAckThatIsNotABool) {
  Decoder decoder;
  auto r = decoder.DecodeClient(ValidSubmit().Set("ack", "\xc3").Build());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(std::get<SubmitRequest>(r.value()).ack);
  EXPECT_TRUE(IsError(decoder.DecodeClient(ValidSubmit().Set("ack", PackedUint(0)).Build()),
                      ErrorCode::kWrongType, "field 'ack' must be a bool"));
  EXPECT_TRUE(IsError(decoder.DecodeClient(ValidSubmit().Set("ack", "\xc0").Build()),
                      ErrorCode::kWrongType, "field 'ack'"));
}

TEST(CodecTest, SendsEmptySubmitArgsAsAnEmptyArray) {
  Buffer frame;
  auto m =
      RoundTrip(SubmitRequest{1, "noop", ""}, &Decoder::DecodeClient, &frame);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->args, "\x90");
}

TEST(CodecTest, AcceptsASubmitWithoutArgs) {
  Decoder decoder;
  const std::string frame = ValidSubmit().Erase("args").Build();
  auto r = decoder.DecodeClient(frame);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(std::get<SubmitRequest>(r.value()).args, "");
}

TEST(CodecTest, RoundTripsAPing) {
  Buffer frame;
  auto m = RoundTrip(PingRequest{UINT64_MAX}, &Decoder::DecodeClient, &frame);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->request_id, UINT64_MAX);
}

TEST(CodecTest, RoundTripsAccepted) {
  Buffer frame;
  auto m = RoundTrip(Accepted{3, 99}, &Decoder::DecodeDaemon, &frame);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->request_id, 3u);
  EXPECT_EQ(m->task_id, 99u);
}

TEST(CodecTest, RoundTripsADoneResultWithItsValue) {
  const std::string value =
      "\xc4\x02"
      "\0\xff"s;
  TaskResult in;
  in.request_id = 4;
  in.task_id = 5;
  in.state = TaskState::kDone;
  in.value = value;
  Buffer frame;
  auto m = RoundTrip(in, &Decoder::DecodeDaemon, &frame);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->request_id, 4u);
  EXPECT_EQ(m->task_id, 5u);
  EXPECT_EQ(m->state, TaskState::kDone);
  EXPECT_EQ(m->value, value);
}

TEST(CodecTest, RoundTripsFailedAndLostResultsWithTheirErrorInfo) {
  for (TaskState state : {TaskState::kFailed, TaskState::kLost,
                          TaskState::kTimedOut, TaskState::kCancelled}) {
    SCOPED_TRACE(TaskStateName(state));
    TaskResult in;
    in.request_id = 4;
    in.task_id = 5;
    in.state = state;
    in.error = {"tq.WorkerLost", "worker 3 died: signal 9"};
    Buffer frame;
    auto m = RoundTrip(in, &Decoder::DecodeDaemon, &frame);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->state, state);
    EXPECT_EQ(m->error.type, "tq.WorkerLost");
    EXPECT_EQ(m->error.message, "worker 3 died: signal 9");
  }
}

TEST(CodecTest, RoundTripsAnErrorReplyIncludingOneForAnUnreadableRequest) {
  for (std::uint64_t req : {0ull, 12ull}) {
    Buffer frame;
    auto m = RoundTrip(ErrorReply{req, "QUEUE_FULL", "the queue is full"},
                       &Decoder::DecodeDaemon, &frame);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->request_id, req);
    EXPECT_EQ(m->code, "QUEUE_FULL");
    EXPECT_EQ(m->message, "the queue is full");
  }
}

TEST(CodecTest, EncodeErrorCarriesTheStatusCodeNameAndMessage) {
  Buffer frame;
  EncodeError(8, Status(ErrorCode::kUnknownFunction, "no worker offers 'x'"),
              frame);
  Decoder decoder;
  auto r = decoder.DecodeDaemon(frame.view());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& m = std::get<ErrorReply>(r.value());
  EXPECT_EQ(m.request_id, 8u);
  EXPECT_EQ(m.code, "UNKNOWN_FUNCTION");
  EXPECT_EQ(m.message, "no worker offers 'x'");
}

TEST(CodecTest, RoundTripsAPong) {
  Buffer frame;
  auto m =
      RoundTrip(Pong{9, "tqd 0.1.0", 4121, 8}, &Decoder::DecodeDaemon, &frame);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->request_id, 9u);
  EXPECT_EQ(m->server, "tqd 0.1.0");
  EXPECT_EQ(m->pid, 4121u);
  EXPECT_EQ(m->workers, 8u);
}

TEST(CodecTest, RoundTripsAHelloWithSeveralFunctions) {
  WorkerHello in{.pid = 4242, .functions = {"echo", "sum", "日本語.resize"}};
  Buffer frame;
  auto m = RoundTrip(in, &Decoder::DecodeFromWorker, &frame);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->pid, 4242u);
  EXPECT_EQ(m->functions, in.functions);
}

TEST(CodecTest, RoundTripsAHelloWithNoFunctions) {
  Buffer frame;
  auto m = RoundTrip(WorkerHello{.pid = 1, .functions = {}},
                     &Decoder::DecodeFromWorker, &frame);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->functions.empty());
}

TEST(CodecTest, RoundTripsATaskAssignmentWithAndWithoutArgs) {
  for (const std::string& args : {"\x92\x01\xc0"s, ""s}) {
    Buffer frame;
    auto m = RoundTrip(TaskAssignment{77, "sum", args}, &Decoder::DecodeTask,
                       &frame);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->task_id, 77u);
    EXPECT_EQ(m->fn, "sum");
    EXPECT_EQ(m->args, args);
  }
}

TEST(CodecTest, RoundTripsWorkerResultsDoneAndFailed) {
  WorkerResult in;
  in.task_id = 1;
  in.state = TaskState::kDone;
  in.value = "\x2a";
  Buffer done_frame;
  auto done = RoundTrip(in, &Decoder::DecodeFromWorker, &done_frame);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, TaskState::kDone);
  EXPECT_EQ(done->value, "\x2a");

  in.task_id = 2;
  in.state = TaskState::kFailed;
  in.value = {};
  in.error = {"std::runtime_error", "boom"};
  Buffer failed_frame;
  auto failed = RoundTrip(in, &Decoder::DecodeFromWorker, &failed_frame);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->task_id, 2u);
  EXPECT_EQ(failed->state, TaskState::kFailed);
  EXPECT_EQ(failed->error.type, "std::runtime_error");
  EXPECT_EQ(failed->error.message, "boom");
}

// ---- malformed frames ------------------------------------------------------

TEST(DecoderTest, RejectsAnEmptyFrame) {
  Decoder decoder;
  EXPECT_TRUE(
      IsError(decoder.DecodeClient(""), ErrorCode::kMalformed, "empty"));
}

TEST(DecoderTest, RejectsBytesThatAreNotMsgpack) {
  Decoder decoder;
  // 0xc1 is the one byte msgpack never uses.
  EXPECT_TRUE(IsError(decoder.DecodeClient("\xc1"), ErrorCode::kMalformed));
}

TEST(DecoderTest, RejectsATruncatedMessage) {
  Decoder decoder;
  const std::string frame = ValidSubmit().Build();
  for (std::size_t n = 1; n < frame.size(); ++n) {
    EXPECT_TRUE(IsError(decoder.DecodeClient(frame.substr(0, n)),
                        ErrorCode::kMalformed))
        << "prefix of " << n << " bytes";
  }
}

TEST(DecoderTest, RejectsTrailingBytesAfterTheMessage) {
  Decoder decoder;
  EXPECT_TRUE(IsError(decoder.DecodeClient(ValidSubmit().Build() + "\xc0"),
                      ErrorCode::kMalformed, "trailing bytes"));
}

TEST(DecoderTest, RejectsATopLevelValueThatIsNotAMap) {
  Decoder decoder;
  const std::string array = Packed([](Packer& pk) {
    pk.pack_array(2);
    pk.pack_uint8(1);
    pk.pack_uint8(2);
  });
  EXPECT_TRUE(IsError(decoder.DecodeClient(array), ErrorCode::kMalformed,
                      "must be a msgpack map, got array"));
}

TEST(DecoderTest, RejectsNonStringFieldNames) {
  Decoder decoder;
  // {"v": 1, 1: nil}
  const std::string frame = "\x82\xa1v\x01\x01\xc0";
  EXPECT_TRUE(IsError(decoder.DecodeClient(frame), ErrorCode::kMalformed,
                      "field names must be strings, got int"));
}

TEST(DecoderTest, RejectsDuplicateFields) {
  Decoder decoder;
  const std::string frame = ValidSubmit().Add("fn", PackedStr("other")).Build();
  EXPECT_TRUE(IsError(decoder.DecodeClient(frame), ErrorCode::kMalformed,
                      "field 'fn' appears twice"));
}

TEST(DecoderTest, ReadsThirtyTwoFieldsButRejectsThirtyThree) {
  Decoder decoder;
  RawMap m = Message("ping").Set("req", PackedUint(1));  // 3 fields
  for (int i = 0; i < 29; ++i) m.Add(std::string("x").append(std::to_string(i)), "\xc0");
  // Thirty-two fields are parsed, so the extras are reported by name.
  EXPECT_TRUE(IsError(decoder.DecodeClient(m.Build()), ErrorCode::kUnknownField,
                      "'x0'"));
  m.Add("one_too_many", "\xc0");
  EXPECT_TRUE(IsError(decoder.DecodeClient(m.Build()), ErrorCode::kMalformed));
}

TEST(DecoderTest, RejectsAMissingProtocolVersion) {
  Decoder decoder;
  EXPECT_TRUE(IsError(decoder.DecodeClient(ValidSubmit().Erase("v").Build()),
                      ErrorCode::kBadVersion, "'v'"));
}

TEST(DecoderTest, RejectsProtocolVersionsOtherThanOne) {
  Decoder decoder;
  for (const std::string& v : {PackedUint(2), PackedUint(0), PackedStr("1")}) {
    EXPECT_TRUE(IsError(decoder.DecodeClient(ValidSubmit().Set("v", v).Build()),
                        ErrorCode::kBadVersion));
  }
}

TEST(DecoderTest, RejectsAKindTheDecoderDoesNotAccept) {
  Decoder decoder;
  const std::string frame =
      ValidSubmit().Set("kind", PackedStr("frob")).Build();
  EXPECT_TRUE(IsError(decoder.DecodeClient(frame), ErrorCode::kUnknownKind,
                      "unknown message kind 'frob'"));
  // Each direction has its own kinds: a client cannot send a hello.
  EXPECT_TRUE(IsError(decoder.DecodeClient(Message("hello").Build()),
                      ErrorCode::kUnknownKind));
  EXPECT_TRUE(IsError(decoder.DecodeTask(ValidSubmit().Build()),
                      ErrorCode::kUnknownKind));
}

TEST(DecoderTest, NamesEveryKindOfItsDirectionWhenTheKindIsUnknown) {
  Decoder decoder;
  const std::string frob = Message("frob").Set("req", PackedUint(1)).Build();
  EXPECT_EQ(decoder.DecodeClient(frob).status().message(),
            "unknown message kind 'frob'; expected 'submit', 'ping', 'cancel', 'kick', "
            "'status', 'wait', 'workers', 'stats', 'functions', 'unwait', 'metrics', 'job', "
            "'dict', 'list', 'queue', 'lock', 'semaphore', 'event', 'pipe' or 'pipe_close'");
  EXPECT_EQ(decoder.DecodeDaemon(frob).status().message(),
            "unknown message kind 'frob'; expected 'accepted', 'result', 'task_status', "
            "'progress', 'worker_list', 'queue_stats', 'error', 'pong', 'function_list', "
            "'metrics_text', 'job_status', 'reply', 'pipe' or 'pipe_close'");
  EXPECT_EQ(decoder.DecodeFromWorker(frob).status().message(),
            "unknown message kind 'frob'; expected 'hello', 'result', 'progress', 'pipe', "
            "'pipe_close' or 'dropped'");
  EXPECT_EQ(decoder.DecodeToWorker(frob).status().message(),
            "unknown message kind 'frob'; expected 'task', 'pipe', 'pipe_close' or 'drop'");
  EXPECT_EQ(decoder.DecodeTask(frob).status().message(),
            "unknown message kind 'frob'; expected 'task'");
}

// One request of each kind, as a client would send it.
ClientMessage RequestOfKind(RequestKind kind) {
  switch (kind) {
    case RequestKind::kSubmit: return SubmitRequest{.request_id = 1, .fn = "f"};
    case RequestKind::kPing: return PingRequest{.request_id = 1};
    case RequestKind::kCancel: return TaskRequest{1, TaskVerb::kCancel, 2};
    case RequestKind::kKick: return TaskRequest{1, TaskVerb::kKick, 2};
    case RequestKind::kStatus: return TaskRequest{1, TaskVerb::kStatus, 2};
    case RequestKind::kWait: return TaskRequest{1, TaskVerb::kWait, 2};
    case RequestKind::kWorkers: return ListRequest{1, Listing::kWorkers};
    case RequestKind::kStats: return ListRequest{1, Listing::kStats};
    case RequestKind::kFunctions: return ListRequest{1, Listing::kFunctions};
    case RequestKind::kUnwait: return UnwaitRequest{1, 2, 3};
    case RequestKind::kMetrics: return ListRequest{1, Listing::kMetrics};
    case RequestKind::kJob: return JobRequest{1, "thumbs"};
    case RequestKind::kDict:
      return ObjectRequest{.request_id = 1, .type = ObjectType::kDict, .op = ObjectOp::kSize, .name = "o"};
    case RequestKind::kList:
      return ObjectRequest{.request_id = 1, .type = ObjectType::kList, .op = ObjectOp::kSize, .name = "o"};
    case RequestKind::kQueue:
      return ObjectRequest{.request_id = 1, .type = ObjectType::kQueue, .op = ObjectOp::kSize, .name = "o"};
    case RequestKind::kLock:
      return ObjectRequest{.request_id = 1, .type = ObjectType::kLock, .op = ObjectOp::kValue, .name = "o"};
    case RequestKind::kSemaphore:
      return ObjectRequest{
          .request_id = 1, .type = ObjectType::kSemaphore, .op = ObjectOp::kValue, .name = "o"};
    case RequestKind::kEvent:
      return ObjectRequest{.request_id = 1, .type = ObjectType::kEvent, .op = ObjectOp::kIsSet, .name = "o"};
    case RequestKind::kPipe: return PipeMessage{1, 2, "\xc0", false};
    case RequestKind::kPipeClose: return PipeMessage{1, 2, {}, true};
  }
  return PingRequest{};
}

TEST(RequestKindTest, EveryKindIsSentUnderItsNameAndDecodedAsItself) {
  Decoder decoder;
  for (std::size_t i = 0; i < kRequestKinds; ++i) {
    const auto kind = static_cast<RequestKind>(i);
    SCOPED_TRACE(RequestKindName(kind));
    const ClientMessage sent = RequestOfKind(kind);
    ASSERT_EQ(KindOf(sent), kind);
    Buffer frame;
    std::visit([&](const auto& m) { Encode(m, frame); }, sent);
    EXPECT_NE(frame.view().find(PackedStr(RequestKindName(kind))), std::string_view::npos);
    auto decoded = decoder.DecodeClient(frame.view());
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(KindOf(decoded.value()), kind);
  }
}

TEST(DecoderTest, RejectsAMissingOrMistypedKind) {
  Decoder decoder;
  EXPECT_TRUE(IsError(decoder.DecodeClient(ValidSubmit().Erase("kind").Build()),
                      ErrorCode::kMissingField, "'kind'"));
  EXPECT_TRUE(IsError(
      decoder.DecodeClient(ValidSubmit().Set("kind", PackedUint(1)).Build()),
      ErrorCode::kWrongType, "'kind'"));
}

TEST(DecoderTest, RejectsASubmitWithoutReqOrFn) {
  Decoder decoder;
  EXPECT_TRUE(IsError(decoder.DecodeClient(ValidSubmit().Erase("req").Build()),
                      ErrorCode::kMissingField, "missing field 'req'"));
  EXPECT_TRUE(IsError(decoder.DecodeClient(ValidSubmit().Erase("fn").Build()),
                      ErrorCode::kMissingField, "missing field 'fn'"));
}

TEST(DecoderTest, RejectsRequestIdZero) {
  Decoder decoder;
  EXPECT_TRUE(IsError(
      decoder.DecodeClient(ValidSubmit().Set("req", PackedUint(0)).Build()),
      ErrorCode::kBadValue, "'req' must be non-zero"));
}

TEST(DecoderTest, RejectsANegativeRequestId) {
  Decoder decoder;
  const std::string negative = Packed([](Packer& pk) { pk.pack_int8(-1); });
  EXPECT_TRUE(
      IsError(decoder.DecodeClient(ValidSubmit().Set("req", negative).Build()),
              ErrorCode::kWrongType, "got negative int"));
}

TEST(DecoderTest, RejectsAFunctionNameThatIsNotAString) {
  Decoder decoder;
  EXPECT_TRUE(IsError(
      decoder.DecodeClient(ValidSubmit().Set("fn", PackedUint(5)).Build()),
      ErrorCode::kWrongType, "submit: field 'fn' must be a string, got int"));
  EXPECT_TRUE(IsError(
      decoder.DecodeClient(ValidSubmit().Set("fn", PackedBin("echo")).Build()),
      ErrorCode::kWrongType, "got bin"));
}

TEST(DecoderTest, AcceptsFunctionNamesOfOneTo128PrintableUtf8Bytes) {
  Decoder decoder;
  for (const std::string& fn : {"x"s, std::string(128, 'f'), "héllo"s, "日本"s,
                                "emoji.\xf0\x9f\x98\x80"s}) {
    auto r =
        decoder.DecodeClient(ValidSubmit().Set("fn", PackedStr(fn)).Build());
    EXPECT_TRUE(r.ok()) << fn << ": " << r.status().ToString();
  }
}

TEST(DecoderTest, RejectsEmptyLongOrUnprintableFunctionNames) {
  Decoder decoder;
  const std::vector<std::string> bad = {
      ""s,
      std::string(129, 'f'),
      "\xff\xfe"s,          // not UTF-8 at all
      "a\nb"s,              // control character
      "tab\t"s,             // control character
      "del\x7f"s,           // DEL
      "nul\0"s,             // NUL
      "\xc0\xaf"s,          // overlong encoding of '/'
      "\xed\xa0\x80"s,      // UTF-16 surrogate
      "cut\xe6\x97"s,       // sequence cut short by the end
      "\xf4\x90\x80\x80"s,  // beyond U+10FFFF
  };
  for (const std::string& fn : bad) {
    EXPECT_TRUE(IsError(
        decoder.DecodeClient(ValidSubmit().Set("fn", PackedStr(fn)).Build()),
        ErrorCode::kBadValue, "field 'fn' must be 1 to 128 bytes"))
        << "fn of " << fn.size() << " bytes";
  }
}

TEST(DecoderTest, RejectsArgsSentAsAMsgpackArrayInsteadOfBin) {
  Decoder decoder;
  const std::string array = Packed([](Packer& pk) {
    pk.pack_array(1);
    pk.pack_uint8(1);
  });
  EXPECT_TRUE(
      IsError(decoder.DecodeClient(ValidSubmit().Set("args", array).Build()),
              ErrorCode::kWrongType, "field 'args' must be a bin"));
}

TEST(DecoderTest, RejectsArgsThatDoNotEncodeAnArray) {
  Decoder decoder;
  for (const std::string& args : {"\x01"s, "\x80"s, "\xa1x"s}) {
    EXPECT_TRUE(IsError(decoder.DecodeClient(
                            ValidSubmit().Set("args", PackedBin(args)).Build()),
                        ErrorCode::kBadValue, "must encode a msgpack array"));
  }
}

TEST(DecoderTest, EnforcesMaxArgsBytes) {
  Decoder decoder(Limits{.max_message_bytes = 1024, .max_args_bytes = 16});
  // fixarray(15) of nils: exactly 16 bytes, then one byte over.
  const std::string at_limit = "\x9f" + std::string(15, '\xc0');
  EXPECT_TRUE(
      decoder
          .DecodeClient(ValidSubmit().Set("args", PackedBin(at_limit)).Build())
          .ok());
  EXPECT_TRUE(IsError(
      decoder.DecodeClient(
          ValidSubmit().Set("args", PackedBin(at_limit + "\xc0")).Build()),
      ErrorCode::kTooLarge, "field 'args' is 17 bytes"));
  EXPECT_TRUE(
      IsError(decoder.DecodeTask(Message("task")
                                     .Set("task", PackedUint(1))
                                     .Set("fn", PackedStr("f"))
                                     .Set("args", PackedBin(at_limit + "\xc0"))
                                     .Build()),
              ErrorCode::kTooLarge));
}

TEST(DecoderTest, EnforcesMaxResultBytesOnResultValues) {
  // limits.h: max_result_bytes bounds result "value"; max_args_bytes does not.
  Decoder decoder(Limits{.max_message_bytes = 1024, .max_args_bytes = 4,
                         .max_result_bytes = 16});
  const RawMap done = Message("result")
                          .Set("task", PackedUint(1))
                          .Set("state", PackedStr("done"));
  const std::string at_limit(16, '\xc0');
  EXPECT_TRUE(decoder
                  .DecodeFromWorker(
                      RawMap(done).Set("value", PackedBin(at_limit)).Build())
                  .ok());
  EXPECT_TRUE(
      IsError(decoder.DecodeFromWorker(
                  RawMap(done).Set("value", PackedBin(at_limit + "x")).Build()),
              ErrorCode::kTooLarge, "field 'value' is 17 bytes"));
  const std::string to_client = RawMap(done)
                                    .Set("req", PackedUint(2))
                                    .Set("value", PackedBin(at_limit + "x"))
                                    .Build();
  EXPECT_TRUE(IsError(decoder.DecodeDaemon(to_client), ErrorCode::kTooLarge));
}

TEST(DecoderTest, RejectsADoneResultWithAnEmptyValue) {
  Decoder decoder;
  const std::string frame = Message("result")
                                .Set("task", PackedUint(1))
                                .Set("state", PackedStr("done"))
                                .Set("value", PackedBin(""))
                                .Build();
  EXPECT_TRUE(IsError(decoder.DecodeFromWorker(frame), ErrorCode::kBadValue,
                      "field 'value'"));
}

TEST(DecoderTest, RejectsAFrameOverMaxMessageBytes) {
  Decoder decoder(Limits{.max_message_bytes = 64, .max_args_bytes = 64});
  const std::string frame =
      ValidSubmit()
          .Set("args", PackedBin("\x9f" + std::string(60, '\xc0')))
          .Build();
  ASSERT_GT(frame.size(), 64u);
  EXPECT_TRUE(IsError(decoder.DecodeClient(frame), ErrorCode::kTooLarge,
                      "the limit is 64"));
}

TEST(DecoderTest, RejectsAnUnknownField) {
  Decoder decoder;
  EXPECT_TRUE(IsError(decoder.DecodeClient(
                          ValidSubmit().Set("colour", PackedUint(1)).Build()),
                      ErrorCode::kUnknownField, "unknown field 'colour'"));
}

TEST(DecoderTest, DoesNotEchoUnprintableFieldNames) {
  Decoder decoder;
  const std::string frame =
      ValidSubmit().Set("\x1b[31m", PackedUint(1)).Build();
  EXPECT_TRUE(IsError(decoder.DecodeClient(frame), ErrorCode::kUnknownField,
                      "<5 bytes, not printable>"));
}

TEST(DecoderTest, RejectsResultStatesTheSenderMayNotReport) {
  Decoder decoder;
  const RawMap result = Message("result")
                            .Set("req", PackedUint(1))
                            .Set("task", PackedUint(2))
                            .Set("value", PackedBin("\xc0"));
  // tqd reports only final states; a worker only done or failed.
  EXPECT_TRUE(
      IsError(decoder.DecodeDaemon(
                  RawMap(result).Set("state", PackedStr("running")).Build()),
              ErrorCode::kBadValue, "field 'state' may not be 'running'"));
  RawMap from_worker = RawMap(result).Erase("req");
  EXPECT_TRUE(IsError(decoder.DecodeFromWorker(
                          from_worker.Set("state", PackedStr("lost")).Build()),
                      ErrorCode::kBadValue, "'lost'"));
}

TEST(DecoderTest, RejectsAFailedResultWithAMalformedError) {
  Decoder decoder;
  const RawMap failed = Message("result")
                            .Set("task", PackedUint(2))
                            .Set("state", PackedStr("failed"));
  EXPECT_TRUE(IsError(decoder.DecodeFromWorker(failed.Build()),
                      ErrorCode::kMissingField, "'error'"));
  EXPECT_TRUE(IsError(decoder.DecodeFromWorker(
                          RawMap(failed).Set("error", PackedStr("x")).Build()),
                      ErrorCode::kWrongType, "field 'error' must be a map"));
  const std::string extra = PackedMap({{"type", PackedStr("E")},
                                       {"message", PackedStr("m")},
                                       {"colour", PackedStr("s")}});
  EXPECT_TRUE(IsError(
      decoder.DecodeFromWorker(RawMap(failed).Set("error", extra).Build()),
      ErrorCode::kUnknownField, "error: unknown field 'colour'"));
  const std::string long_message = PackedMap(
      {{"type", PackedStr("E")},
       {"message", PackedStr(std::string(kMaxErrorTextBytes + 1, 'm'))}});
  EXPECT_TRUE(IsError(decoder.DecodeFromWorker(
                          RawMap(failed).Set("error", long_message).Build()),
                      ErrorCode::kTooLarge));
}

TEST(DecoderTest, RejectsAHelloWithBadFunctionNames) {
  Decoder decoder;
  const RawMap hello = Message("hello").Set("pid", PackedUint(1));
  EXPECT_TRUE(IsError(decoder.DecodeFromWorker(
                          RawMap(hello).Set("fns", PackedStr("echo")).Build()),
                      ErrorCode::kWrongType, "'fns'"));
  const std::string with_empty = Packed([](Packer& pk) {
    pk.pack_array(2);
    pk.pack_str(2);
    pk.pack_str_body("ok", 2);
    pk.pack_str(0);
  });
  EXPECT_TRUE(IsError(
      decoder.DecodeFromWorker(RawMap(hello).Set("fns", with_empty).Build()),
      ErrorCode::kBadValue, "'fns'"));
}

// ---- msgpack bombs ---------------------------------------------------------
// Headers that claim far more than the frame holds. Each must be refused by
// the unpack limits before msgpack-c allocates for the claim; "beyond
// limits" tells that apart from an allocation failure that was caught.

TEST(DecoderBombTest, RejectsAnArrayClaimingFourBillionElements) {
  Decoder decoder;
  const std::string frame = "\xdd\xff\xff\xff\xff" + std::string(5, '\xc0');
  ASSERT_EQ(frame.size(), 10u);
  EXPECT_TRUE(IsError(decoder.DecodeClient(frame), ErrorCode::kMalformed,
                      "beyond limits"));
  // The same claim inside an otherwise valid hello.
  const std::string hello = Message("hello")
                                .Set("pid", PackedUint(1))
                                .Set("fns", "\xdd\xff\xff\xff\xff")
                                .Build();
  EXPECT_TRUE(IsError(decoder.DecodeFromWorker(hello + "\xa1x"),
                      ErrorCode::kMalformed, "beyond limits"));
}

TEST(DecoderBombTest, RejectsAMapClaimingFourBillionPairs) {
  Decoder decoder;
  const std::string frame = "\xdf\xff\xff\xff\xff" + std::string(5, '\xc0');
  EXPECT_TRUE(IsError(decoder.DecodeClient(frame), ErrorCode::kMalformed,
                      "beyond limits"));
}

TEST(DecoderBombTest, RejectsAStringClaimingAGigabyteInATinyFrame) {
  Decoder decoder;
  // {"v": str32 of 1 GiB} followed by three bytes.
  const std::string frame =
      "\x81\xa1v\xdb\x40\x00\x00\x00"
      "abc"s;
  EXPECT_TRUE(IsError(decoder.DecodeClient(frame), ErrorCode::kMalformed));
  // A bin32 args claiming 4 GiB - 1 after valid fields.
  const std::string args =
      ValidSubmit().Erase("args").Add("args", "\xc6\xff\xff\xff\xff").Build();
  EXPECT_TRUE(
      IsError(decoder.DecodeClient(args + "abc"), ErrorCode::kMalformed));
}

TEST(DecoderBombTest, RejectsNestingDeeperThanAllowed) {
  Decoder decoder;
  // 100,000 nested one-element arrays: a recursive parser would overflow
  // its stack.
  const std::string deep = std::string(100000, '\x91') + "\xc0";
  EXPECT_TRUE(IsError(decoder.DecodeClient(deep), ErrorCode::kMalformed,
                      "beyond limits"));
  const std::string in_map = "\x81\xa1x" + deep;
  EXPECT_TRUE(IsError(decoder.DecodeClient(in_map), ErrorCode::kMalformed,
                      "beyond limits"));
}

TEST(DecoderBombTest, RejectsAThirdContainerLevel) {
  Decoder decoder;
  // {"a": [[nil]]}: no message needs a container inside a container inside
  // the message map, and allowing one let a 16 MiB frame reserve 400 MiB.
  const std::string frame = "\x81\xa1" "a\x91\x91\xc0"s;
  EXPECT_TRUE(IsError(decoder.DecodeClient(frame), ErrorCode::kMalformed,
                      "beyond limits"));
}

TEST(DecoderBombTest, RejectsExtensionTypes) {
  Decoder decoder;
  // {"v": fixext1}: protocol v1 uses no ext types.
  const std::string frame = "\x81\xa1v\xd4\x01\x00"s;
  EXPECT_TRUE(IsError(decoder.DecodeClient(frame), ErrorCode::kMalformed));
}

// ---- last_request_id -------------------------------------------------------

TEST(DecoderTest, RemembersTheRequestIdEvenWhenTheVersionIsWrong) {
  Decoder decoder;
  const std::string frame = ValidSubmit().Set("req", PackedUint(43)).Set("v", PackedUint(2)).Build();
  EXPECT_TRUE(IsError(decoder.DecodeClient(frame), ErrorCode::kBadVersion));
  EXPECT_EQ(decoder.last_request_id(), 43u);
}

TEST(DecoderTest, RemembersTheRequestIdWhenALaterFieldFails) {
  Decoder decoder;
  const std::string frame =
      ValidSubmit().Set("req", PackedUint(42)).Set("fn", PackedUint(1)).Build();
  EXPECT_TRUE(IsError(decoder.DecodeClient(frame), ErrorCode::kWrongType));
  EXPECT_EQ(decoder.last_request_id(), 42u);

  const std::string unknown =
      Message("frob").Set("req", PackedUint(43)).Build();
  EXPECT_TRUE(IsError(decoder.DecodeClient(unknown), ErrorCode::kUnknownKind));
  EXPECT_EQ(decoder.last_request_id(), 43u);
}

TEST(DecoderTest, ForgetsTheRequestIdOfAnEarlierFrame) {
  Decoder decoder;
  ASSERT_TRUE(decoder.DecodeClient(ValidSubmit().Build()).ok());
  ASSERT_EQ(decoder.last_request_id(), 7u);
  EXPECT_FALSE(decoder.DecodeClient("\xc1").ok());
  EXPECT_EQ(decoder.last_request_id(), 0u);
  EXPECT_FALSE(
      decoder.DecodeClient(ValidSubmit().Set("req", PackedStr("7")).Build())
          .ok());
  EXPECT_EQ(decoder.last_request_id(), 0u);
}

TEST(DecoderTest, DecodesAgainAfterRejectingAFrame) {
  // The zone is reused across frames: a failure must not poison it.
  Decoder decoder;
  EXPECT_FALSE(decoder.DecodeClient(std::string(1000, '\x91')).ok());
  const std::string frame = ValidSubmit().Build();  // the result views it
  auto r = decoder.DecodeClient(frame);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(std::get<SubmitRequest>(r.value()).fn, "echo");
}

}  // namespace
}  // namespace tq::proto
