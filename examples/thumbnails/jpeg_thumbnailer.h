// Thumbnails with libjpeg-turbo alone: decode at a reduced scale (the DCT
// does most of the shrinking for free), average down to the exact size,
// encode at quality 75 (PIL's default).
//
// All functions are re-entrant: no global state, any thread. Errors are
// thrown as tq::worker::TaskError with the types of thumbnail.h, naming the
// file; a bad image never aborts the process.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "thumbnail.h"

namespace tq::thumbnails {

// An 8-bit image, rows top to bottom, pixels interleaved: channels is 1
// (grey) or 3 (RGB).
struct Image {
  int width = 0;
  int height = 0;
  int channels = 3;
  std::vector<unsigned char> pixels;  // width * height * channels bytes
};

// A JPEG decoded for a thumbnail that fits in a `box` x `box` square:
// `image` is decoded at the smallest of libjpeg's scales (1/8, 1/4, 1/2, 1)
// whose sides are still at least `reducing_gap` times the thumbnail's, and
// `original` is the size of the JPEG itself.
struct Decoded {
  Image image;
  Dimensions original;
};

// Decodes the JPEG `jpeg` (the bytes of file `path`, named in errors) as
// above. Grey stays grey; colour (YCbCr, RGB, CMYK) becomes RGB. Throws
// TaskError(kImageError) if it is not a JPEG, is truncated or corrupt, or
// is larger than PIL's decompression-bomb limit (178,956,970 pixels).
Decoded DecodeJpeg(std::string_view jpeg, const std::string& path, int box,
                   int reducing_gap);

// `in` resampled to `to` by area averaging (a box filter, exact for
// fractional ratios): each output pixel is the mean of the input area it
// covers.
Image ResizeArea(const Image& in, Dimensions to);

// `image` as a baseline JPEG (4:2:0 for colour) of quality 1..100.
std::string EncodeJpeg(const Image& image, int quality);

// Reads `src`, writes its thumbnail (longer side `size`, as FitWithin) as a
// JPEG to `dst`, and returns its size and bytes.
ThumbnailInfo ThumbnailWithLibjpeg(const std::string& src,
                                   const std::string& dst, int size);

}  // namespace tq::thumbnails
