// Pipe framing between tqd and tq-worker: each frame is a 4-byte big-endian
// payload length followed by that many bytes (one msgpack value).
//
// FrameReader accumulates bytes as they arrive in arbitrary chunks and hands
// out complete frames; it refuses a length above its limit before buffering
// any of it. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tq/proto/buffer.h"

namespace tq::proto {

inline constexpr std::size_t kFrameHeaderBytes = 4;

// Reserves a frame header in `out` and returns where it starts; pass that to
// EndFrame once the payload has been appended.
std::size_t BeginFrame(Buffer& out);
void EndFrame(Buffer& out, std::size_t frame_start);

class FrameReader {
 public:
  enum class Next { kFrame, kNeedMore, kTooLarge };

  explicit FrameReader(std::size_t max_frame_bytes);

  // Space to read() into: at least `min_bytes` long. Call Commit(n) with the
  // number of bytes actually stored. Invalidates frames handed out before.
  char* Prepare(std::size_t min_bytes, std::size_t* capacity);
  void Commit(std::size_t n);
  // Copies bytes in (tests and fuzzers feed chunks this way).
  void Append(std::string_view bytes);

  // On kFrame, *frame views the payload until the next Prepare/Append.
  // kTooLarge is final: the stream cannot be resynchronised.
  Next Pop(std::string_view* frame);

  // Hands out the bytes buffered but not yet handed out (a frame begun),
  // and forgets them; the view lasts until the next Prepare/Append. Frames
  // handed out before stay valid.
  std::string_view TakeRest();

  // Bytes buffered but not yet handed out.
  std::size_t buffered() const { return end_ - start_; }
  // The length the last kTooLarge frame claimed.
  std::uint32_t rejected_length() const { return rejected_length_; }

 private:
  std::size_t max_frame_bytes_;
  std::string buf_;
  std::size_t start_ = 0;  // first unconsumed byte
  std::size_t end_ = 0;    // one past the last stored byte
  std::uint32_t rejected_length_ = 0;
};

}  // namespace tq::proto
