// The Fields reader.
#include "fields.h"

#include "tq/proto/utf8.h"

namespace tq::proto {

Status Fields::Init() {
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

const msgpack::object* Fields::Find(std::string_view key) {
  const auto& m = map_.via.map;
  for (std::uint32_t i = 0; i < m.size; ++i) {
    if (View(m.ptr[i].key) == key) {
      used_[i] = true;
      return &m.ptr[i].val;
    }
  }
  return nullptr;
}

Status Fields::Uint(std::string_view key, std::uint64_t* out) {
  const msgpack::object* o = Find(key);
  if (o == nullptr) return Missing(key);
  if (o->type != msgpack::type::POSITIVE_INTEGER) {
    return WrongType(key, "a non-negative integer", *o);
  }
  *out = o->via.u64;
  return Status::Ok();
}

Status Fields::OptUint(std::string_view key, std::uint64_t* out) {
  if (Find(key) == nullptr) return Status::Ok();
  return Uint(key, out);
}

Status Fields::Int(std::string_view key, std::int64_t* out, bool required) {
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

Status Fields::Number(std::string_view key, double* out) {
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

Status Fields::Bool(std::string_view key, bool* out) {
  const msgpack::object* o = Find(key);
  if (o == nullptr) return Status::Ok();
  if (o->type != msgpack::type::BOOLEAN) return WrongType(key, "a bool", *o);
  *out = o->via.boolean;
  return Status::Ok();
}

Status Fields::Str(std::string_view key, std::string_view* out, bool required) {
  const msgpack::object* o = Find(key);
  if (o == nullptr) return required ? Missing(key) : Status::Ok();
  if (o->type != msgpack::type::STR) return WrongType(key, "a string", *o);
  *out = View(*o);
  return Status::Ok();
}

Status Fields::Bin(std::string_view key, std::string_view* out, bool required,
                   std::string_view what) {
  const msgpack::object* o = Find(key);
  if (o == nullptr) return required ? Missing(key) : Status::Ok();
  if (o->type != msgpack::type::BIN) return WrongType(key, what, *o);
  *out = View(*o);
  return Status::Ok();
}

Status Fields::RequestId(std::uint64_t* out) {
  TQ_RETURN_IF_ERROR(Uint("req", out));
  if (*out == 0) return Error(ErrorCode::kBadValue, "field 'req' must be non-zero");
  return Status::Ok();
}

Status Fields::NoUnknownFields() const {
  const auto& m = map_.via.map;
  for (std::uint32_t i = 0; i < m.size; ++i) {
    if (!used_[i]) {
      return Error(ErrorCode::kUnknownField,
                   "unknown field '" + Printable(View(m.ptr[i].key)) + "'");
    }
  }
  return Status::Ok();
}

Status Fields::Error(ErrorCode code, const std::string& what) const {
  return Status(code, std::string(context_) + ": " + what);
}

std::string Fields::Printable(std::string_view s) {
  if (s.size() <= 64 && IsPrintableUtf8(s)) return std::string(s);
  return "<" + std::to_string(s.size()) + " bytes, not printable>";
}

Status Fields::Missing(std::string_view key) const {
  return Error(ErrorCode::kMissingField, "missing field '" + std::string(key) + "'");
}

Status Fields::WrongType(std::string_view key, std::string_view want,
                         const msgpack::object& got) const {
  return Error(ErrorCode::kWrongType, "field '" + std::string(key) + "' must be " +
                                          std::string(want) + ", got " + TypeName(got));
}

}  // namespace tq::proto
