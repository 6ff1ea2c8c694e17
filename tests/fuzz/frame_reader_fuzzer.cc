// Fuzz target: the pipe framing reader (proto::FrameReader) fed a byte
// stream in arbitrary chunks, and each frame it yields decoded as tqd
// decodes what a worker writes (DecodeFromWorker).
//
// Input layout: byte 0 picks the frame limit (0: the real 64 MiB, else a
// small one so the over-limit path is reached), byte 1 seeds the chunking,
// the rest is the stream. The frames FrameReader hands out, and whether it
// ends with kTooLarge, must match a straightforward reference parse of the
// whole stream, however it was chunked, and whether bytes arrive through
// Append or through Prepare/Commit (as tqd reads them).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "tq/proto/framing.h"

namespace {

struct Parsed {
  std::vector<std::string_view> frames;
  bool too_large = false;
};

Parsed ReferenceParse(std::string_view s, std::size_t limit) {
  Parsed p;
  while (s.size() >= 4) {
    const auto* b = reinterpret_cast<const unsigned char*>(s.data());
    const std::uint32_t n = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                            (std::uint32_t{b[2]} << 8) | b[3];
    if (n > limit) {
      p.too_large = true;
      break;
    }
    if (s.size() - 4 < n) break;
    p.frames.push_back(s.substr(4, n));
    s.remove_prefix(4 + n);
  }
  return p;
}

// A small deterministic generator for chunk sizes: mostly tiny chunks (so
// headers and payloads split everywhere), sometimes large ones.
struct Chunker {
  std::uint32_t state;
  std::size_t Next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    switch (state % 4) {
      case 0: return state % 4;      // 0..3 bytes, empty chunks included
      case 1: return state % 16;
      case 2: return state % 300;
      default: return state % 70000;  // more than one read's worth
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t limit = data[0] == 0 ? tq::proto::Limits{}.max_message_bytes
                                         : std::size_t{data[0]} * 4;
  Chunker chunker{0x9e3779b9u ^ (std::uint32_t{data[1]} * 0x01000193u)};  // never 0
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);
  const Parsed expected = ReferenceParse(stream, limit);

  tq::proto::FrameReader reader(limit);
  tq::proto::Decoder decoder;
  std::size_t at = 0;
  std::size_t frames = 0;
  bool too_large = false;
  bool via_commit = false;
  while (!too_large) {
    const std::size_t n = std::min(chunker.Next(), stream.size() - at);
    if (via_commit) {
      std::size_t capacity = 0;
      char* space = reader.Prepare(n == 0 ? 1 : n, &capacity);
      FUZZ_CHECK(space != nullptr && capacity >= n);
      std::memcpy(space, stream.data() + at, n);
      reader.Commit(n);
    } else {
      reader.Append(stream.substr(at, n));
    }
    via_commit = !via_commit;
    at += n;
    std::string_view frame;
    for (;;) {
      const auto next = reader.Pop(&frame);
      if (next == tq::proto::FrameReader::Next::kNeedMore) break;
      if (next == tq::proto::FrameReader::Next::kTooLarge) {
        too_large = true;
        // Final: it says so again rather than resynchronising.
        FUZZ_CHECK(reader.Pop(&frame) == tq::proto::FrameReader::Next::kTooLarge);
        break;
      }
      FUZZ_CHECK(frames < expected.frames.size());
      FUZZ_CHECK(frame == expected.frames[frames]);
      ++frames;
      auto m = decoder.DecodeFromWorker(frame);
      if (m.ok()) {
        tq::fuzz::CheckRoundTrip(&tq::proto::Decoder::DecodeFromWorker,
                                 tq::proto::Limits{}, *m);
      } else {
        FUZZ_CHECK(tq::fuzz::IsUtf8(m.status().message()));
      }
    }
    if (at == stream.size()) break;
  }
  FUZZ_CHECK(frames == expected.frames.size());
  FUZZ_CHECK(too_large == expected.too_large);
  if (!too_large) {
    // What is left is exactly the unfinished tail.
    std::size_t consumed = 0;
    for (auto f : expected.frames) consumed += 4 + f.size();
    FUZZ_CHECK(reader.buffered() == stream.size() - consumed);
  }
  return 0;
}
