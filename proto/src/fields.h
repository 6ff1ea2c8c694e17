// Fields: the reader every decoder uses for one msgpack map. It looks
// fields up by name, checks each one's type, remembers which were read so
// that anything else can be reported as unknown, and words every rejection
// the same way, naming the field and the type it wanted:
// "submit: field 'fn' must be a string, got int".
//
// A Fields views the map it reads and the context string it names in
// errors; both must outlive it. Internal to tq_proto: includes msgpack.hpp.
#pragma once

#include <msgpack.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "tq/proto/msgpack_type_name.h"
#include "tq/proto/status.h"

namespace tq::proto {

// The bytes of a str or bin, viewed where they lie.
inline std::string_view View(const msgpack::object& o) {
  return o.type == msgpack::type::STR ? std::string_view(o.via.str.ptr, o.via.str.size)
                                      : std::string_view(o.via.bin.ptr, o.via.bin.size);
}

class Fields {
 public:
  // Also the unpack limit on map sizes, which is what guarantees that
  // used_ below is big enough for any map that gets this far.
  static constexpr std::size_t kMaxFields = 16;

  // `map` must be a msgpack map.
  Fields(std::string_view context, const msgpack::object& map)
      : context_(context), map_(map) {}

  // Checks that the keys are strings, none twice. Call before anything else.
  Status Init();

  // The field's value, marked as read; null if absent.
  const msgpack::object* Find(std::string_view key);

  // Each reader fails if the field has another type. Uint, Number and Str
  // (unless !required) also fail if it is absent; the rest leave *out alone.
  Status Uint(std::string_view key, std::uint64_t* out);
  Status OptUint(std::string_view key, std::uint64_t* out);
  Status Int(std::string_view key, std::int64_t* out, bool required);
  Status Number(std::string_view key, double* out);  // an int or a float
  Status Bool(std::string_view key, bool* out);
  Status Str(std::string_view key, std::string_view* out, bool required = true);
  // `what` names the bin wanted in the error: "a bin holding a msgpack value".
  Status Bin(std::string_view key, std::string_view* out, bool required,
             std::string_view what);
  // A non-zero "req".
  Status RequestId(std::uint64_t* out);

  // Fails naming the first field nothing has read.
  Status NoUnknownFields() const;

  // `code`, and "context: what".
  Status Error(ErrorCode code, const std::string& what) const;

  // A peer's string, for a sentence: itself when it is short and printable
  // UTF-8, else only its size.
  static std::string Printable(std::string_view s);

 private:
  Status Missing(std::string_view key) const;
  Status WrongType(std::string_view key, std::string_view want,
                   const msgpack::object& got) const;

  std::string_view context_;
  const msgpack::object& map_;
  std::array<bool, kMaxFields> used_{};
};

}  // namespace tq::proto
