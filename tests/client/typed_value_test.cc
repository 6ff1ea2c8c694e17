// How libtq tells a value of the wrong type: the type asked for, as a
// reader writes it, and the msgpack value that came, in a few words.
#include <gtest/gtest.h>
#include <tq/client.h>

#include <map>

namespace tq::detail {
namespace {

msgpack::object_handle Packed(const auto& value) {
  msgpack::sbuffer buf;
  msgpack::pack(buf, value);
  return msgpack::unpack(buf.data(), buf.size());
}

TEST(TypedValueTest, TypeNamesReadAsTheyAreWritten) {
  EXPECT_EQ(TypeName(typeid(long)), "long");
  EXPECT_EQ(TypeName(typeid(std::string)), "std::string");
  EXPECT_EQ(TypeName(typeid(std::vector<int>)), "std::vector<int>");
  EXPECT_EQ(TypeName(typeid(std::vector<std::string>)), "std::vector<std::string>");
}

TEST(TypedValueTest, ValuesAreDescribedByTypeAndContent) {
  EXPECT_EQ(DescribeValue(Packed(std::string("abc")).get()), "str \"abc\"");
  EXPECT_EQ(DescribeValue(Packed(42).get()), "int 42");
  EXPECT_EQ(DescribeValue(Packed(-3).get()), "int -3");
  EXPECT_EQ(DescribeValue(Packed(1.5).get()), "float 1.5");
  EXPECT_EQ(DescribeValue(Packed(0.1).get()), "float 0.1");
  EXPECT_EQ(DescribeValue(Packed(true).get()), "bool true");
  EXPECT_EQ(DescribeValue(Packed(msgpack::type::nil_t()).get()), "nil");
  EXPECT_EQ(DescribeValue(Packed(std::vector<int>{1, 2, 3}).get()), "array of 3");
  EXPECT_EQ(DescribeValue(Packed(std::map<int, int>{{1, 2}}).get()), "map of 1");
  EXPECT_EQ(DescribeValue(Packed(std::string(100, 'x')).get()),
            "str \"" + std::string(40, 'x') + "\"...");
}

TEST(TypedValueTest, AMismatchSaysWhatWasExpectedAndWhatCame) {
  const auto str = Packed(std::string("abc"));
  try {
    As<int>(str.get(), "task 12");
    FAIL() << "no exception";
  } catch (const ResultTypeError& e) {
    EXPECT_STREQ(e.what(), "task 12: expected int, got str \"abc\"");
  }
  EXPECT_EQ(As<std::string>(str.get(), "task 12"), "abc");
}

}  // namespace
}  // namespace tq::detail
