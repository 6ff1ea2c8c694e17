// MapWriter and ArrayWriter: the back-patched header must be byte for byte
// the one msgpack-c's pack_map/pack_array writes for the final count, at
// every size boundary (fixmap/fixarray, 16-bit, 32-bit), nested or not.
#include "map_writer.h"

#include <gtest/gtest.h>

#include <msgpack.hpp>
#include <string>

namespace tq::proto {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

std::string Str(const msgpack::sbuffer& b) { return std::string(b.data(), b.size()); }

// "k7".
std::string Key(std::uint32_t i) {
  std::string key(1, 'k');
  return key += std::to_string(i);
}

void PackKey(Packer& pk, std::uint32_t i) {
  const std::string key = Key(i);
  pk.pack_str(static_cast<std::uint32_t>(key.size()));
  pk.pack_str_body(key.data(), static_cast<std::uint32_t>(key.size()));
}

TEST(MapWriterTest, WritesTheMapHeaderMsgpackCWouldForEveryCount) {
  for (std::uint32_t n : {0u, 1u, 15u, 16u, 17u, 65535u, 65536u}) {
    SCOPED_TRACE(n);
    msgpack::sbuffer want;
    Packer pk(want);
    pk.pack_map(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      PackKey(pk, i);
      pk.pack_uint64(i);
    }
    Buffer got;
    {
      MapWriter w(got);
      for (std::uint32_t i = 0; i < n; ++i) w.Uint(Key(i), i);
    }
    ASSERT_EQ(got.view(), Str(want));
  }
}

TEST(MapWriterTest, WritesTheArrayHeaderMsgpackCWouldForEveryCount) {
  for (std::uint32_t n : {0u, 15u, 16u, 65535u, 65536u}) {
    SCOPED_TRACE(n);
    msgpack::sbuffer want;
    Packer pk(want);
    pk.pack_map(1);
    PackKey(pk, 0);
    pk.pack_array(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      pk.pack_str(1);
      pk.pack_str_body("x", 1);
    }
    Buffer got;
    {
      MapWriter w(got);
      ArrayWriter a = w.Array("k0");
      for (std::uint32_t i = 0; i < n; ++i) a.Str("x");
    }
    ASSERT_EQ(got.view(), Str(want));
  }
}

TEST(MapWriterTest, BackPatchesNestedWritersWhoseHeadersGrowWithoutMovingTheParents) {
  // {"k0": [ {17 entries}, {} ], "k1": 1}: the inner map's header grows to
  // map16 after the outer headers were reserved ahead of it.
  msgpack::sbuffer want;
  Packer pk(want);
  pk.pack_map(2);
  PackKey(pk, 0);
  pk.pack_array(2);
  pk.pack_map(17);
  for (std::uint32_t i = 0; i < 17; ++i) {
    PackKey(pk, i);
    pk.pack_true();
  }
  pk.pack_map(0);
  PackKey(pk, 1);
  pk.pack_uint64(1);

  Buffer got;
  {
    MapWriter w(got);
    {
      ArrayWriter a = w.Array("k0");
      {
        MapWriter big = a.Map();
        for (std::uint32_t i = 0; i < 17; ++i) big.True(Key(i));
      }
      MapWriter empty = a.Map();
    }
    w.Uint("k1", 1);
  }
  EXPECT_EQ(got.view(), Str(want));
}

TEST(MapWriterTest, AppendsAfterWhatTheBufferAlreadyHolds) {
  Buffer got;
  got.write("\x00\x00\x00\x00", 4);  // a frame header, say
  {
    MessageWriter w(got, "ping");
    w.Uint("req", 8);
  }
  EXPECT_EQ(got.view().substr(4),
            "\x83\xa1v\x01\xa4kind\xa4ping\xa3req\x08");
}

TEST(MapWriterDeathTest, AbortsWhenAParentWritesWhileAChildIsOpen) {
  EXPECT_DEATH(
      {
        Buffer out;
        MapWriter w(out);
        MapWriter child = w.Map("a");
        w.Uint("b", 1);
      },
      "broken invariant");
}

}  // namespace
}  // namespace tq::proto
