// The non-template parts of chunked maps (tq/map_options.h).
#include <algorithm>

#include "tq/map_options.h"

namespace tq::detail {

void EndChunk(std::string& args, std::size_t count) {
  for (int i = 0; i < 4; ++i) {
    args[static_cast<std::size_t>(1 + i)] = static_cast<char>((count >> (8 * (3 - i))) & 0xff);
  }
}

namespace {

constexpr std::size_t kChunkedWindow = 65536;  // bench: as fast as unbounded at 1M
constexpr std::size_t kUnchunkedWindow = 1000;

}  // namespace

std::size_t ChunkSize(const MapOptions& options, std::optional<std::size_t> n) {
  const std::size_t window = options.window != 0 ? options.window : kChunkedWindow;
  if (options.chunksize != 0) return std::min(options.chunksize, window);
  // A timeout is meant per input: a chunk would stretch it over many.
  if (options.submit.timeout.count() != 0 || !n) return 1;
  // Enough chunks to keep every worker busy to the end (a slow last chunk
  // idles the rest), few enough that the per-task cost is spread thin; and
  // enough chunks in the window that several run side by side.
  constexpr std::size_t kChunksPerMap = 128;
  constexpr std::size_t kChunksPerWindow = 8;
  constexpr std::size_t kMaxChunk = 8192;  // bench: 2x the items/s of 1024 at 1M
  return std::clamp<std::size_t>(std::min(*n / kChunksPerMap, window / kChunksPerWindow),
                                 1, kMaxChunk);
}

std::size_t Window(const MapOptions& options, std::size_t chunksize) {
  if (options.window != 0) return std::max(options.window, chunksize);
  return chunksize > 1 ? kChunkedWindow : kUnchunkedWindow;
}

}  // namespace tq::detail
