// Agent codec tests (PROTOCOL.md §10): every agent <-> tqd message survives
// Encode then its Decoder method, and each rule of §10 has a test that
// breaks it alone and checks the error names what is wrong.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "codec_test_util.h"
#include "tq/proto/codec.h"

namespace tq::proto {
namespace {

using namespace testutil;

// ---- helpers ---------------------------------------------------------------

constexpr AgentHeader kHeader{.session = 0x8000000000000001, .seq = 7};

// One message of every kind of a direction, with the kind it goes under:
// values at the ends of their ranges, data with NUL bytes, each form of
// ch_exited.
const std::string kData("\x00\x00\x00\x05\x80\x00", 6);

std::vector<std::pair<std::string_view, AgentMessage>> FromAgentSamples() {
  return {
      {"agent_hello", AgentHello{kHeader, "node17.cluster", 4096, "0.1.0"}},
      {"agent_beat", AgentBeat{kHeader, UINT64_MAX}},
      {"ch_spawned", ChannelSpawned{kHeader, 12, 4121}},
      {"ch_out", ChannelOutput{kHeader, 3, kData}},
      {"ch_exited", ChannelExited{.h = kHeader, .channel = 1, .code = 0}},
      {"ch_exited", ChannelExited{.h = kHeader, .channel = 2, .signal = 9}},
      {"ch_exited", ChannelExited{.h = kHeader, .channel = 3, .error = "posix_spawn: ENOENT"}},
      {"ch_rss", ChannelRss{kHeader, 4, 123456789}},
      {"ch_stack", ChannelStack{kHeader, 5, "#0  nanosleep ()\n#1  main ()\n"}},
      {"ch_stack", ChannelStack{kHeader, 5, ""}},
      {"agent_bye", AgentBye{kHeader, true}},
      {"agent_bye", AgentBye{kHeader, false}},
  };
}

std::vector<std::pair<std::string_view, ToAgentMessage>> ToAgentSamples() {
  return {
      {"agent_welcome", AgentWelcome{kHeader, 1, UINT32_MAX}},
      {"daemon_beat", DaemonBeat{kHeader, 0}},
      {"ch_spawn", ChannelSpawn{kHeader, 0}},
      {"ch_in", ChannelInput{kHeader, UINT64_MAX, kData}},
      {"ch_close_in", ChannelCloseInput{kHeader, 6}},
      {"ch_signal", ChannelSignal{kHeader, 7, 64}},
      {"ch_capture", ChannelCapture{kHeader, 8, 3000}},
      {"session_end", SessionEnd{{.session = 42, .seq = 0}, "unknown session"}},
  };
}

// Each sample goes out under its kind and comes back as the same message:
// decoding then encoding again gives the same bytes, and as every encoder
// writes every field it has, that means every field survived.
template <typename Variant>
void ExpectRoundTrips(const std::vector<std::pair<std::string_view, Variant>>& samples,
                      Result<Variant> (Decoder::*decode)(std::string_view)) {
  Decoder decoder;
  for (const auto& [kind, sent] : samples) {
    SCOPED_TRACE(kind);
    Buffer first, second;
    std::visit([&](const auto& m) { Encode(m, first); }, sent);
    EXPECT_NE(first.view().find(PackedStr(kind)), std::string_view::npos);
    Result<Variant> got = (decoder.*decode)(first.view());
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->index(), sent.index());
    std::visit([&](const auto& m) { Encode(m, second); }, *got);
    EXPECT_EQ(first.view(), second.view());
  }
}

// A valid message of `kind` up to its header, for tests to complete and spoil.
RawMap AgentMessageOf(std::string_view kind) {
  return Message(kind).Set("s", PackedUint(1)).Set("n", PackedUint(1));
}
RawMap ValidHello() {
  return AgentMessageOf("agent_hello")
      .Set("host", PackedStr("node17"))
      .Set("slots", PackedUint(8))
      .Set("version", PackedStr("0.1.0"));
}
RawMap ValidExited() { return AgentMessageOf("ch_exited").Set("ch", PackedUint(3)); }
RawMap ValidWelcome() {
  return AgentMessageOf("agent_welcome")
      .Set("beat_ms", PackedUint(1000))
      .Set("deadline_ms", PackedUint(5000));
}
std::string PackedInt(std::int64_t v) {
  return Packed([&](Packer& pk) { pk.pack_int64(v); });
}

Result<AgentMessage> FromAgent(const RawMap& m) { return Decoder().DecodeFromAgent(m.Build()); }
Result<ToAgentMessage> ToAgent(const RawMap& m) { return Decoder().DecodeToAgent(m.Build()); }

// ---- round trips -----------------------------------------------------------

TEST(AgentCodecTest, EveryMessageFromAnAgentRoundTripsUnderItsKind) {
  ExpectRoundTrips(FromAgentSamples(), &Decoder::DecodeFromAgent);
}

TEST(AgentCodecTest, EveryMessageToAnAgentRoundTripsUnderItsKind) {
  ExpectRoundTrips(ToAgentSamples(), &Decoder::DecodeToAgent);
}

TEST(AgentCodecTest, DecodesEachFieldOfAHelloAndItsHeader) {
  Buffer frame;
  auto m = RoundTrip(AgentHello{kHeader, "node17", 8, "0.1.0"}, &Decoder::DecodeFromAgent,
                     &frame);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->h.session, kHeader.session);
  EXPECT_EQ(m->h.seq, kHeader.seq);
  EXPECT_EQ(m->host, "node17");
  EXPECT_EQ(m->slots, 8u);
  EXPECT_EQ(m->version, "0.1.0");
}

TEST(AgentCodecTest, KeepsNulBytesInChannelData) {
  Buffer frame;
  auto m = RoundTrip(ChannelInput{kHeader, 3, kData}, &Decoder::DecodeToAgent, &frame);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->channel, 3u);
  EXPECT_EQ(m->data, kData);
}

TEST(AgentCodecTest, DecodesAnExitAsExactlyTheOneFieldItCarries) {
  Buffer frame;
  auto sig = RoundTrip(ChannelExited{.h = kHeader, .channel = 2, .signal = 9},
                       &Decoder::DecodeFromAgent, &frame);
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->signal, 9);
  EXPECT_FALSE(sig->code);
  EXPECT_EQ(sig->error, "");
  frame.clear();
  auto code = RoundTrip(ChannelExited{.h = kHeader, .channel = 1, .code = 0},
                        &Decoder::DecodeFromAgent, &frame);
  ASSERT_TRUE(code);
  EXPECT_EQ(code->code, 0);
  EXPECT_FALSE(code->signal);
}

TEST(AgentCodecTest, SendsRequeueOnlyWhenSet) {
  Buffer frame;
  Encode(AgentBye{kHeader, false}, frame);
  EXPECT_EQ(frame.view().find("requeue"), std::string_view::npos);
}

// ---- kinds -----------------------------------------------------------------

TEST(AgentDecoderTest, NamesEveryKindOfItsDirectionWhenTheKindIsUnknown) {
  Decoder decoder;
  const std::string frob = AgentMessageOf("frob").Build();
  EXPECT_EQ(decoder.DecodeFromAgent(frob).status().message(),
            "unknown message kind 'frob'; expected 'agent_hello', 'agent_beat', 'ch_spawned', "
            "'ch_out', 'ch_exited', 'ch_rss', 'ch_stack' or 'agent_bye'");
  EXPECT_EQ(decoder.DecodeToAgent(frob).status().message(),
            "unknown message kind 'frob'; expected 'agent_welcome', 'daemon_beat', 'ch_spawn', "
            "'ch_in', 'ch_close_in', 'ch_signal', 'ch_capture' or 'session_end'");
}

TEST(AgentDecoderTest, RefusesAKindOfTheOtherDirection) {
  EXPECT_TRUE(IsError(FromAgent(AgentMessageOf("ch_spawn").Set("ch", PackedUint(1))),
                      ErrorCode::kUnknownKind, "'ch_spawn'"));
  EXPECT_TRUE(IsError(ToAgent(ValidHello()), ErrorCode::kUnknownKind, "'agent_hello'"));
  // Nor is a worker's pipe frame an agent message.
  EXPECT_TRUE(IsError(FromAgent(AgentMessageOf("hello")), ErrorCode::kUnknownKind));
}

// ---- the header ------------------------------------------------------------

TEST(AgentDecoderTest, RefusesAMessageWithoutASessionOrASeq) {
  EXPECT_TRUE(IsError(FromAgent(ValidHello().Erase("s")), ErrorCode::kMissingField,
                      "agent_hello: missing field 's'"));
  EXPECT_TRUE(IsError(ToAgent(ValidWelcome().Erase("n")), ErrorCode::kMissingField,
                      "agent_welcome: missing field 'n'"));
  EXPECT_TRUE(IsError(FromAgent(ValidHello().Set("s", PackedInt(-1))), ErrorCode::kWrongType,
                      "field 's' must be a non-negative integer"));
}

TEST(AgentDecoderTest, RefusesSessionZero) {
  EXPECT_TRUE(IsError(FromAgent(ValidHello().Set("s", PackedUint(0))), ErrorCode::kBadValue,
                      "agent_hello: field 's' (session) must be non-zero"));
  EXPECT_TRUE(IsError(ToAgent(AgentMessageOf("session_end")
                                  .Set("s", PackedUint(0))
                                  .Set("n", PackedUint(0))
                                  .Set("why", PackedStr(""))),
                      ErrorCode::kBadValue, "field 's' (session) must be non-zero"));
}

TEST(AgentDecoderTest, RefusesSeqZeroInEveryMessageButSessionEnd) {
  EXPECT_TRUE(IsError(FromAgent(ValidHello().Set("n", PackedUint(0))), ErrorCode::kBadValue,
                      "agent_hello: field 'n' (seq) must be non-zero; only session_end may "
                      "carry 0"));
  EXPECT_TRUE(IsError(ToAgent(ValidWelcome().Set("n", PackedUint(0))), ErrorCode::kBadValue,
                      "agent_welcome: field 'n' (seq) must be non-zero"));
  auto end = ToAgent(
      AgentMessageOf("session_end").Set("n", PackedUint(0)).Set("why", PackedStr("")));
  EXPECT_TRUE(end.ok()) << end.status().ToString();
}

TEST(AgentDecoderTest, RefusesUnknownFieldsIncludingARequestId) {
  EXPECT_TRUE(IsError(FromAgent(ValidHello().Set("cores", PackedUint(8))),
                      ErrorCode::kUnknownField, "agent_hello: unknown field 'cores'"));
  EXPECT_TRUE(IsError(ToAgent(ValidWelcome().Set("req", PackedUint(1))),
                      ErrorCode::kUnknownField, "agent_welcome: unknown field 'req'"));
}

// ---- agent_hello -----------------------------------------------------------

TEST(AgentDecoderTest, AcceptsAHostOf255PrintableBytes) {
  auto r = FromAgent(ValidHello().Set("host", PackedStr(std::string(255, 'h'))));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

TEST(AgentDecoderTest, RefusesAHostThatIsEmptyLongerThan255BytesOrUnprintable) {
  for (const std::string& host :
       {std::string(), std::string(256, 'h'), std::string("no\nde"), std::string("\xff")}) {
    EXPECT_TRUE(IsError(FromAgent(ValidHello().Set("host", PackedStr(host))),
                        ErrorCode::kBadValue,
                        "agent_hello: field 'host' must be 1 to 255 bytes of printable UTF-8"));
  }
}

TEST(AgentDecoderTest, RefusesZeroSlotsAndMoreThan4096) {
  for (std::uint64_t slots : {std::uint64_t{0}, std::uint64_t{4097}, std::uint64_t{1} << 32}) {
    EXPECT_TRUE(IsError(FromAgent(ValidHello().Set("slots", PackedUint(slots))),
                        ErrorCode::kBadValue, "agent_hello: field 'slots' must be 1 to 4096"));
  }
  auto r = FromAgent(ValidHello().Set("slots", PackedUint(4096)));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

TEST(AgentDecoderTest, RefusesAVersionLongerThan64BytesOrUnprintable) {
  for (const std::string& version : {std::string(65, 'v'), std::string("0.1\t")}) {
    EXPECT_TRUE(IsError(FromAgent(ValidHello().Set("version", PackedStr(version))),
                        ErrorCode::kBadValue,
                        "agent_hello: field 'version' must be at most 64 bytes of printable "
                        "UTF-8"));
  }
  auto r = FromAgent(ValidHello().Set("version", PackedStr(std::string(64, 'v'))));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

// ---- ch_spawned, ch_out, ch_in, ch_stack -----------------------------------

TEST(AgentDecoderTest, RefusesASpawnedChannelWithPidZero) {
  EXPECT_TRUE(IsError(FromAgent(AgentMessageOf("ch_spawned")
                                    .Set("ch", PackedUint(1))
                                    .Set("pid", PackedUint(0))),
                      ErrorCode::kBadValue, "ch_spawned: field 'pid' must be 1 to 2147483647"));
}

TEST(AgentDecoderTest, RefusesEmptyChannelDataEitherWay) {
  EXPECT_TRUE(IsError(
      FromAgent(AgentMessageOf("ch_out").Set("ch", PackedUint(1)).Set("data", PackedBin(""))),
      ErrorCode::kBadValue, "ch_out: field 'data' must hold 1 byte or more"));
  EXPECT_TRUE(IsError(
      ToAgent(AgentMessageOf("ch_in").Set("ch", PackedUint(1)).Set("data", PackedBin(""))),
      ErrorCode::kBadValue, "ch_in: field 'data' must hold 1 byte or more"));
}

TEST(AgentDecoderTest, RefusesChannelDataSentAsAString) {
  EXPECT_TRUE(IsError(
      FromAgent(AgentMessageOf("ch_out").Set("ch", PackedUint(1)).Set("data", PackedStr("x"))),
      ErrorCode::kWrongType, "ch_out: field 'data' must be a bin of the worker's bytes, got str"));
}

TEST(AgentDecoderTest, RefusesChannelDataThatMakesTheMessageOverMaxMessageBytes) {
  Limits limits;
  limits.max_message_bytes = 1024;
  Decoder decoder(limits);
  Buffer fits, over;
  Encode(ChannelInput{kHeader, 1, std::string(900, 'x')}, fits);
  Encode(ChannelInput{kHeader, 1, std::string(1024, 'x')}, over);
  auto r = decoder.DecodeToAgent(fits.view());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(IsError(decoder.DecodeToAgent(over.view()), ErrorCode::kTooLarge,
                      "the limit is 1024"));
}

TEST(AgentDecoderTest, AcceptsAStackOf64KiBAndRefusesOneByteMore) {
  auto stack = [](std::size_t n) {
    return AgentMessageOf("ch_stack").Set("ch", PackedUint(1)).Set("stack",
                                                                   PackedStr(std::string(n, 's')));
  };
  auto r = FromAgent(stack(65536));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(IsError(FromAgent(stack(65537)), ErrorCode::kTooLarge,
                      "ch_stack: field 'stack' is 65537 bytes; the limit is 65536"));
}

// ---- ch_exited -------------------------------------------------------------

TEST(AgentDecoderTest, RefusesAnExitWithNoneOfCodeSignalAndError) {
  EXPECT_TRUE(IsError(FromAgent(ValidExited()), ErrorCode::kMissingField,
                      "ch_exited: exactly one of fields 'code', 'signal' and 'error' must be "
                      "present, got 0"));
}

TEST(AgentDecoderTest, RefusesAnExitWithMoreThanOneOfCodeSignalAndError) {
  EXPECT_TRUE(IsError(
      FromAgent(ValidExited().Set("code", PackedUint(1)).Set("signal", PackedUint(9))),
      ErrorCode::kBadValue, "exactly one of fields 'code', 'signal' and 'error'"));
  EXPECT_TRUE(IsError(
      FromAgent(ValidExited().Set("signal", PackedUint(9)).Set("error", PackedStr("x"))),
      ErrorCode::kBadValue, "got 2"));
}

TEST(AgentDecoderTest, RefusesAnExitCodeOutside0To255) {
  for (std::int64_t code : {std::int64_t{-1}, std::int64_t{256}}) {
    EXPECT_TRUE(IsError(FromAgent(ValidExited().Set("code", PackedInt(code))),
                        ErrorCode::kBadValue, "ch_exited: field 'code' must be 0 to 255"));
  }
  auto r = FromAgent(ValidExited().Set("code", PackedUint(255)));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

TEST(AgentDecoderTest, RefusesAnExitSignalOutside1To64) {
  for (std::int64_t sig : {std::int64_t{0}, std::int64_t{65}, std::int64_t{-9}}) {
    EXPECT_TRUE(IsError(FromAgent(ValidExited().Set("signal", PackedInt(sig))),
                        ErrorCode::kBadValue, "ch_exited: field 'signal' must be 1 to 64"));
  }
  auto r = FromAgent(ValidExited().Set("signal", PackedUint(64)));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

TEST(AgentDecoderTest, RefusesAStartErrorThatIsEmptyLongerThan4096BytesOrUnprintable) {
  for (const std::string& error : {std::string(), std::string(4097, 'e'), std::string("a\x1b")}) {
    EXPECT_TRUE(IsError(FromAgent(ValidExited().Set("error", PackedStr(error))),
                        ErrorCode::kBadValue,
                        "ch_exited: field 'error' must be 1 to 4096 bytes of printable UTF-8"));
  }
  auto r = FromAgent(ValidExited().Set("error", PackedStr(std::string(4096, 'e'))));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

// ---- tqd -> agent ----------------------------------------------------------

TEST(AgentDecoderTest, RefusesASignalToSendOutside1To64) {
  for (std::int64_t sig : {std::int64_t{0}, std::int64_t{65}}) {
    EXPECT_TRUE(IsError(ToAgent(AgentMessageOf("ch_signal")
                                    .Set("ch", PackedUint(1))
                                    .Set("signal", PackedInt(sig))),
                        ErrorCode::kBadValue, "ch_signal: field 'signal' must be 1 to 64"));
  }
}

TEST(AgentDecoderTest, RefusesAWelcomeWithABeatOrDeadlineOfZero) {
  EXPECT_TRUE(IsError(ToAgent(ValidWelcome().Set("beat_ms", PackedUint(0))),
                      ErrorCode::kBadValue,
                      "agent_welcome: field 'beat_ms' must be 1 to 4294967295"));
  EXPECT_TRUE(IsError(ToAgent(ValidWelcome().Set("deadline_ms", PackedUint(0))),
                      ErrorCode::kBadValue,
                      "agent_welcome: field 'deadline_ms' must be 1 to 4294967295"));
}

TEST(AgentDecoderTest, RefusesAWelcomeWhoseDeadlineIsNotLongerThanItsBeat) {
  for (std::uint64_t deadline : {1000u, 999u}) {
    EXPECT_TRUE(IsError(ToAgent(ValidWelcome().Set("deadline_ms", PackedUint(deadline))),
                        ErrorCode::kBadValue,
                        "agent_welcome: field 'deadline_ms' must be greater than field "
                        "'beat_ms'"));
  }
}

TEST(AgentDecoderTest, RefusesACaptureWithTimeoutZero) {
  EXPECT_TRUE(IsError(ToAgent(AgentMessageOf("ch_capture")
                                  .Set("ch", PackedUint(1))
                                  .Set("timeout_ms", PackedUint(0))),
                      ErrorCode::kBadValue,
                      "ch_capture: field 'timeout_ms' must be 1 to 4294967295"));
}

TEST(AgentDecoderTest, RefusesASessionEndWhyLongerThan4096BytesOrUnprintable) {
  for (const std::string& why : {std::string(4097, 'w'), std::string("bad\nreason")}) {
    EXPECT_TRUE(IsError(ToAgent(AgentMessageOf("session_end").Set("why", PackedStr(why))),
                        ErrorCode::kBadValue,
                        "session_end: field 'why' must be at most 4096 bytes of printable "
                        "UTF-8"));
  }
}

}  // namespace
}  // namespace tq::proto
