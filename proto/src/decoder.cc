// Decoder: unpacking a frame within limits and checking its envelope.
//
// Decoding unpacks into a zone the Decoder reuses, with limits on every
// container and string so a hostile frame cannot make msgpack-c allocate
// beyond them, and with a reference function so strings and bins point into
// the frame instead of being copied. Every msgpack-c exception stops here.
#include "decoder.h"

#include "message_parts.h"
#include "tq/proto/limits.h"

namespace tq::proto {
namespace {

bool AlwaysReference(msgpack::type::object_type, std::size_t, void*) {
  return true;  // strings and bins point into the caller's frame
}

}  // namespace

Decoder::Impl::Impl(const Limits& limits)
    : limits_(limits),
      listing_limits_(kMaxFunctions, Fields::kMaxFields, limits.max_message_bytes,
                      limits.max_message_bytes, 0,
                      // Listings from tqd hold arrays of maps.
                      /*depth=*/3),
      peer_limits_(/*array=*/kMaxFunctions, /*map=*/Fields::kMaxFields,
                   /*str=*/limits.max_message_bytes,
                   /*bin=*/limits.max_message_bytes, /*ext=*/0,
                   // No message nests deeper than its map holding one
                   // array or map; each level lets msgpack-c reserve 24
                   // bytes per claimed element before the elements come.
                   /*depth=*/2) {}

Status Decoder::Impl::Open(std::string_view frame, Shape shape, std::string_view* kind,
                           std::uint64_t* request_id) {
  if (frame.empty()) return {ErrorCode::kMalformed, "empty frame"};
  if (frame.size() > limits_.max_message_bytes) {
    return {ErrorCode::kTooLarge, "frame is " + std::to_string(frame.size()) +
                                      " bytes; the limit is " +
                                      std::to_string(limits_.max_message_bytes)};
  }
  zone_.clear();
  std::size_t off = 0;
  try {
    bool referenced = false;
    obj_ = msgpack::unpack(zone_, frame.data(), frame.size(), off, referenced,
                           &AlwaysReference, nullptr,
                           shape == Shape::kListing ? listing_limits_ : peer_limits_);
  } catch (const msgpack::insufficient_bytes&) {
    return {ErrorCode::kMalformed, "truncated msgpack value"};
  } catch (const msgpack::size_overflow& e) {
    return {ErrorCode::kMalformed, std::string("msgpack value beyond limits (") + e.what() + ")"};
  } catch (const std::exception& e) {
    return {ErrorCode::kMalformed, std::string("invalid msgpack (") + e.what() + ")"};
  }
  if (off != frame.size()) {
    return {ErrorCode::kMalformed, "trailing bytes after the msgpack value"};
  }
  if (obj_.type != msgpack::type::MAP) {
    return {ErrorCode::kMalformed,
            "message must be a msgpack map, got " + std::string(TypeName(obj_))};
  }
  Fields f("message", obj_);
  TQ_RETURN_IF_ERROR(f.Init());
  // Noted before anything else can fail, to address the error reply.
  if (const msgpack::object* r = f.Find("req");
      r != nullptr && r->type == msgpack::type::POSITIVE_INTEGER) {
    *request_id = r->via.u64;
  }
  const msgpack::object* v = f.Find("v");
  if (v == nullptr) return {ErrorCode::kBadVersion, "missing field 'v' (protocol version)"};
  if (v->type != msgpack::type::POSITIVE_INTEGER || v->via.u64 != kProtocolVersion) {
    return {ErrorCode::kBadVersion,
            "protocol version must be 1 (field 'v'), this peer speaks only 1"};
  }
  return f.Str("kind", kind);
}

Decoder::Decoder(Limits limits) : limits_(limits), impl_(std::make_unique<Impl>(limits)) {}
Decoder::~Decoder() = default;

Result<ErrorInfo> DecodeErrorInfo(std::string_view bytes) {
  msgpack::zone zone;
  msgpack::object obj;
  std::size_t off = 0;
  try {
    bool referenced = false;
    obj = msgpack::unpack(zone, bytes.data(), bytes.size(), off, referenced, &AlwaysReference,
                          nullptr, msgpack::unpack_limit(0, Fields::kMaxFields, bytes.size(),
                                                         bytes.size(), 0, /*depth=*/1));
  } catch (const std::exception& e) {
    return Status(ErrorCode::kMalformed, std::string("error map: invalid msgpack (") + e.what() + ")");
  }
  if (off != bytes.size() || obj.type != msgpack::type::MAP) {
    return Status(ErrorCode::kMalformed, "error map: not one msgpack map");
  }
  Fields e("error", obj);
  ErrorInfo info;
  TQ_RETURN_IF_ERROR(ReadErrorMap(e, &info));
  return info;
}

}  // namespace tq::proto
