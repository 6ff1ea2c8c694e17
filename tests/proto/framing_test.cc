// Framing tests: frames come out whole and in order however the byte stream
// is chunked, and a length above the limit is refused from the header alone.
#include "tq/proto/framing.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tq/proto/codec.h"

namespace tq::proto {
namespace {

using namespace std::string_literals;

// `payload` with its 4-byte big-endian length prefix.
std::string Framed(std::string_view payload) {
  Buffer out;
  const std::size_t start = BeginFrame(out);
  out.write(payload.data(), payload.size());
  EndFrame(out, start);
  return out.Take();
}

// Every frame `reader` can hand out now, as owned strings.
std::vector<std::string> PopAll(FrameReader& reader) {
  std::vector<std::string> frames;
  std::string_view frame;
  while (reader.Pop(&frame) == FrameReader::Next::kFrame) {
    frames.emplace_back(frame);
  }
  return frames;
}

TEST(FramingTest, PrefixesThePayloadWithItsBigEndianLength) {
  const std::string payload(258, 'p');
  EXPECT_EQ(Framed(payload), "\x00\x00\x01\x02"s + payload);
}

TEST(FramingTest, EndFrameFillsTheHeaderOfAFrameAfterEarlierOnes) {
  Buffer out;
  out.write("xyz", 3);
  const std::size_t start = BeginFrame(out);
  out.write("hello", 5);
  EndFrame(out, start);
  EXPECT_EQ(out.view(), "xyz\x00\x00\x00\x05hello"s);
}

TEST(FrameReaderTest, HandsOutAFrameSplitIntoOneByteChunks) {
  FrameReader reader(1024);
  const std::string bytes = Framed("split me");
  std::string_view frame;
  for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
    reader.Append(bytes.substr(i, 1));
    ASSERT_EQ(reader.Pop(&frame), FrameReader::Next::kNeedMore) << "byte " << i;
  }
  reader.Append(bytes.substr(bytes.size() - 1));
  ASSERT_EQ(reader.Pop(&frame), FrameReader::Next::kFrame);
  EXPECT_EQ(frame, "split me");
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(FrameReaderTest, HandsOutManyFramesFromOneChunkInOrder) {
  FrameReader reader(1024);
  reader.Append(Framed("one") + Framed("two") + Framed("three") + "\x00\x00"s);
  EXPECT_EQ(PopAll(reader), (std::vector<std::string>{"one", "two", "three"}));
  // The start of a fourth header stays buffered.
  EXPECT_EQ(reader.buffered(), 2u);
}

TEST(FrameReaderTest, HandsOutAZeroLengthFrame) {
  FrameReader reader(1024);
  reader.Append(Framed("") + Framed("after"));
  std::string_view frame = "not empty";
  ASSERT_EQ(reader.Pop(&frame), FrameReader::Next::kFrame);
  EXPECT_TRUE(frame.empty());
  ASSERT_EQ(reader.Pop(&frame), FrameReader::Next::kFrame);
  EXPECT_EQ(frame, "after");
}

TEST(FrameReaderTest, AcceptsAFrameOfExactlyTheLimit) {
  FrameReader reader(8);
  reader.Append(Framed("12345678"));
  std::string_view frame;
  ASSERT_EQ(reader.Pop(&frame), FrameReader::Next::kFrame);
  EXPECT_EQ(frame, "12345678");
}

TEST(FrameReaderTest, RefusesALengthOverTheLimitFromTheHeaderAlone) {
  FrameReader reader(8);
  // Only the header has arrived: the claim is refused before any payload
  // would be buffered.
  reader.Append("\x00\x00\x00\x09"s);
  std::string_view frame;
  EXPECT_EQ(reader.Pop(&frame), FrameReader::Next::kTooLarge);
  EXPECT_EQ(reader.rejected_length(), 9u);

  FrameReader huge(64 * kMiB);
  huge.Append("\xff\xff\xff\xff"s);
  EXPECT_EQ(huge.Pop(&frame), FrameReader::Next::kTooLarge);
  EXPECT_EQ(huge.rejected_length(), 0xffffffffu);
  // kTooLarge is final: the stream cannot be resynchronised.
  huge.Append(Framed("ok"));
  EXPECT_EQ(huge.Pop(&frame), FrameReader::Next::kTooLarge);
}

TEST(FrameReaderTest, ReadsThroughPrepareAndCommit) {
  FrameReader reader(1024);
  const std::string bytes = Framed("via prepare");
  std::size_t capacity = 0;
  char* p = reader.Prepare(bytes.size(), &capacity);
  ASSERT_GE(capacity, bytes.size());
  std::memcpy(p, bytes.data(), bytes.size());
  reader.Commit(bytes.size());
  EXPECT_EQ(PopAll(reader), std::vector<std::string>{"via prepare"});
}

TEST(FrameReaderTest, KeepsAPartialFrameWhenItCompactsItsBuffer) {
  // A stream of frames of varied sizes, read in random-sized pieces the way
  // a pipe delivers them; compaction must never lose or reorder bytes.
  std::mt19937 rng(12345);  // fixed: a failure must reproduce
  std::vector<std::string> sent;
  std::string stream;
  for (int i = 0; i < 500; ++i) {
    std::string payload(rng() % 300, static_cast<char>('a' + i % 26));
    payload += std::to_string(i);
    stream += Framed(payload);
    sent.push_back(std::move(payload));
  }
  FrameReader reader(1024);
  std::vector<std::string> received;
  for (std::size_t off = 0; off < stream.size();) {
    const std::size_t n =
        std::min<std::size_t>(1 + rng() % 700, stream.size() - off);
    std::size_t capacity = 0;
    char* p = reader.Prepare(1 + rng() % 64, &capacity);
    const std::size_t take = std::min(n, capacity);
    std::memcpy(p, stream.data() + off, take);
    reader.Commit(take);
    off += take;
    for (std::string& f : PopAll(reader)) received.push_back(std::move(f));
  }
  EXPECT_EQ(received, sent);
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(FrameReaderTest, CarriesEncodedMessagesEndToEnd) {
  // What tqd and tq-worker do: Encode into a frame, read it back, decode.
  Buffer out;
  std::size_t start = BeginFrame(out);
  Encode(TaskAssignment{1, "echo", "\x91\x01"}, out);
  EndFrame(out, start);
  start = BeginFrame(out);
  Encode(TaskAssignment{2, "sum", "\x90"}, out);
  EndFrame(out, start);

  FrameReader reader(Limits{}.max_message_bytes);
  reader.Append(out.view());
  Decoder decoder;
  std::string_view frame;
  ASSERT_EQ(reader.Pop(&frame), FrameReader::Next::kFrame);
  auto first = decoder.DecodeTask(frame);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->task_id, 1u);
  ASSERT_EQ(reader.Pop(&frame), FrameReader::Next::kFrame);
  auto second = decoder.DecodeTask(frame);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->fn, "sum");
  EXPECT_EQ(reader.Pop(&frame), FrameReader::Next::kNeedMore);
}

}  // namespace
}  // namespace tq::proto
