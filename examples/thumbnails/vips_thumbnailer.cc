// The libvips thumbnailer of vips_thumbnailer.h.
#include "vips_thumbnailer.h"

#include <tq/worker/task.h>
#include <unistd.h>
#include <vips/vips.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

namespace tq::thumbnails {
namespace {

constexpr int kThumbnailQuality = 75;  // PIL's default for JPEG

// libvips' accumulated error text, cleared, without the final newline.
std::string TakeVipsError() {
  std::string text = vips_error_buffer();
  vips_error_clear();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  for (char& c : text) {
    if (c == '\n') c = ';';
  }
  return text.empty() ? "unknown libvips error" : text;
}

// Starts libvips once per process; later calls return the first outcome.
void StartVips() {
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    if (VIPS_INIT("tq-worker") != 0) {
      failure = "cannot start libvips: " + TakeVipsError();
      return;
    }
    vips_concurrency_set(1);
    vips_cache_set_max(0);
  });
  if (!failure.empty()) throw worker::TaskError(kImageError, failure);
}

// Drops a GObject reference on every path out of a function.
struct Unref {
  void operator()(void* object) const { g_object_unref(object); }
};

}  // namespace

ThumbnailInfo ThumbnailWithVips(const std::string& src, const std::string& dst,
                                int size) {
  StartVips();
  // libvips' own message for a missing file varies by version; say it the
  // same way as the libjpeg thumbnailer.
  if (::access(src.c_str(), R_OK) != 0) {
    throw worker::TaskError(
        kFileError, "cannot read '" + src + "': " + std::strerror(errno));
  }
  VipsImage* raw = nullptr;
  if (vips_thumbnail(src.c_str(), &raw, size, "height", size, "size",
                     VIPS_SIZE_DOWN, "fail_on", VIPS_FAIL_ON_TRUNCATED,
                     nullptr) != 0) {
    throw worker::TaskError(kImageError,
                            "cannot decode '" + src + "': " + TakeVipsError());
  }
  std::unique_ptr<VipsImage, Unref> thumb(raw);
  // Pixels are computed here, so decode errors surface here too.
  void* buffer = nullptr;
  std::size_t length = 0;
  if (vips_jpegsave_buffer(thumb.get(), &buffer, &length, "Q",
                           kThumbnailQuality, "strip", TRUE, nullptr) != 0) {
    throw worker::TaskError(kImageError,
                            "cannot decode '" + src + "': " + TakeVipsError());
  }
  std::unique_ptr<void, decltype(&g_free)> owned(buffer, &g_free);
  ThumbnailInfo info;
  info.width = vips_image_get_width(thumb.get());
  info.height = vips_image_get_height(thumb.get());
  info.bytes = WriteFile(dst, {static_cast<const char*>(buffer), length});
  return info;
}

}  // namespace tq::thumbnails
