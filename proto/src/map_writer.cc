// The rare paths of the writers, and their nesting.
#include "map_writer.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tq::proto {

void CountedWriter::Broken(const char* what) {
  std::fprintf(stderr, "tq_proto: broken invariant: %s\n", what);
  std::abort();
}

void CountedWriter::WriteWideHeader() {
  // Make room after the reserved byte for a 16- or 32-bit count, as
  // pack_map/pack_array would have written it.
  const bool map = kind_ == Kind::kMap;
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

MapWriter ArrayWriter::Map() {
  BeginEntry();
  OpenChild();
  return MapWriter(out_, this);
}

}  // namespace tq::proto
