// Length-prefixed frames on a byte stream.
#include "tq/proto/framing.h"

#include <cstring>

namespace tq::proto {

std::size_t BeginFrame(Buffer& out) {
  const std::size_t start = out.size();
  const char zero[kFrameHeaderBytes] = {};
  out.write(zero, sizeof zero);
  return start;
}

void EndFrame(Buffer& out, std::size_t frame_start) {
  const auto n = static_cast<std::uint32_t>(out.size() - frame_start -
                                            kFrameHeaderBytes);
  char* p = out.data() + frame_start;
  p[0] = static_cast<char>(n >> 24);
  p[1] = static_cast<char>(n >> 16);
  p[2] = static_cast<char>(n >> 8);
  p[3] = static_cast<char>(n);
}

FrameReader::FrameReader(std::size_t max_frame_bytes)
    : max_frame_bytes_(max_frame_bytes) {}

char* FrameReader::Prepare(std::size_t min_bytes, std::size_t* capacity) {
  // Compact only when the consumed prefix is worth moving, so a stream of
  // small frames does not memmove on every read.
  if (start_ == end_) {
    start_ = end_ = 0;
  } else if (start_ > 0 && (start_ >= buf_.size() / 2 ||
                            buf_.size() - end_ < min_bytes)) {
    std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  if (buf_.size() - end_ < min_bytes) buf_.resize(end_ + min_bytes);
  *capacity = buf_.size() - end_;
  return buf_.data() + end_;
}

void FrameReader::Commit(std::size_t n) { end_ += n; }

void FrameReader::Append(std::string_view bytes) {
  if (bytes.empty()) return;
  std::size_t capacity = 0;
  char* p = Prepare(bytes.size(), &capacity);
  std::memcpy(p, bytes.data(), bytes.size());
  Commit(bytes.size());
}

std::string_view FrameReader::TakeRest() {
  const std::string_view rest(buf_.data() + start_, end_ - start_);
  start_ = end_;
  return rest;
}

FrameReader::Next FrameReader::Pop(std::string_view* frame) {
  if (end_ - start_ < kFrameHeaderBytes) return Next::kNeedMore;
  const auto* p = reinterpret_cast<const unsigned char*>(buf_.data() + start_);
  const std::uint32_t n = (std::uint32_t{p[0]} << 24) |
                          (std::uint32_t{p[1]} << 16) |
                          (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
  if (n > max_frame_bytes_) {
    rejected_length_ = n;
    return Next::kTooLarge;
  }
  if (end_ - start_ - kFrameHeaderBytes < n) return Next::kNeedMore;
  *frame = std::string_view(buf_.data() + start_ + kFrameHeaderBytes, n);
  start_ += kFrameHeaderBytes + n;
  return Next::kFrame;
}

}  // namespace tq::proto
