// UTF-8 checks for text that came from a peer: whether it is well formed,
// and whether it is safe to echo in a sentence, a log line or JSON.
//
// Well formed means RFC 3629: no overlong forms, no UTF-16 surrogates, no
// code points past U+10FFFF, no sequence cut short. Pure functions; they
// never allocate.
#pragma once

#include <cstddef>
#include <string_view>

namespace tq::proto {

// How many bytes at the start of `s` are well-formed UTF-8: s.size() when
// all of it is, else the offset of the first byte that does not begin a
// well-formed character.
std::size_t Utf8ValidPrefix(std::string_view s);

inline bool IsUtf8(std::string_view s) { return Utf8ValidPrefix(s) == s.size(); }

// Well-formed UTF-8 without C0 control characters or DEL.
bool IsPrintableUtf8(std::string_view s);

}  // namespace tq::proto
