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
#include "tq/proto/limits.h"

namespace tq::proto {

// Writes a msgpack str or bin.
inline void PackStr(msgpack::packer<Buffer>& pk, std::string_view s) {
  pk.pack_str(static_cast<std::uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}
inline void PackBin(msgpack::packer<Buffer>& pk, std::string_view b) {
  pk.pack_bin(static_cast<std::uint32_t>(b.size()));
  pk.pack_bin_body(b.data(), static_cast<std::uint32_t>(b.size()));
}

// The common part of MapWriter and ArrayWriter: the reserved header and
// the count.
class CountedWriter {
 public:
  CountedWriter(const CountedWriter&) = delete;
  CountedWriter& operator=(const CountedWriter&) = delete;

 protected:
  enum class Kind : std::uint8_t { kMap, kArray };

  // Inline, with the rare paths out of line: a message is encoded per task.
  CountedWriter(Buffer& out, Kind kind, CountedWriter* parent)
      : out_(out), pk_(out), kind_(kind), parent_(parent), header_at_(out.size()) {
    out_.write("", 1);  // the one-byte header of a count below 16, for now
  }
  ~CountedWriter() {
    if (open_child_) Broken("a msgpack writer ended before the one nested in it");
    if (parent_ != nullptr) parent_->open_child_ = false;
    if (count_ < 16) {
      out_.data()[header_at_] = static_cast<char>((kind_ == Kind::kMap ? 0x80 : 0x90) | count_);
    } else {
      WriteWideHeader();
    }
  }

  // Called before each entry (a map's key, an array's element).
  void BeginEntry() {
    if (open_child_) Broken("a msgpack writer wrote while one nested in it was open");
    ++count_;
  }
  // Called before a nested writer is made for the value being written.
  void OpenChild() { open_child_ = true; }

  Buffer& out_;
  msgpack::packer<Buffer> pk_;

 private:
  // A bug in an encoder, never a peer's doing: stops the process loudly.
  [[noreturn]] static void Broken(const char* what);
  // The header of 16 entries or more: moves the entries up to make room.
  void WriteWideHeader();

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
  void Bool(std::string_view key, bool v) {
    Key(key);
    if (v) {
      pk_.pack_true();
    } else {
      pk_.pack_false();
    }
  }
  void Str(std::string_view key, std::string_view v) {
    Key(key);
    PackStr(pk_, v);
  }
  void Bin(std::string_view key, std::string_view v) {
    Key(key);
    PackBin(pk_, v);
  }
  // A map or array value; write its entries through the writer returned,
  // which must end before this one writes again.
  MapWriter Map(std::string_view key);
  ArrayWriter Array(std::string_view key);

 protected:
  void Key(std::string_view key) {
    BeginEntry();
    PackStr(pk_, key);
  }

 private:
  friend class ArrayWriter;
  MapWriter(Buffer& out, CountedWriter* parent) : CountedWriter(out, Kind::kMap, parent) {}
};

class ArrayWriter : public CountedWriter {
 public:
  void Str(std::string_view v) {
    BeginEntry();
    PackStr(pk_, v);
  }
  void Bin(std::string_view v) {
    BeginEntry();
    PackBin(pk_, v);
  }
  MapWriter Map();

 private:
  friend class MapWriter;
  ArrayWriter(Buffer& out, CountedWriter* parent) : CountedWriter(out, Kind::kArray, parent) {}
};

// A protocol v1 message: a map that starts with "v" and "kind", and for
// one between a client and tqd, "req".
class MessageWriter : public MapWriter {
 public:
  MessageWriter(Buffer& out, std::string_view kind) : MapWriter(out) {
    Uint("v", kProtocolVersion);
    Str("kind", kind);
  }
  MessageWriter(Buffer& out, std::string_view kind, std::uint64_t request_id)
      : MessageWriter(out, kind) {
    Uint("req", request_id);
  }
};

}  // namespace tq::proto
