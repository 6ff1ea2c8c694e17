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
  if (options.submit.timeout.count() != 0 || !n || *n <= 1) return 1;
  return 0;  // sized as the map goes, from measured times (ChunkSizer)
}

std::size_t Window(const MapOptions& options, std::size_t chunksize) {
  if (options.window != 0) return std::max(options.window, chunksize);
  return chunksize != 1 ? kChunkedWindow : kUnchunkedWindow;
}

}  // namespace tq::detail
