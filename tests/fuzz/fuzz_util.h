// Helpers shared by the libFuzzer targets in tests/fuzz.
//
// A fuzz target checks properties, not just "does not crash": what the
// decoders accept must re-encode to a canonical form that decodes again,
// and every error sentence they build from a peer's bytes must be valid
// UTF-8 (tqd sends those sentences back to clients and writes them to logs).
// FUZZ_CHECK aborts, which libFuzzer reports as a crash with the input saved.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "tq/proto/codec.h"
#include "tq/proto/utf8.h"

#define FUZZ_CHECK(cond)                                                  \
  do {                                                                    \
    if (!(cond)) {                                                        \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__,    \
                   __LINE__, #cond);                                      \
      std::abort();                                                       \
    }                                                                     \
  } while (0)

namespace tq::fuzz {

// Error sentences are checked whole against the one UTF-8 check
// (utfcpp's), while the codec only filters what it echoes of a peer's bytes
// (IsPrintableUtf8): a sentence that echoes them unfiltered fails here.
using proto::IsUtf8;

// Encodes a decoded message of any kind the codec can encode. Returns false
// for kinds without an encoder (none today; kinds added later stay fuzzed
// through decoding until they get one).
template <typename Variant>
bool EncodeAny(const Variant& message, proto::Buffer& out) {
  return std::visit(
      [&](const auto& m) {
        if constexpr (requires { proto::Encode(m, out); }) {
          proto::Encode(m, out);
          return true;
        } else {
          return false;
        }
      },
      message);
}

// The round-trip property for one decoder entry point: a message that
// decodes re-encodes into a frame that decodes to the same kind, and
// encoding is then a fixed point (decode(encode(m)) encodes to the same
// bytes). `decode` is a member function pointer of proto::Decoder.
template <typename DecodeFn>
void CheckRoundTrip(DecodeFn decode, const proto::Limits& limits,
                    const auto& message) {
  proto::Buffer first;
  if (!EncodeAny(message, first)) return;
  proto::Decoder again(limits);
  auto second = (again.*decode)(first.view());
  if (!second.ok()) {
    std::fprintf(stderr, "re-encoded message does not decode: %s\n",
                 second.status().ToString().c_str());
    std::abort();
  }
  FUZZ_CHECK(second->index() == message.index());
  proto::Buffer third;
  FUZZ_CHECK(EncodeAny(*second, third));
  FUZZ_CHECK(first.view() == third.view());
}

// What tqd does with a decode failure: it sends EncodeError(req, status).
// That reply must itself be a valid daemon message with a UTF-8 sentence.
inline void CheckErrorReply(std::uint64_t request_id, const proto::Status& status) {
  FUZZ_CHECK(!status.ok());
  if (!IsUtf8(status.message())) {
    std::fprintf(stderr, "error sentence is not UTF-8: %s\n", status.message().c_str());
    std::abort();
  }
  proto::Buffer reply;
  proto::EncodeError(request_id, status, reply);
  proto::Decoder client_side;
  auto m = client_side.DecodeDaemon(reply.view());
  FUZZ_CHECK(m.ok());
  FUZZ_CHECK(std::holds_alternative<proto::ErrorReply>(*m));
}

}  // namespace tq::fuzz
