// The UTF-8 checks: well formed per RFC 3629, and printable.
#include "tq/proto/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace tq::proto {
namespace {

using namespace std::string_literals;

TEST(Utf8Test, AcceptsWellFormedTextOfEveryLength) {
  for (const std::string& s : {""s, "plain"s, "h\xc3\xa9llo"s, "\xe6\x97\xa5\xe6\x9c\xac"s,
                               "\xf0\x9f\x98\x80"s, "\xf4\x8f\xbf\xbf"s, "a\nb\0c"s}) {
    EXPECT_TRUE(IsUtf8(s)) << s;
    EXPECT_EQ(Utf8ValidPrefix(s), s.size());
  }
}

TEST(Utf8Test, FindsTheFirstByteThatDoesNotBeginAWellFormedCharacter) {
  const std::pair<std::string, std::size_t> cases[] = {
      {"\xff\xfe"s, 0},            // not UTF-8 at all
      {"ab\x80"s, 2},              // a continuation byte alone
      {"/\xc0\xaf"s, 1},           // overlong encoding of '/'
      {"\xe0\x80\xaf"s, 0},        // overlong in three bytes
      {"x\xed\xa0\x80"s, 1},       // UTF-16 surrogate
      {"cut\xe6\x97"s, 3},         // cut short by the end
      {"\xe6\x97x"s, 0},           // cut short by an ASCII byte
      {"\xf4\x90\x80\x80"s, 0},    // beyond U+10FFFF
      {"ok\xf8\x88\x80\x80\x80"s, 2},  // five-byte form
  };
  for (const auto& [s, at] : cases) {
    EXPECT_FALSE(IsUtf8(s));
    EXPECT_EQ(Utf8ValidPrefix(s), at) << "in a string of " << s.size() << " bytes";
  }
}

TEST(Utf8Test, PrintableMeansWellFormedWithoutControlCharacters) {
  EXPECT_TRUE(IsPrintableUtf8("h\xc3\xa9llo w\xc3\xb6rld"));
  EXPECT_TRUE(IsPrintableUtf8("\xc2\x85"));  // C1 controls are printable here
  for (const std::string& s : {"a\nb"s, "tab\t"s, "del\x7f"s, "nul\0"s, "\x1b[31m"s,
                               "\xc0\xaf"s}) {
    EXPECT_FALSE(IsPrintableUtf8(s)) << "in a string of " << s.size() << " bytes";
  }
}

}  // namespace
}  // namespace tq::proto
