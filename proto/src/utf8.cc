// The UTF-8 checks, on utfcpp (Debian libutfcpp-dev), which validates to
// RFC 3629.
#include "tq/proto/utf8.h"

#include <utf8/cpp17.h>

#include <algorithm>

namespace tq::proto {

std::size_t Utf8ValidPrefix(std::string_view s) {
  const std::size_t at = utf8::find_invalid(s);
  return at == std::string_view::npos ? s.size() : at;
}

bool IsPrintableUtf8(std::string_view s) {
  // In well-formed UTF-8 every byte below 0x80 is an ASCII character of its
  // own, so the control characters can be looked for byte by byte.
  return IsUtf8(s) && std::none_of(s.begin(), s.end(), [](char c) {
           const auto b = static_cast<unsigned char>(c);
           return b < 0x20 || b == 0x7f;
         });
}

}  // namespace tq::proto
