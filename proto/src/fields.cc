// The Fields reader: its error sentences.
#include "fields.h"

#include "tq/proto/utf8.h"

namespace tq::proto {

Status Fields::Error(ErrorCode code, const std::string& what) const {
  return Status(code, std::string(context_) + ": " + what);
}

std::string Fields::Printable(std::string_view s) {
  if (s.size() <= 64 && IsPrintableUtf8(s)) return std::string(s);
  // Appended rather than "<" + std::to_string(...): GCC 12 at -O3 warns
  // of an overlapping copy there (a false -Wrestrict).
  std::string out = "<";
  out += std::to_string(s.size());
  out += " bytes, not printable>";
  return out;
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
