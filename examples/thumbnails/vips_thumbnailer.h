// Thumbnails with libvips: vips_thumbnail() (shrink-on-load for JPEG, then
// a Lanczos3 reduce, EXIF orientation applied) and vips_jpegsave at Q 75.
//
// libvips is started on the first call in a process (vips_init) and kept
// for the process's life, with one worker thread per pipeline
// (vips_concurrency_set(1)): tq already runs one task per worker process
// per core, and libvips' own pool would only compete with the other
// workers. Its operation cache is off: every task reads a different file.
// Not for concurrent use from several threads (tq runs one task at a time).
#pragma once

#include <string>

#include "thumbnail.h"

namespace tq::thumbnails {

// As ThumbnailWithLibjpeg (jpeg_thumbnailer.h), with libvips: reads `src`,
// writes a JPEG thumbnail whose longer side is `size` to `dst`. Throws
// tq::worker::TaskError (kFileError, kImageError) naming the file.
ThumbnailInfo ThumbnailWithVips(const std::string& src, const std::string& dst,
                                int size);

}  // namespace tq::thumbnails
