// ReadArrayHeader and SkipValue (msgpack spec: formats by first byte).
#include "tq/proto/msgpack_walk.h"

#include <cstdint>

namespace tq::proto {
namespace {

std::uint64_t BigEndian(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// One header at data[pos]: how many bytes it and its payload take (not
// counting nested values), and how many nested values follow it.
struct Header {
  std::uint64_t bytes = 0;
  std::uint64_t children = 0;
};

bool ReadHeader(std::string_view data, std::size_t pos, Header* h) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data()) + pos;
  const std::size_t left = data.size() - pos;
  if (left == 0) return false;
  const unsigned char b = p[0];
  // A length field of n bytes, then that many bytes of payload.
  auto sized = [&](int n, std::uint64_t extra) {
    if (left < 1 + static_cast<std::size_t>(n)) return false;
    h->bytes = 1 + static_cast<std::uint64_t>(n) + extra + BigEndian(p + 1, n);
    return true;
  };
  // A count field of n bytes, then that many nested values (times `per`).
  auto counted = [&](int n, std::uint64_t per) {
    if (left < 1 + static_cast<std::size_t>(n)) return false;
    h->bytes = 1 + static_cast<std::uint64_t>(n);
    h->children = per * BigEndian(p + 1, n);
    return true;
  };
  if (b <= 0x7f || b >= 0xe0) {  // fixints
    h->bytes = 1;
  } else if (b <= 0x8f) {  // fixmap
    h->bytes = 1;
    h->children = 2 * (b & 0x0fu);
  } else if (b <= 0x9f) {  // fixarray
    h->bytes = 1;
    h->children = b & 0x0fu;
  } else if (b <= 0xbf) {  // fixstr
    h->bytes = 1 + (b & 0x1fu);
  } else {
    switch (b) {
      case 0xc0: case 0xc2: case 0xc3: h->bytes = 1; break;         // nil, bools
      case 0xc4: case 0xd9: return sized(1, 0);                    // bin8, str8
      case 0xc5: case 0xda: return sized(2, 0);                    // bin16, str16
      case 0xc6: case 0xdb: return sized(4, 0);                    // bin32, str32
      case 0xc7: return sized(1, 1);                               // ext8 (+type)
      case 0xc8: return sized(2, 1);
      case 0xc9: return sized(4, 1);
      case 0xcc: case 0xd0: h->bytes = 2; break;                   // 8-bit ints
      case 0xcd: case 0xd1: h->bytes = 3; break;
      case 0xca: case 0xce: case 0xd2: h->bytes = 5; break;        // float32, 32-bit
      case 0xcb: case 0xcf: case 0xd3: h->bytes = 9; break;        // float64, 64-bit
      case 0xd4: h->bytes = 3; break;                              // fixext 1..16
      case 0xd5: h->bytes = 4; break;
      case 0xd6: h->bytes = 6; break;
      case 0xd7: h->bytes = 10; break;
      case 0xd8: h->bytes = 18; break;
      case 0xdc: return counted(2, 1);                             // array16
      case 0xdd: return counted(4, 1);                             // array32
      case 0xde: return counted(2, 2);                             // map16
      case 0xdf: return counted(4, 2);                             // map32
      default: return false;                                       // 0xc1: never used
    }
  }
  return true;
}

}  // namespace

bool ReadArrayHeader(std::string_view data, std::size_t* pos, std::uint32_t* count) {
  if (*pos >= data.size()) return false;
  const auto b = static_cast<unsigned char>(data[*pos]);
  if ((b < 0x90 || b > 0x9f) && b != 0xdc && b != 0xdd) return false;
  Header h;
  if (!ReadHeader(data, *pos, &h)) return false;
  *pos += h.bytes;
  *count = static_cast<std::uint32_t>(h.children);
  return true;
}

bool SkipValue(std::string_view data, std::size_t* pos) {
  // Values still to skip, instead of recursion: each header adds what it
  // nests. Every value takes at least one byte, so more of them than bytes
  // left means the input lies.
  std::size_t at = *pos;
  std::uint64_t pending = 1;
  while (pending > 0) {
    if (pending > data.size() - at) return false;
    Header h;
    if (!ReadHeader(data, at, &h) || h.bytes > data.size() - at) return false;
    at += h.bytes;
    pending += h.children - 1;
  }
  *pos = at;
  return true;
}

bool ReadInteger(std::string_view data, std::int64_t* value) {
  if (data.empty()) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const unsigned char b = p[0];
  auto sized = [&](std::size_t n) { return data.size() == 1 + n; };
  if (b <= 0x7f) {
    if (!sized(0)) return false;
    *value = b;
    return true;
  }
  if (b >= 0xe0) {
    if (!sized(0)) return false;
    *value = static_cast<std::int8_t>(b);
    return true;
  }
  std::size_t n = 0;
  bool is_signed = false;
  switch (b) {
    case 0xcc: n = 1; break;
    case 0xcd: n = 2; break;
    case 0xce: n = 4; break;
    case 0xcf: n = 8; break;
    case 0xd0: n = 1; is_signed = true; break;
    case 0xd1: n = 2; is_signed = true; break;
    case 0xd2: n = 4; is_signed = true; break;
    case 0xd3: n = 8; is_signed = true; break;
    default: return false;
  }
  if (!sized(n)) return false;
  const std::uint64_t raw = BigEndian(p + 1, static_cast<int>(n));
  if (!is_signed) {
    if (raw > static_cast<std::uint64_t>(INT64_MAX)) return false;
    *value = static_cast<std::int64_t>(raw);
    return true;
  }
  // Sign-extend the n-byte two's complement value.
  const unsigned shift = static_cast<unsigned>(64 - 8 * n);
  *value = static_cast<std::int64_t>(raw << shift) >> shift;
  return true;
}

void AppendInteger(std::int64_t value, std::string* out) {
  auto put = [&](unsigned char head, std::uint64_t v, int n) {
    out->push_back(static_cast<char>(head));
    for (int i = n - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  if (value >= 0) {
    const auto v = static_cast<std::uint64_t>(value);
    if (v <= 0x7f) {
      out->push_back(static_cast<char>(v));
    } else if (v <= 0xff) {
      put(0xcc, v, 1);
    } else if (v <= 0xffff) {
      put(0xcd, v, 2);
    } else if (v <= 0xffffffffu) {
      put(0xce, v, 4);
    } else {
      put(0xcf, v, 8);
    }
    return;
  }
  const auto bits = static_cast<std::uint64_t>(value);
  if (value >= -32) {
    out->push_back(static_cast<char>(bits & 0xff));
  } else if (value >= INT8_MIN) {
    put(0xd0, bits & 0xff, 1);
  } else if (value >= INT16_MIN) {
    put(0xd1, bits & 0xffff, 2);
  } else if (value >= INT32_MIN) {
    put(0xd2, bits & 0xffffffffu, 4);
  } else {
    put(0xd3, bits, 8);
  }
}

}  // namespace tq::proto
