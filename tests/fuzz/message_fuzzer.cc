// Fuzz target: the message decoders of the ZeroMQ links (proto::Decoder's
// DecodeClient, what tqd runs on every client frame, DecodeDaemon, what
// libtq runs on every reply, and DecodeFromAgent / DecodeToAgent, what tqd
// and tq-agent run on every frame of the agent link, PROTOCOL.md §10).
//
// Input: one frame, exactly as it would arrive. Properties beyond "no
// crash, no leak, no UB, no allocation over libFuzzer's malloc limit":
// accepted messages round-trip to a canonical encoding, and every rejection
// yields a valid ERROR reply whose sentence is UTF-8; and msgpack_walk's
// SkipValue stays in bounds and spans exactly every accepted message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.h"
#include "tq/proto/msgpack_walk.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using tq::proto::Decoder;
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  const tq::proto::Limits limits;
  // One long-lived decoder, as tqd and libtq keep: its zone is reused, so
  // state left over from an earlier input would show up here.
  static Decoder decoder(limits);

  auto client = decoder.DecodeClient(frame);
  if (client.ok()) {
    tq::fuzz::CheckRoundTrip(&Decoder::DecodeClient, limits, *client);
  } else {
    tq::fuzz::CheckErrorReply(decoder.last_request_id(), client.status());
  }

  auto daemon = decoder.DecodeDaemon(frame);
  if (daemon.ok()) {
    tq::fuzz::CheckRoundTrip(&Decoder::DecodeDaemon, limits, *daemon);
  } else {
    FUZZ_CHECK(tq::fuzz::IsUtf8(daemon.status().message()));
  }

  // The agent link has no ERROR reply: its sentences go to logs, so they
  // need only be UTF-8.
  auto from_agent = decoder.DecodeFromAgent(frame);
  if (from_agent.ok()) {
    tq::fuzz::CheckRoundTrip(&Decoder::DecodeFromAgent, limits, *from_agent);
  } else {
    FUZZ_CHECK(tq::fuzz::IsUtf8(from_agent.status().message()));
  }
  auto to_agent = decoder.DecodeToAgent(frame);
  if (to_agent.ok()) {
    tq::fuzz::CheckRoundTrip(&Decoder::DecodeToAgent, limits, *to_agent);
  } else {
    FUZZ_CHECK(tq::fuzz::IsUtf8(to_agent.status().message()));
  }

  // The walker workers run over chunks (PROTOCOL.md §4.9) never reads past
  // the end, and agrees with the decoder that a message is one value.
  std::size_t pos = 0;
  const bool walked = tq::proto::SkipValue(frame, &pos);
  FUZZ_CHECK(pos <= size && walked == (pos != 0));
  if (client.ok() || daemon.ok() || from_agent.ok() || to_agent.ok()) {
    FUZZ_CHECK(walked && pos == size);
  }
  return 0;
}
