// JSON <-> msgpack in the CLI: arguments taken verbatim or refused by name,
// and values shown without nlohmann's byte arrays.
#include "json_msgpack.h"

#include <gtest/gtest.h>

namespace tq::cli {
namespace {

// msgpack for {"stdout": bin(bytes)} and for a bare bin.
std::string MapWithBin(const std::string& key, const std::string& bytes) {
  std::string m = "\x81";
  m += static_cast<char>(0xa0 | key.size());
  m += key;
  m += "\xc4";
  m += static_cast<char>(bytes.size());
  return m + bytes;
}

TEST(JsonMsgpackTest, NumbersMsgpackCannotCarryAsWrittenAreRefusedByName) {
  std::string error;
  EXPECT_TRUE(JsonArgsToMsgpack({"1", "-9223372036854775808", "18446744073709551615", "1e308"},
                                &error));
  EXPECT_FALSE(JsonArgsToMsgpack({"1", "1e400"}, &error));
  EXPECT_EQ(error.rfind("argument 2 (1e400) is out of range", 0), 0u) << error;
  EXPECT_FALSE(JsonArgsToMsgpack({"[1, 18446744073709551616]"}, &error));
  EXPECT_NE(error.find("does not fit in 64 bits"), std::string::npos) << error;
  EXPECT_FALSE(JsonLineToArgs("{\"x\": -1e999}", &error));
  EXPECT_EQ(error.rfind("is out of range", 0), 0u) << error;
  EXPECT_FALSE(JsonArgsToMsgpack({"[1"}, &error));
  EXPECT_NE(error.find("is not JSON"), std::string::npos) << error;
}

TEST(JsonMsgpackTest, BinaryShowsAsTextOrFlaggedBase64) {
  EXPECT_EQ(MsgpackToJson(MapWithBin("stdout", "hi\n")), "{\"stdout\":\"hi\\n\"}");
  EXPECT_EQ(MsgpackToJson(MapWithBin("stdout", "\xff\xfe")),
            "{\"stdout\":\"//4=\",\"stdout_base64\":true}");
  EXPECT_EQ(MsgpackToJson(std::string("\x91\xc4\x01\xff", 4)), "[{\"base64\":\"/w==\"}]");
}

TEST(JsonMsgpackTest, Base64IsRfc4648WithPadding) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
}

TEST(JsonMsgpackTest, ExecArgsCarryTheDirectoryAndEnvironment) {
  const std::string args = ExecArgs({{"pwd"}, "/home/me", {{"A", "1"}}, 2000});
  EXPECT_EQ(MsgpackToJson(args),
            "[{\"argv\":[\"pwd\"],\"cwd\":\"/home/me\",\"env\":{\"A\":\"1\"},\"timeout_ms\":2000}]");
  EXPECT_EQ(MsgpackToJson(ExecArgs({{"true"}, "", {}, 0})), "[{\"argv\":[\"true\"]}]");
}

}  // namespace
}  // namespace tq::cli
