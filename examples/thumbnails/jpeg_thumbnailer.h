// Thumbnails with libjpeg-turbo: decode at a reduced scale (the DCT does
// most of the shrinking for free; a progressive file only as far as its
// scans carry what that scale uses), average down to the exact size, turn
// upright by the EXIF orientation, encode at quality 75 (PIL's default).
// Files are decoded by content: a PNG, whatever its name, with libpng.
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

// An image decoded for a thumbnail that fits in a `box` x `box` square:
// `image` is decoded at the smallest of libjpeg's scales (1/8, 1/4, 1/2, 1)
// whose sides are still at least `reducing_gap` times the thumbnail's
// (other formats: at full size), and `original` is the size of the file's
// image itself, before any orientation.
struct Decoded {
  Image image;
  Dimensions original;
  int orientation = 1;   // EXIF orientation 1..8 (exif_orientation.h)
  // A progressive JPEG's later scans were not decoded (kOnlyNeededAtOneEighth).
  bool skipped_scans = false;
};

// How much of a progressive JPEG to decode.
enum class ProgressiveScans {
  // At 1/8 scale, stop at the end of the first scan by which every
  // coefficient the scaled inverse DCT uses has arrived: the DC, and for
  // 4:2:0 chroma (a 2x2 DCT in libjpeg-turbo) three AC more. With libjpeg's
  // default progression that is 4 scans of 10; the rest, most of the file,
  // would only refine the lowest bits. The file must end with EOI (else it
  // is decoded whole, so that truncation is still reported).
  kOnlyNeededAtOneEighth,
  kAll,  // every scan, as libjpeg does by itself
};

// Decodes the JPEG `jpeg` (the bytes of file `path`, named in errors) as
// above. Grey stays grey; colour (YCbCr, RGB, CMYK) becomes RGB. Reads the
// EXIF orientation, but does not apply it. Throws TaskError(kImageError)
// if it is not a JPEG, is truncated or corrupt, or is larger than PIL's
// decompression-bomb limit (178,956,970 pixels).
Decoded DecodeJpeg(std::string_view jpeg, const std::string& path, int box,
                   int reducing_gap,
                   ProgressiveScans scans = ProgressiveScans::kOnlyNeededAtOneEighth);

// Decodes `bytes` (file `path`) by content, whatever its name says: a JPEG
// as DecodeJpeg, a PNG with libpng (png_decoder.h) when built with it.
// Throws TaskError(kImageError) for anything else, naming what it found.
Decoded DecodeImage(std::string_view bytes, const std::string& path, int box,
                    int reducing_gap);

// `in` resampled to `to` by area averaging (a box filter, exact for
// fractional ratios): each output pixel is the mean of the input area it
// covers.
Image ResizeArea(const Image& in, Dimensions to);

enum class JpegMode { kBaseline, kProgressive };

// `image` as a JPEG (4:2:0 for colour) of quality 1..100; progressive with
// libjpeg's default scan script (jpeg_simple_progression) if asked.
std::string EncodeJpeg(const Image& image, int quality,
                       JpegMode mode = JpegMode::kBaseline);

// Reads `src`, writes its thumbnail (longer side `size`, as FitWithin,
// turned upright by its EXIF orientation) as a baseline JPEG to `dst`, and
// returns its size and bytes. `src` is decoded by content (DecodeImage).
ThumbnailInfo ThumbnailWithLibjpeg(const std::string& src,
                                   const std::string& dst, int size);

}  // namespace tq::thumbnails
