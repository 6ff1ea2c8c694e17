// Size limits shared by the codec, tqd and the client library.
//
// Every limit here is enforced before memory is committed to a peer's claim:
// the frame length before buffering, msgpack container sizes before the
// unpacker allocates, and string lengths before they are copied.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tq::proto {

// The protocol version this build speaks (field "v").
inline constexpr std::uint32_t kProtocolVersion = 1;

inline constexpr std::size_t kMiB = std::size_t{1} << 20;

struct Limits {
  // Largest client message or pipe frame payload, in bytes.
  std::size_t max_message_bytes = 64 * kMiB;
  // Largest "args" inside a message, in bytes.
  std::size_t max_args_bytes = 48 * kMiB;
  // Largest result "value", in bytes.
  std::size_t max_result_bytes = 48 * kMiB;
};

// Most requests in one batch (PROTOCOL.md §1, "Batches"): the frames of
// one ZeroMQ message. Together they may hold at most max_message_bytes.
inline constexpr std::size_t kMaxBatchRequests = 1024;

// A function name is 1..kMaxFunctionNameBytes bytes of printable ASCII or
// UTF-8, so it can be echoed in error sentences and logs verbatim.
inline constexpr std::size_t kMaxFunctionNameBytes = 128;
// Most functions one worker may announce in its hello.
inline constexpr std::size_t kMaxFunctions = 4096;
// Longest plugin path a worker may name as a function's origin (PATH_MAX).
inline constexpr std::size_t kMaxPathBytes = 4096;
// Longest error type / message strings a worker may report; longer ones are
// truncated by the worker runtime, rejected by the decoder.
inline constexpr std::size_t kMaxErrorTextBytes = 64 * 1024;

// Agent <-> tqd (PROTOCOL.md §10). A host name is 1..kMaxHostBytes bytes of
// printable UTF-8 (a DNS name's limit); an agent runs 1..kMaxAgentSlots
// workers; its version string is at most kMaxAgentVersionBytes; a start
// error or a session's end reason at most kMaxAgentTextBytes; a captured
// stack at most kMaxErrorTextBytes (the agent truncates, the decoder
// refuses). Signals are 1..kMaxSignal (Linux's real-time signals end at 64).
inline constexpr std::size_t kMaxHostBytes = 255;
inline constexpr std::uint32_t kMaxAgentSlots = 4096;
inline constexpr std::size_t kMaxAgentVersionBytes = 64;
inline constexpr std::size_t kMaxAgentTextBytes = 4096;
inline constexpr std::int32_t kMaxSignal = 64;

}  // namespace tq::proto
