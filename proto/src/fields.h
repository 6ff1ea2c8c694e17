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
  static constexpr std::size_t kMaxFields = 32;

  // `map` must be a msgpack map. With `ignore_unknown`, NoUnknownFields()
  // allows fields nothing read.
  Fields(std::string_view context, const msgpack::object& map, bool ignore_unknown = false)
      : context_(context), map_(map), ignore_unknown_(ignore_unknown) {}

  // A reader for a map nested in this one, as strict as this one.
  Fields Nested(std::string_view context, const msgpack::object& map) const {
    return Fields(context, map, ignore_unknown_);
  }

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
  bool ignore_unknown_;
  std::array<bool, kMaxFields> used_{};
};

// Inline: every field of every message goes through these.

inline Status Fields::Init() {
  // The unpack limit already caps maps at kMaxFields entries.
  const auto& m = map_.via.map;
  for (std::uint32_t i = 0; i < m.size; ++i) {
    const msgpack::object& key = m.ptr[i].key;
    if (key.type != msgpack::type::STR) {
      return Error(ErrorCode::kMalformed,
                   "field names must be strings, got " + std::string(TypeName(key)));
    }
    for (std::uint32_t j = 0; j < i; ++j) {
      if (View(m.ptr[j].key) == View(key)) {
        return Error(ErrorCode::kMalformed,
                     "field '" + Printable(View(key)) + "' appears twice");
      }
    }
  }
  return Status::Ok();
}

inline const msgpack::object* Fields::Find(std::string_view key) {
  const auto& m = map_.via.map;
  for (std::uint32_t i = 0; i < m.size; ++i) {
    if (View(m.ptr[i].key) == key) {
      used_[i] = true;
      return &m.ptr[i].val;
    }
  }
  return nullptr;
}

inline Status Fields::Uint(std::string_view key, std::uint64_t* out) {
  const msgpack::object* o = Find(key);
  if (o == nullptr) return Missing(key);
  if (o->type != msgpack::type::POSITIVE_INTEGER) {
    return WrongType(key, "a non-negative integer", *o);
  }
  *out = o->via.u64;
  return Status::Ok();
}

inline Status Fields::OptUint(std::string_view key, std::uint64_t* out) {
  if (Find(key) == nullptr) return Status::Ok();
  return Uint(key, out);
}

inline Status Fields::Int(std::string_view key, std::int64_t* out, bool required) {
  const msgpack::object* o = Find(key);
  if (o == nullptr) return required ? Missing(key) : Status::Ok();
  if (o->type == msgpack::type::POSITIVE_INTEGER) {
    if (o->via.u64 > static_cast<std::uint64_t>(INT64_MAX)) {
      return Error(ErrorCode::kBadValue, "field '" + std::string(key) + "' is too large");
    }
    *out = static_cast<std::int64_t>(o->via.u64);
  } else if (o->type == msgpack::type::NEGATIVE_INTEGER) {
    *out = o->via.i64;
  } else {
    return WrongType(key, "an integer", *o);
  }
  return Status::Ok();
}

inline Status Fields::Number(std::string_view key, double* out) {
  const msgpack::object* o = Find(key);
  if (o == nullptr) return Missing(key);
  switch (o->type) {
    case msgpack::type::POSITIVE_INTEGER: *out = static_cast<double>(o->via.u64); break;
    case msgpack::type::NEGATIVE_INTEGER: *out = static_cast<double>(o->via.i64); break;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: *out = o->via.f64; break;
    default: return WrongType(key, "a number", *o);
  }
  return Status::Ok();
}

inline Status Fields::Bool(std::string_view key, bool* out) {
  const msgpack::object* o = Find(key);
  if (o == nullptr) return Status::Ok();
  if (o->type != msgpack::type::BOOLEAN) return WrongType(key, "a bool", *o);
  *out = o->via.boolean;
  return Status::Ok();
}

inline Status Fields::Str(std::string_view key, std::string_view* out, bool required) {
  const msgpack::object* o = Find(key);
  if (o == nullptr) return required ? Missing(key) : Status::Ok();
  if (o->type != msgpack::type::STR) return WrongType(key, "a string", *o);
  *out = View(*o);
  return Status::Ok();
}

inline Status Fields::Bin(std::string_view key, std::string_view* out, bool required,
                   std::string_view what) {
  const msgpack::object* o = Find(key);
  if (o == nullptr) return required ? Missing(key) : Status::Ok();
  if (o->type != msgpack::type::BIN) return WrongType(key, what, *o);
  *out = View(*o);
  return Status::Ok();
}

inline Status Fields::RequestId(std::uint64_t* out) {
  TQ_RETURN_IF_ERROR(Uint("req", out));
  if (*out == 0) return Error(ErrorCode::kBadValue, "field 'req' must be non-zero");
  return Status::Ok();
}

inline Status Fields::NoUnknownFields() const {
  if (ignore_unknown_) return Status::Ok();
  const auto& m = map_.via.map;
  for (std::uint32_t i = 0; i < m.size; ++i) {
    if (!used_[i]) {
      return Error(ErrorCode::kUnknownField,
                   "unknown field '" + Printable(View(m.ptr[i].key)) + "'");
    }
  }
  return Status::Ok();
}

}  // namespace tq::proto
