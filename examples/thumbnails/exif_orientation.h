// EXIF orientation: which way up a photo is meant to be seen. Cameras store
// the pixels as the sensor read them and say in the EXIF tag 0x0112 how to
// turn them: 1 upright, 2 mirrored, 3 upside down, 4 flipped, 5 transposed,
// 6 turned 90° clockwise to view, 7 transversed, 8 turned 90° anticlockwise.
//
// Plain functions without state; safe from any thread.
#pragma once

#include <string_view>

#include "jpeg_thumbnailer.h"

namespace tq::thumbnails {

// The orientation in the payload of a JPEG APP1 marker ("Exif\0\0" and a
// TIFF header, either byte order, then IFD0); 1 when it is not EXIF, has no
// orientation tag, has a value outside 1..8, or is malformed (every offset
// is checked against the payload's size).
int ExifOrientation(std::string_view app1);

// `in` turned upright for `orientation` (1..8), as PIL's
// ImageOps.exif_transpose does: 5 to 8 swap width and height. Any other
// value returns `in` unchanged.
Image Orient(const Image& in, int orientation);

}  // namespace tq::thumbnails
