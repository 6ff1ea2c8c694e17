// The non-template parts of chunked maps (tq/client.h).
#include <algorithm>

#include "tq/client.h"

namespace tq::detail {

void EndChunk(std::string& args, std::size_t count) {
  for (int i = 0; i < 4; ++i) {
    args[static_cast<std::size_t>(1 + i)] = static_cast<char>((count >> (8 * (3 - i))) & 0xff);
  }
}

std::size_t ChunkSize(const MapOptions& options, std::optional<std::size_t> n) {
  if (options.chunksize != 0) return options.chunksize;
  // A timeout is meant per input: a chunk would stretch it over many.
  if (options.submit.timeout.count() != 0 || !n) return 1;
  // Enough chunks to keep every worker busy to the end (a slow last chunk
  // idles the rest), few enough that the per-task cost is spread thin.
  constexpr std::size_t kChunksPerMap = 128;
  constexpr std::size_t kMaxChunk = 8192;  // bench: 2x the items/s of 1024 at 1M
  return std::clamp<std::size_t>(*n / kChunksPerMap, 1, kMaxChunk);
}

}  // namespace tq::detail
