// CountedWriter's header back-patching, and the value writers.
#include "map_writer.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tq/proto/limits.h"

namespace tq::proto {
namespace {

// A bug in an encoder, never a peer's doing: stop loudly.
[[noreturn]] void Broken(const char* what) {
  std::fprintf(stderr, "tq_proto: broken invariant: %s\n", what);
  std::abort();
}

}  // namespace

void PackStr(msgpack::packer<Buffer>& pk, std::string_view s) {
  pk.pack_str(static_cast<std::uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

void PackBin(msgpack::packer<Buffer>& pk, std::string_view b) {
  pk.pack_bin(static_cast<std::uint32_t>(b.size()));
  pk.pack_bin_body(b.data(), static_cast<std::uint32_t>(b.size()));
}

CountedWriter::CountedWriter(Buffer& out, Kind kind, CountedWriter* parent)
    : out_(out), pk_(out), kind_(kind), parent_(parent), header_at_(out.size()) {
  out_.write("", 1);  // the one-byte header of a count below 16, for now
}

CountedWriter::~CountedWriter() {
  if (open_child_) Broken("a msgpack writer ended before the one nested in it");
  if (parent_ != nullptr) parent_->open_child_ = false;
  const bool map = kind_ == Kind::kMap;
  if (count_ < 16) {
    out_.data()[header_at_] = static_cast<char>((map ? 0x80 : 0x90) | count_);
    return;
  }
  // Make room after the reserved byte for a 16- or 32-bit count, as
  // pack_map/pack_array would have written it.
  const std::size_t extra = count_ <= 0xffff ? 2 : 4;
  const std::size_t entries_at = header_at_ + 1;
  const std::size_t entries_bytes = out_.size() - entries_at;
  static constexpr char kRoom[4] = {};
  out_.write(kRoom, extra);
  char* p = out_.data() + header_at_;
  std::memmove(p + 1 + extra, p + 1, entries_bytes);
  p[0] = static_cast<char>(extra == 2 ? (map ? 0xde : 0xdc) : (map ? 0xdf : 0xdd));
  for (std::size_t i = 0; i < extra; ++i) {
    p[1 + i] = static_cast<char>(count_ >> (8 * (extra - 1 - i)));
  }
}

void CountedWriter::BeginEntry() {
  if (open_child_) Broken("a msgpack writer wrote while one nested in it was open");
  ++count_;
}

void MapWriter::Key(std::string_view key) {
  BeginEntry();
  PackStr(pk_, key);
}

void MapWriter::Str(std::string_view key, std::string_view v) {
  Key(key);
  PackStr(pk_, v);
}

void MapWriter::Bin(std::string_view key, std::string_view v) {
  Key(key);
  PackBin(pk_, v);
}

MapWriter MapWriter::Map(std::string_view key) {
  Key(key);
  OpenChild();
  return MapWriter(out_, this);
}

ArrayWriter MapWriter::Array(std::string_view key) {
  Key(key);
  OpenChild();
  return ArrayWriter(out_, this);
}

void ArrayWriter::Str(std::string_view v) {
  BeginEntry();
  PackStr(pk_, v);
}

MapWriter ArrayWriter::Map() {
  BeginEntry();
  OpenChild();
  return MapWriter(out_, this);
}

MessageWriter::MessageWriter(Buffer& out, std::string_view kind) : MapWriter(out) {
  Uint("v", kProtocolVersion);
  Str("kind", kind);
}

}  // namespace tq::proto
