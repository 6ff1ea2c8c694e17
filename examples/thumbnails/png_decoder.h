// PNG decoding with libpng's simplified API, for files that are PNGs
// whatever their name says (a PNG saved as .jpg): PIL's Image.open goes by
// content too. Built only where libpng is (Debian: libpng-dev).
//
// Re-entrant: no global state, any thread. Errors are thrown as
// tq::worker::TaskError(kImageError) naming the file.
#pragma once

#include <string>
#include <string_view>

#include "jpeg_thumbnailer.h"

namespace tq::thumbnails {

// Decodes the PNG `png` (the bytes of file `path`) at full size: grey
// (with or without alpha) becomes grey, anything else RGB, 8 bits, in sRGB.
// Transparency is composited onto white, since a JPEG has none. Throws
// TaskError(kImageError) if it is corrupt or over PIL's pixel limit.
Decoded DecodePng(std::string_view png, const std::string& path);

}  // namespace tq::thumbnails
