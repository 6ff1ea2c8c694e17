// The libpng decoder of png_decoder.h. The simplified API (png_image)
// reports errors in image.message instead of longjmp'ing into our frames.
#include "png_decoder.h"

#include <png.h>
#include <tq/worker/task.h>

#include <cstdint>
#include <cstring>

namespace tq::thumbnails {
namespace {

[[noreturn]] void Fail(const std::string& path, const std::string& why) {
  throw worker::TaskError(kImageError,
                          "cannot decode '" + path + "' as a PNG: " + why);
}

}  // namespace

Decoded DecodePng(std::string_view png, const std::string& path) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_memory(&image, png.data(), png.size()) == 0) {
    Fail(path, image.message);
  }
  Decoded out;
  out.original = {static_cast<int>(image.width), static_cast<int>(image.height)};
  if (std::uint64_t{image.width} * image.height > kMaxPixels) {
    png_image_free(&image);
    Fail(path, std::to_string(image.width) + "x" +
                   std::to_string(image.height) +
                   " is more pixels than the limit of " +
                   std::to_string(kMaxPixels));
  }
  const bool colour = (image.format & PNG_FORMAT_FLAG_COLOR) != 0;
  image.format = colour ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  Image& pixels = out.image;
  pixels.width = out.original.width;
  pixels.height = out.original.height;
  pixels.channels = colour ? 3 : 1;
  pixels.pixels.resize(PNG_IMAGE_SIZE(image));
  const png_color white{255, 255, 255};
  if (png_image_finish_read(&image, &white, pixels.pixels.data(), 0,
                            nullptr) == 0) {
    Fail(path, image.message);  // finish_read has freed what it held
  }
  return out;
}

}  // namespace tq::thumbnails
