// The machinery every Decoder method shares: unpacking a frame within
// limits, checking "v" and "kind", and finding the kind in a table of the
// kinds that direction accepts, whose decoder then reads the rest.
//
// Each direction keeps its own table (decode_client.cc, decode_daemon.cc,
// decode_worker.cc, decode_agent.cc); the UNKNOWN_KIND sentence lists the
// table's names, so a kind added to a table is also one the sentence
// offers. Internal to tq_proto: includes msgpack.hpp.
#pragma once

#include <msgpack.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fields.h"
#include "tq/proto/codec.h"

namespace tq::proto {

// One message kind of a direction: its name on the wire, and its decoder,
// which reads every field but "v" and "kind" from `f` (Decode then refuses
// the fields it left unread). Tables of requests add their RequestKind.
template <typename Message>
struct KindRow {
  std::string_view name;
  Result<Message> (*decode)(Fields& f, const Limits& limits);
};

// "'a', 'b' or 'c'": the names of a table's kinds.
template <typename Row, std::size_t N>
std::string KindNames(const Row (&kinds)[N]) {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) out += i + 1 == N ? " or " : ", ";
    out += '\'';
    out += kinds[i].name;
    out += '\'';
  }
  return out;
}

class Decoder::Impl {
 public:
  // What a frame may hold beyond a map of scalars.
  enum class Shape : std::uint8_t {
    kPeer,     // what peers send tqd: one container level inside the map
    kListing,  // what tqd sends clients: listings hold arrays of maps
  };

  explicit Impl(const Limits& limits);

  // Decodes `frame` as one of `kinds`. *request_id gets the frame's "req"
  // as soon as it is read (0 if it cannot be), to address an error reply.
  // With `ignore_unknown`, fields nothing reads are allowed (a client
  // reading tqd's replies); otherwise each is an error.
  template <typename Message, typename Row, std::size_t N>
  Result<Message> Decode(std::string_view frame, const Row (&kinds)[N], Shape shape,
                         std::uint64_t* request_id, bool ignore_unknown = false) {
    *request_id = 0;
    std::string_view kind;
    TQ_RETURN_IF_ERROR(Open(frame, shape, &kind, request_id));
    for (const Row& row : kinds) {
      if (row.name != kind) continue;
      Fields f(row.name, obj_, ignore_unknown);
      (void)f.Init();  // Open() already checked the keys
      f.Find("v");
      f.Find("kind");
      Result<Message> m = row.decode(f, limits_);
      if (m.ok()) TQ_RETURN_IF_ERROR(f.NoUnknownFields());
      return m;
    }
    return Status(ErrorCode::kUnknownKind, "unknown message kind '" + Fields::Printable(kind) +
                                               "'; expected " + KindNames(kinds));
  }

 private:
  // Unpacks `frame` into obj_ as one msgpack map and checks "v"; on
  // success *kind is the message kind.
  Status Open(std::string_view frame, Shape shape, std::string_view* kind,
              std::uint64_t* request_id);

  const Limits limits_;
  const msgpack::unpack_limit listing_limits_;
  const msgpack::unpack_limit peer_limits_;
  msgpack::zone zone_;
  msgpack::object obj_;
};

}  // namespace tq::proto
