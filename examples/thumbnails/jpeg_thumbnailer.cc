// The libjpeg-turbo thumbnailer of jpeg_thumbnailer.h.
//
// libjpeg reports a fatal error through error_exit(), whose default calls
// exit(). We longjmp back instead, the way libjpeg's own example.c does: the
// functions that call setjmp (RunDecompress, RunCompress) keep only C
// objects in their frames, and everything C++ lives in their callers, so
// the jump skips no destructor. C++ exceptions never cross libjpeg frames.
#include "jpeg_thumbnailer.h"

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

// jpeglib.h needs FILE and size_t declared first.
#include <jerror.h>
#include <jpeglib.h>
#include <tq/worker/task.h>

#include "exif_orientation.h"
#ifdef TQ_THUMBNAILS_PNG
#include "png_decoder.h"
#endif

namespace tq::thumbnails {
namespace {

constexpr int kThumbnailQuality = 75;  // PIL's default for JPEG
// Thumbnails are decoded at the smallest scale with at least this many
// times the thumbnail's pixels per side, then averaged down. 1 is the
// fastest, and area averaging from a DCT-scaled image does not alias; PIL
// and libvips use 2 before a Lanczos filter (see examples/thumbnails/
// README.md for the measurement).
constexpr int kReducingGap = 1;

// libjpeg's error manager with a place to jump to and the first message.
struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool truncated;  // libjpeg warned "Premature end of JPEG file"
};

[[noreturn]] void OnError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings (level -1) about recoverable damage: libjpeg goes on, filling
// the missing part with grey. A truncated file is an error for us, as for
// PIL ("image file is truncated") and libvips' fail_on=truncated; other
// warnings (extraneous bytes before a marker...) are tolerated as there.
void OnMessage(j_common_ptr cinfo, int level) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF && !err->truncated) {
    err->truncated = true;
    (*cinfo->err->format_message)(cinfo, err->message);
  }
}

jpeg_error_mgr* Install(ErrorManager* err) {
  jpeg_error_mgr* pub = jpeg_std_error(&err->pub);
  pub->error_exit = OnError;
  pub->emit_message = OnMessage;
  err->message[0] = '\0';
  err->truncated = false;
  return pub;
}

[[noreturn]] void ThrowImageError(const std::string& path,
                                  const std::string& why) {
  throw worker::TaskError(kImageError,
                          "cannot decode '" + path + "' as a JPEG: " + why);
}

int ScaledSide(int side, int denom) { return (side + denom - 1) / denom; }

enum class Format { kJpeg, kPng, kOther };

// What the first bytes say the file is, as PIL's Image.open decides.
Format Sniff(std::string_view bytes) {
  if (bytes.starts_with("\xFF\xD8\xFF")) return Format::kJpeg;
  if (bytes.starts_with("\x89PNG\r\n\x1A\n")) return Format::kPng;
  return Format::kOther;
}

// The largest of libjpeg's fast scale denominators (8, 4, 2, 1) that keeps
// both sides at least `min`.
int PickDenominator(Dimensions full, Dimensions min) {
  for (int denom : {8, 4, 2}) {
    if (ScaledSide(full.width, denom) >= min.width &&
        ScaledSide(full.height, denom) >= min.height) {
      return denom;
    }
  }
  return 1;
}

// The EXIF orientation in the first APP1 marker that has one; 1 without.
int OrientationOf(jpeg_saved_marker_ptr marker) {
  for (; marker != nullptr; marker = marker->next) {
    if (marker->marker != JPEG_APP0 + 1) continue;
    const int o = ExifOrientation(
        {reinterpret_cast<const char*>(marker->data), marker->data_length});
    if (o != 1) return o;
  }
  return 1;
}

// Whether the file ends with the EOI marker, as an untruncated JPEG does
// (decoders add nothing after it). A DC-only decode stops early and would
// never see a truncation; without EOI the whole file is decoded, which
// reports it.
bool EndsWithEoi(const unsigned char* data, unsigned long size) {
  return size >= 2 && data[size - 2] == 0xFF && data[size - 1] == JPEG_EOI;
}

// The natural (row-major) index of each zigzag position: progressive
// scans, and coef_bits, count coefficients in zigzag order.
constexpr int kNaturalOrder[DCTSIZE2] = {
    0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

// The side of the inverse DCT libjpeg uses for a component at this scale.
int ScaledDctSide(const jpeg_component_info& c) {
#if JPEG_LIB_VERSION >= 70
  return c.DCT_h_scaled_size;
#else
  return c.DCT_scaled_size;
#endif
}

// Whether every coefficient the output needs has arrived, at some
// precision: those of each component's s x s inverse DCT. At 1/8 that is
// s = 1, the DC alone, for all but subsampled chroma, which libjpeg-turbo
// decodes with a 2x2 DCT (then needing coefficients 1, 8 and 9 too) so as
// not to upsample it.
bool NeededCoefficientsKnown(j_decompress_ptr cinfo) {
  for (int c = 0; c < cinfo->num_components; ++c) {
    const int side = ScaledDctSide(cinfo->comp_info[c]);
    for (int k = 0; k < DCTSIZE2; ++k) {
      const int n = kNaturalOrder[k];
      if (n / DCTSIZE < side && n % DCTSIZE < side &&
          cinfo->coef_bits[c][k] < 0) {
        return false;
      }
    }
  }
  return true;
}

// Buffered-image mode: reads scans until NeededCoefficientsKnown, checked
// as each scan completes (coef_bits is set when a scan begins), and stops
// there. In libjpeg's and ImageMagick's default progression, at 1/8 of a
// 4:2:0 file, that is the first four scans of ten, about a fifth of the
// file: the DC of all components, the luma's first AC band and the
// chroma's AC. Later scans only refine the lowest bits (successive
// approximation), which move a pixel by about a quantiser step / 8.
void ConsumeNeededScans(j_decompress_ptr cinfo) {
  for (;;) {
    const int r = jpeg_consume_input(cinfo);
    if (r == JPEG_REACHED_EOI || r == JPEG_SUSPENDED) return;
    if (r == JPEG_SCAN_COMPLETED && NeededCoefficientsKnown(cinfo)) return;
  }
}

// Pixels are decoded straight into `out->image`, sized once the header is
// known. Returns false with err->message set on a libjpeg error, or with
// `too_big` set for images over kMaxPixels.
bool RunDecompress(const unsigned char* data, unsigned long size, int box,
                   int reducing_gap, ProgressiveScans scans, Decoded* out,
                   bool* too_big, ErrorManager* err) {
  jpeg_decompress_struct cinfo;
  cinfo.err = Install(err);
  if (setjmp(err->jump) != 0) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, size);
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);  // EXIF
  jpeg_read_header(&cinfo, TRUE);

  const Dimensions full{static_cast<int>(cinfo.image_width),
                        static_cast<int>(cinfo.image_height)};
  out->original = full;
  if (static_cast<std::uint64_t>(full.width) * full.height > kMaxPixels) {
    *too_big = true;
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  const Dimensions target = FitWithin(full, box);
  cinfo.scale_num = 1;
  cinfo.scale_denom = static_cast<unsigned>(PickDenominator(
      full, {target.width * reducing_gap, target.height * reducing_gap}));
  const bool cmyk =
      cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  cinfo.out_color_space = cinfo.jpeg_color_space == JCS_GRAYSCALE
                              ? JCS_GRAYSCALE
                          : cmyk ? JCS_CMYK
                                 : JCS_RGB;
  out->orientation = OrientationOf(cinfo.marker_list);
  // At 1/8 each output pixel needs a block's first few coefficients only:
  // a progressive file's first scans hold them (ConsumeNeededScans).
  out->skipped_scans = scans == ProgressiveScans::kOnlyNeededAtOneEighth &&
                 cinfo.progressive_mode && cinfo.scale_denom == 8 &&
                 EndsWithEoi(data, size);
  if (out->skipped_scans) {
    cinfo.buffered_image = TRUE;
    cinfo.do_block_smoothing = FALSE;  // it guesses AC, which 1/8 ignores
  }
  jpeg_start_decompress(&cinfo);
  if (out->skipped_scans) {
    ConsumeNeededScans(&cinfo);
    jpeg_start_output(&cinfo, cinfo.input_scan_number);
  }

  const int width = static_cast<int>(cinfo.output_width);
  const int height = static_cast<int>(cinfo.output_height);
  const int components = cinfo.output_components;
  const std::size_t stride = static_cast<std::size_t>(width) * components;
  Image& image = out->image;
  image.width = width;
  image.height = height;
  image.channels = cmyk ? 3 : components;
  // Bounded above by kMaxPixels * 4 bytes: no bad_alloc in practice.
  image.pixels.resize(stride * height);
  unsigned char* base = image.pixels.data();
  constexpr int kBatch = 16;
  JSAMPROW rows[kBatch];
  while (cinfo.output_scanline < cinfo.output_height) {
    const int first = static_cast<int>(cinfo.output_scanline);
    for (int i = 0; i < kBatch; ++i) {
      rows[i] =
          base +
          static_cast<std::size_t>(std::min(first + i, height - 1)) * stride;
    }
    jpeg_read_scanlines(&cinfo, rows, kBatch);
  }
  // CMYK to RGB in place: each RGB pixel lands at or before its CMYK
  // source, which is read whole first. Adobe's files (almost all) store
  // inverted ink, 255 = none, so R = C * K / 255; others are inverted here.
  if (cmyk) {
    const unsigned flip = cinfo.saw_Adobe_marker ? 0 : 255;
    const std::size_t n = static_cast<std::size_t>(width) * height;
    for (std::size_t i = 0; i < n; ++i) {
      const unsigned char* s = base + 4 * i;
      const unsigned c = s[0] ^ flip, m = s[1] ^ flip, y = s[2] ^ flip,
                     k = s[3] ^ flip;
      unsigned char* d = base + 3 * i;
      d[0] = static_cast<unsigned char>((c * k + 127) / 255);
      d[1] = static_cast<unsigned char>((m * k + 127) / 255);
      d[2] = static_cast<unsigned char>((y * k + 127) / 255);
    }
    image.pixels.resize(n * 3);  // shrinking: never reallocates
  }
  // With skipped_scans the remaining scans are never read: no finish, which
  // would read them, just the destroy.
  if (!out->skipped_scans) jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

// The encoded bytes land in *buffer (malloc'ed by libjpeg; the caller frees
// it, also after a failure) and *size.
bool RunCompress(const Image& image, int quality, JpegMode mode,
                 unsigned char** buffer, unsigned long* size,
                 ErrorManager* err) {
  jpeg_compress_struct cinfo;
  cinfo.err = Install(err);
  if (setjmp(err->jump) != 0) {
    jpeg_destroy_compress(&cinfo);
    return false;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, buffer, size);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  cinfo.input_components = image.channels;
  cinfo.in_color_space = image.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  if (mode == JpegMode::kProgressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  const std::size_t stride =
      static_cast<std::size_t>(image.width) * image.channels;
  while (cinfo.next_scanline < cinfo.image_height) {
    // libjpeg does not write through the row pointer.
    JSAMPROW row = const_cast<unsigned char*>(image.pixels.data()) +
                   cinfo.next_scanline * stride;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return true;
}

// For one output coordinate, the input coordinates it covers and their
// weights (summing to 1).
struct Span {
  int first = 0;
  std::vector<float> weights;
};

std::vector<Span> AreaSpans(int in, int out) {
  std::vector<Span> spans(static_cast<std::size_t>(out));
  const double scale = static_cast<double>(in) / out;
  for (int o = 0; o < out; ++o) {
    const double a = o * scale;
    const double b = std::min<double>((o + 1) * scale, in);
    Span& span = spans[static_cast<std::size_t>(o)];
    span.first = static_cast<int>(std::floor(a));
    const int last = std::max(span.first, static_cast<int>(std::ceil(b)) - 1);
    for (int i = span.first; i <= last; ++i) {
      const double w = std::min<double>(b, i + 1) - std::max<double>(a, i);
      span.weights.push_back(static_cast<float>(w / (b - a)));
    }
  }
  return spans;
}

}  // namespace

Decoded DecodeJpeg(std::string_view jpeg, const std::string& path, int box,
                   int reducing_gap, ProgressiveScans scans) {
  Decoded out;
  ErrorManager err;
  bool too_big = false;
  const bool ok =
      RunDecompress(reinterpret_cast<const unsigned char*>(jpeg.data()),
                    static_cast<unsigned long>(jpeg.size()), box,
                    std::max(reducing_gap, 1), scans, &out, &too_big, &err);
  if (too_big) {
    ThrowImageError(path, std::to_string(out.original.width) + "x" +
                              std::to_string(out.original.height) +
                              " is more pixels than the limit of " +
                              std::to_string(kMaxPixels));
  }
  if (!ok) ThrowImageError(path, err.message);
  if (err.truncated)
    ThrowImageError(path,
                    "the file is truncated (" + std::string(err.message) + ")");
  return out;
}

Image ResizeArea(const Image& in, Dimensions to) {
  if (in.width == to.width && in.height == to.height) return in;
  const int c = in.channels;
  const std::vector<Span> xs = AreaSpans(in.width, to.width);
  const std::vector<Span> ys = AreaSpans(in.height, to.height);
  // Horizontal pass into floats, one row per input row.
  std::vector<float> rows(static_cast<std::size_t>(in.height) * to.width * c);
  for (int y = 0; y < in.height; ++y) {
    const unsigned char* src =
        in.pixels.data() + static_cast<std::size_t>(y) * in.width * c;
    float* dst = rows.data() + static_cast<std::size_t>(y) * to.width * c;
    for (int x = 0; x < to.width; ++x) {
      const Span& s = xs[static_cast<std::size_t>(x)];
      for (int k = 0; k < c; ++k) {
        float sum = 0;
        for (std::size_t i = 0; i < s.weights.size(); ++i) {
          sum += s.weights[i] *
                 src[(static_cast<std::size_t>(s.first) + i) * c + k];
        }
        dst[x * c + k] = sum;
      }
    }
  }
  // Vertical pass, rounding back to bytes. The weights sum to 1, so every
  // sum is within [0, 255] up to rounding.
  Image out;
  out.width = to.width;
  out.height = to.height;
  out.channels = c;
  out.pixels.resize(static_cast<std::size_t>(to.width) * to.height * c);
  const std::size_t row = static_cast<std::size_t>(to.width) * c;
  for (int y = 0; y < to.height; ++y) {
    const Span& s = ys[static_cast<std::size_t>(y)];
    unsigned char* dst = out.pixels.data() + y * row;
    for (std::size_t j = 0; j < row; ++j) {
      float sum = 0;
      for (std::size_t i = 0; i < s.weights.size(); ++i) {
        sum += s.weights[i] *
               rows[(static_cast<std::size_t>(s.first) + i) * row + j];
      }
      dst[j] = static_cast<unsigned char>(std::min(sum + 0.5f, 255.0f));
    }
  }
  return out;
}

std::string EncodeJpeg(const Image& image, int quality, JpegMode mode) {
  ErrorManager err;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  const bool ok = RunCompress(image, quality, mode, &buffer, &size, &err);
  std::string bytes;
  if (ok) bytes.assign(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  if (!ok) {
    throw worker::TaskError(
        kImageError, std::string("cannot encode a JPEG: ") + err.message);
  }
  return bytes;
}

Decoded DecodeImage(std::string_view bytes, const std::string& path, int box,
                    int reducing_gap) {
  switch (Sniff(bytes)) {
    case Format::kJpeg:
      return DecodeJpeg(bytes, path, box, reducing_gap);
    case Format::kPng:
#ifdef TQ_THUMBNAILS_PNG
      return DecodePng(bytes, path);
#else
      ThrowImageError(path, "it is a PNG, and this thumbnailer was built "
                            "without libpng (libpng-dev)");
#endif
    case Format::kOther:
      break;
  }
  // libjpeg's own words for what it found, as before PNGs were read.
  return DecodeJpeg(bytes, path, box, reducing_gap);
}

ThumbnailInfo ThumbnailWithLibjpeg(const std::string& src,
                                   const std::string& dst, int size) {
  const std::string bytes = ReadFile(src);
  const Decoded decoded = DecodeImage(bytes, src, size, kReducingGap);
  // Resized first, turned after: fewer pixels to move, and FitWithin gives
  // the same sides either way round.
  const Image thumb = Orient(
      ResizeArea(decoded.image, FitWithin(decoded.original, size)),
      decoded.orientation);
  ThumbnailInfo info;
  info.width = thumb.width;
  info.height = thumb.height;
  info.bytes = WriteFile(dst, EncodeJpeg(thumb, kThumbnailQuality));
  return info;
}

}  // namespace tq::thumbnails
