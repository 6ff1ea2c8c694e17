// Writing msgpack maps and arrays whose entry count is known only at the
// end, the way BeginFrame/EndFrame write a frame's length: a header is
// reserved, the entries are written, and the count is filled in when the
// writer goes out of scope. So an encoder writes its fields and nothing
// else, and a field it forgets, or writes only sometimes, cannot leave a
// count that disagrees with the entries (which corrupts the frame).
//
// The header takes the bytes msgpack-c's pack_map/pack_array would have
// written for the final count: one byte (fixmap, fixarray) below 16
// entries, which is every message of protocol v1; for more, the entries
// are moved up to make room for a 16- or 32-bit count.
//
// A writer appends to its Buffer; a nested writer (Map(), Array()) must
// end before its parent writes again, which scoping gives for free and
// which is checked. Internal to tq_proto: includes msgpack.hpp.
#pragma once

#include <msgpack.hpp>

#include <cstdint>
#include <string_view>

#include "tq/proto/buffer.h"

namespace tq::proto {

// The common part of MapWriter and ArrayWriter: the reserved header and
// the count.
class CountedWriter {
 public:
  CountedWriter(const CountedWriter&) = delete;
  CountedWriter& operator=(const CountedWriter&) = delete;

 protected:
  enum class Kind : std::uint8_t { kMap, kArray };

  CountedWriter(Buffer& out, Kind kind, CountedWriter* parent);
  ~CountedWriter();

  // Called before each entry (a map's key, an array's element).
  void BeginEntry();
  // Called before a nested writer is made for the value being written.
  void OpenChild() { open_child_ = true; }

  Buffer& out_;
  msgpack::packer<Buffer> pk_;

 private:
  const Kind kind_;
  CountedWriter* const parent_;  // null at the top
  const std::size_t header_at_;  // offset of the reserved header byte
  std::uint32_t count_ = 0;
  bool open_child_ = false;
};

class ArrayWriter;

class MapWriter : public CountedWriter {
 public:
  explicit MapWriter(Buffer& out) : CountedWriter(out, Kind::kMap, nullptr) {}

  void Uint(std::string_view key, std::uint64_t v) {
    Key(key);
    pk_.pack_uint64(v);
  }
  void Int(std::string_view key, std::int64_t v) {
    Key(key);
    pk_.pack_int64(v);
  }
  void Double(std::string_view key, double v) {
    Key(key);
    pk_.pack_double(v);
  }
  void True(std::string_view key) {
    Key(key);
    pk_.pack_true();
  }
  void Str(std::string_view key, std::string_view v);
  void Bin(std::string_view key, std::string_view v);
  // A map or array value; write its entries through the writer returned,
  // which must end before this one writes again.
  MapWriter Map(std::string_view key);
  ArrayWriter Array(std::string_view key);

 protected:
  void Key(std::string_view key);

 private:
  friend class ArrayWriter;
  MapWriter(Buffer& out, CountedWriter* parent) : CountedWriter(out, Kind::kMap, parent) {}
};

class ArrayWriter : public CountedWriter {
 public:
  void Str(std::string_view v);
  MapWriter Map();

 private:
  friend class MapWriter;
  ArrayWriter(Buffer& out, CountedWriter* parent) : CountedWriter(out, Kind::kArray, parent) {}
};

// A protocol v1 message: a map that starts with "v" and "kind", and for
// one between a client and tqd, "req".
class MessageWriter : public MapWriter {
 public:
  MessageWriter(Buffer& out, std::string_view kind);
  MessageWriter(Buffer& out, std::string_view kind, std::uint64_t request_id)
      : MessageWriter(out, kind) {
    Uint("req", request_id);
  }
};

// Writes a msgpack str or bin.
void PackStr(msgpack::packer<Buffer>& pk, std::string_view s);
void PackBin(msgpack::packer<Buffer>& pk, std::string_view b);

}  // namespace tq::proto
