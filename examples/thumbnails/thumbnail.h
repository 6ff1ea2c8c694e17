// The thumbnail example's shared pieces: what a thumbnail task returns, the
// size rule it follows (PIL's Image.thumbnail), the error types it fails
// with, and file I/O whose errors name the file.
//
// Everything here is plain functions without state; safe from any thread.
#pragma once

#include <cstdint>
#include <msgpack.hpp>
#include <string>
#include <string_view>

namespace tq::thumbnails {

// What a thumbnail task returns; on the wire (and in `tq map` output) the
// map {"width": 75, "height": 56, "bytes": 2113}.
struct ThumbnailInfo {
  int width = 0;
  int height = 0;
  std::int64_t bytes = 0;  // size of the JPEG file written
  MSGPACK_DEFINE_MAP(width, height, bytes)
};

struct Dimensions {
  int width = 0;
  int height = 0;
  bool operator==(const Dimensions&) const = default;
};

// The size PIL's `Image.thumbnail((box, box))` gives an image: unchanged if
// it already fits in the box, else the longer side becomes `box` and the
// other keeps the aspect ratio, rounded down or up, whichever is closer to
// the original aspect (floor on a tie), and at least 1. 1024x768 -> 75x56.
// `box` and the image's sides must be positive.
Dimensions FitWithin(Dimensions image, int box);

// PIL's Image.MAX_IMAGE_PIXELS * 2: beyond it PIL refuses the image
// (DecompressionBombError), and so do we.
inline constexpr std::uint64_t kMaxPixels = 178'956'970;

// The error types a thumbnail task fails with (tq::worker::TaskError). Both
// messages name the file.
inline constexpr const char* kFileError =
    "thumbnail.FileError";  // src unreadable, dst unwritable
inline constexpr const char* kImageError =
    "thumbnail.ImageError";  // src is no decodable JPEG or PNG

// The whole content of `path`. Throws TaskError(kFileError) naming the file
// and the errno text: "cannot read 'x.jpg': No such file or directory".
std::string ReadFile(const std::string& path);

// Replaces the file `path` with `bytes` and returns how many were written.
// Throws TaskError(kFileError) naming the file.
std::int64_t WriteFile(const std::string& path, std::string_view bytes);

}  // namespace tq::thumbnails
