// EXIF orientation (exif_orientation.h).
#include "exif_orientation.h"

#include <cstdint>
#include <cstring>

namespace tq::thumbnails {
namespace {

constexpr std::uint16_t kOrientationTag = 0x0112;
constexpr std::uint16_t kShort = 3;  // TIFF field type

// Reads TIFF integers of either byte order from a bounded buffer.
struct Tiff {
  std::string_view data;
  bool big_endian;

  bool U16(std::size_t at, std::uint16_t* v) const {
    if (at + 2 > data.size()) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data() + at);
    *v = big_endian ? (p[0] << 8 | p[1]) : (p[1] << 8 | p[0]);
    return true;
  }
  bool U32(std::size_t at, std::uint32_t* v) const {
    std::uint16_t a = 0, b = 0;
    if (!U16(at, &a) || !U16(at + 2, &b)) return false;
    *v = big_endian ? (std::uint32_t{a} << 16 | b) : (std::uint32_t{b} << 16 | a);
    return true;
  }
};

}  // namespace

int ExifOrientation(std::string_view app1) {
  constexpr std::string_view kExif("Exif\0\0", 6);
  if (!app1.starts_with(kExif)) return 1;
  const std::string_view tiff_bytes = app1.substr(kExif.size());
  Tiff tiff{tiff_bytes, false};
  if (tiff_bytes.starts_with("MM")) {
    tiff.big_endian = true;
  } else if (!tiff_bytes.starts_with("II")) {
    return 1;
  }
  std::uint16_t magic = 0, count = 0;
  std::uint32_t ifd = 0;
  if (!tiff.U16(2, &magic) || magic != 42 || !tiff.U32(4, &ifd) ||
      !tiff.U16(ifd, &count)) {
    return 1;
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t entry = std::size_t{ifd} + 2 + 12 * std::size_t{i};
    std::uint16_t tag = 0, type = 0, value = 0;
    if (!tiff.U16(entry, &tag) || !tiff.U16(entry + 2, &type)) return 1;
    if (tag != kOrientationTag) continue;
    // A SHORT is left-justified in the 4-byte value field.
    if (type != kShort || !tiff.U16(entry + 8, &value)) return 1;
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}

Image Orient(const Image& in, int orientation) {
  if (orientation < 2 || orientation > 8) return in;
  const int w = in.width, h = in.height, c = in.channels;
  const bool swap = orientation >= 5;
  Image out;
  out.width = swap ? h : w;
  out.height = swap ? w : h;
  out.channels = c;
  out.pixels.resize(in.pixels.size());
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      // The source pixel of output (x, y).
      int sx = x, sy = y;
      switch (orientation) {
        case 2: sx = w - 1 - x; break;                       // mirror
        case 3: sx = w - 1 - x; sy = h - 1 - y; break;       // 180°
        case 4: sy = h - 1 - y; break;                       // flip
        case 5: sx = y; sy = x; break;                       // transpose
        case 6: sx = y; sy = h - 1 - x; break;               // 90° clockwise
        case 7: sx = w - 1 - y; sy = h - 1 - x; break;       // transverse
        case 8: sx = w - 1 - y; sy = x; break;               // 90° anticlockwise
      }
      std::memcpy(&out.pixels[(static_cast<std::size_t>(y) * out.width + x) * c],
                  &in.pixels[(static_cast<std::size_t>(sy) * w + sx) * c],
                  static_cast<std::size_t>(c));
    }
  }
  return out;
}

}  // namespace tq::thumbnails
