// ReadArrayHeader and SkipValue against msgpack-c's own encoder, and
// against truncated and lying input.
#include "tq/proto/msgpack_walk.h"

#include <gtest/gtest.h>

#include <map>
#include <msgpack.hpp>
#include <string>
#include <vector>

namespace tq::proto {
namespace {

template <typename T>
std::string Pack(const T& v) {
  msgpack::sbuffer buf;
  msgpack::pack(buf, v);
  return std::string(buf.data(), buf.size());
}

// One value of every msgpack format family, as msgpack-c encodes them.
std::vector<std::string> EveryFormat() {
  std::vector<std::string> out = {
      Pack(0), Pack(127), Pack(-1), Pack(-32), Pack(200), Pack(-100), Pack(60000),
      Pack(-30000), Pack(4000000000u), Pack(-2000000000), Pack(UINT64_MAX), Pack(INT64_MIN),
      Pack(1.5f), Pack(2.5), Pack(true), Pack(false), Pack(msgpack::type::nil_t()),
      Pack(std::string(5, 's')), Pack(std::string(40, 's')), Pack(std::string(300, 's')),
      Pack(std::string(70000, 's')), Pack(std::vector<char>(3, 'b')),
      Pack(std::vector<char>(300, 'b')), Pack(std::vector<char>(70000, 'b')),
      Pack(std::vector<int>(3, 1)), Pack(std::vector<int>(20, 1)),
      Pack(std::vector<int>(70000, 1)), Pack(std::map<int, std::string>{{1, "a"}, {2, "b"}}),
      Pack(std::vector<std::vector<std::map<std::string, double>>>{{{{"x", 1.0}}}, {}}),
  };
  for (std::size_t n : {1, 2, 4, 8, 16, 3, 300, 70000}) {  // fixext*, ext8/16/32
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk(buf);
    pk.pack_ext(n, 7);
    pk.pack_ext_body(std::string(n, 'e').data(), n);
    out.emplace_back(buf.data(), buf.size());
  }
  return out;
}

TEST(MsgpackWalkTest, SkipsExactlyOneValueOfEveryFormat) {
  for (const std::string& v : EveryFormat()) {
    SCOPED_TRACE(testing::PrintToString(v.substr(0, 8)));
    const std::string two = v + v;
    std::size_t pos = 0;
    ASSERT_TRUE(SkipValue(two, &pos));
    EXPECT_EQ(pos, v.size());
    ASSERT_TRUE(SkipValue(two, &pos));
    EXPECT_EQ(pos, two.size());
    // Every truncation is refused and leaves pos alone.
    for (std::size_t cut = 0; cut < v.size(); cut += 1 + cut / 8) {
      pos = 0;
      EXPECT_FALSE(SkipValue(std::string_view(v).substr(0, cut), &pos)) << cut;
      EXPECT_EQ(pos, 0u);
    }
  }
}

TEST(MsgpackWalkTest, ReadsArrayHeadersOfEverySize) {
  for (std::size_t n : {0, 15, 16, 65535, 65536}) {
    const std::string a = Pack(std::vector<bool>(n, true));
    std::size_t pos = 0;
    std::uint32_t count = 0;
    ASSERT_TRUE(ReadArrayHeader(a, &pos, &count));
    EXPECT_EQ(count, n);
    EXPECT_EQ(a.size() - pos, n);  // what is left is the elements
  }
  std::size_t pos = 0;
  std::uint32_t count = 0;
  EXPECT_FALSE(ReadArrayHeader(Pack(std::map<int, int>{}), &pos, &count));
  EXPECT_FALSE(ReadArrayHeader(Pack(5), &pos, &count));
  EXPECT_FALSE(ReadArrayHeader(std::string("\xdd\x00\x00", 3), &pos, &count));
  EXPECT_FALSE(ReadArrayHeader("", &pos, &count));
  EXPECT_EQ(pos, 0u);
}

TEST(MsgpackWalkTest, RefusesHeadersThatClaimMoreThanThereIs) {
  std::size_t pos = 0;
  // 2^32-1 elements, 2^32-1 pairs, a 4 GiB str, a never-used byte.
  for (const std::string& bomb :
       {std::string("\xdd\xff\xff\xff\xff\x01\x02", 7), std::string("\xdf\xff\xff\xff\xff", 5),
        std::string("\xdb\xff\xff\xff\xff" "abc", 8), std::string("\xc1", 1)}) {
    EXPECT_FALSE(SkipValue(bomb, &pos));
    EXPECT_EQ(pos, 0u);
  }
  // A million levels of nesting is walked without recursion.
  const std::string deep = std::string(1000000, '\x91') + "\x01";
  EXPECT_TRUE(SkipValue(deep, &pos));
  EXPECT_EQ(pos, deep.size());
}

}  // namespace
}  // namespace tq::proto
