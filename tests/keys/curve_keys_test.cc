// CURVE key files: what tq keygen writes and the agent endpoint reads.
#include "tq/keys/curve_keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "testing/temp_dir.h"

namespace tq::keys {
namespace {

namespace fs = std::filesystem;

void WriteText(const fs::path& p, const std::string& text, mode_t mode) {
  std::ofstream(p) << text;
  ASSERT_EQ(::chmod(p.c_str(), mode), 0);
}

mode_t ModeOf(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_mode & 07777;
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const KeyError& e) {
    return e.what();
  }
  return "";
}

TEST(CurveKeysTest, AWrittenPairReadsBackAndItsHalvesBelongTogether) {
  testing::TempDir dir;
  const KeyPair pair = GenerateKeyPair();
  EXPECT_TRUE(IsZ85Key(pair.public_z85));
  EXPECT_TRUE(IsZ85Key(pair.secret_z85));
  WriteKeyPair(fs::path(dir.path()) / "head", pair, "made by a test", /*overwrite=*/false);

  EXPECT_EQ(ReadPublicKey(fs::path(dir.path()) / "head.pub"), pair.public_z85);
  EXPECT_EQ(ReadSecretKey(fs::path(dir.path()) / "head.key"), pair.secret_z85);
  EXPECT_EQ(PublicKeyOf(pair.secret_z85), pair.public_z85);
  EXPECT_EQ(ModeOf(fs::path(dir.path()) / "head.key"), 0600u);
  EXPECT_EQ(ModeOf(fs::path(dir.path()) / "head.pub"), 0644u);
  // Nothing of the atomic write is left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 2);
}

TEST(CurveKeysTest, AnExistingPairIsReplacedOnlyWhenAskedTo) {
  testing::TempDir dir;
  const KeyPair first = GenerateKeyPair();
  WriteKeyPair(fs::path(dir.path()) / "a", first, "", false);
  const KeyPair second = GenerateKeyPair();
  EXPECT_NE(ErrorOf([&] { WriteKeyPair(fs::path(dir.path()) / "a", second, "", false); })
                .find("exists already"),
            std::string::npos);
  EXPECT_EQ(ReadSecretKey(fs::path(dir.path()) / "a.key"), first.secret_z85);

  WriteKeyPair(fs::path(dir.path()) / "a", second, "", true);
  EXPECT_EQ(ReadSecretKey(fs::path(dir.path()) / "a.key"), second.secret_z85);
  EXPECT_EQ(ReadPublicKey(fs::path(dir.path()) / "a.pub"), second.public_z85);
}

TEST(CurveKeysTest, ASecretKeyOthersMayReadIsRefusedWithItsMode) {
  testing::TempDir dir;
  const KeyPair pair = GenerateKeyPair();
  WriteText(fs::path(dir.path()) / "open.key", pair.secret_z85 + "\n", 0640);
  const std::string error = ErrorOf([&] { ReadSecretKey(fs::path(dir.path()) / "open.key"); });
  EXPECT_NE(error.find("others may read (mode 0640)"), std::string::npos) << error;
  EXPECT_NE(error.find("open.key"), std::string::npos) << error;
  // A public key may be read by anyone.
  WriteText(fs::path(dir.path()) / "open.pub", pair.public_z85 + "\n", 0644);
  EXPECT_EQ(ReadPublicKey(fs::path(dir.path()) / "open.pub"), pair.public_z85);
}

TEST(CurveKeysTest, ASymlinkedSecretKeyIsRefused) {
  testing::TempDir dir;
  WriteKeyPair(fs::path(dir.path()) / "real", GenerateKeyPair(), "", false);
  fs::create_symlink(fs::path(dir.path()) / "real.key", fs::path(dir.path()) / "link.key");
  EXPECT_NE(ErrorOf([&] { ReadSecretKey(fs::path(dir.path()) / "link.key"); }).find("symbolic link"),
            std::string::npos);
}

TEST(CurveKeysTest, CommentsBlankLinesAndSpacesAroundTheKeyAreSkipped) {
  testing::TempDir dir;
  const KeyPair pair = GenerateKeyPair();
  WriteText(fs::path(dir.path()) / "k.pub",
            "# a comment\n\n  " + pair.public_z85 + " \r\n#another\n", 0644);
  EXPECT_EQ(ReadPublicKey(fs::path(dir.path()) / "k.pub"), pair.public_z85);
}

TEST(CurveKeysTest, MalformedKeyFilesAreErrorsThatSayWhatIsWrong) {
  testing::TempDir dir;
  const KeyPair pair = GenerateKeyPair();
  WriteText(fs::path(dir.path()) / "short.pub", "abc\n", 0644);
  WriteText(fs::path(dir.path()) / "empty.pub", "# only a comment\n", 0644);
  WriteText(fs::path(dir.path()) / "two.pub", pair.public_z85 + "\n" + pair.public_z85 + "\n", 0644);
  WriteText(fs::path(dir.path()) / "bad.pub", std::string(40, ' ') + "x\n", 0644);
  EXPECT_NE(ErrorOf([&] { ReadPublicKey(fs::path(dir.path()) / "short.pub"); }).find("not a CURVE key"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ReadPublicKey(fs::path(dir.path()) / "empty.pub"); }).find("no key"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ReadPublicKey(fs::path(dir.path()) / "two.pub"); }).find("more than one"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ReadPublicKey(fs::path(dir.path()) / "bad.pub"); }).find("not a CURVE key"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { ReadPublicKey(fs::path(dir.path()) / "missing.pub"); }).find("No such file"),
            std::string::npos);
  EXPECT_THROW(PublicKeyOf("not a key"), KeyError);
}

TEST(CurveKeysTest, AnAllowListIsEveryPubFileOfItsDirectoryByName) {
  testing::TempDir dir;
  const KeyPair b = GenerateKeyPair(), a = GenerateKeyPair();
  WriteKeyPair(fs::path(dir.path()) / "node-b", b, "", false);
  WriteKeyPair(fs::path(dir.path()) / "node-a", a, "", false);
  WriteText(fs::path(dir.path()) / "README", "not a key\n", 0644);
  const std::vector<AllowedKey> keys = ReadAllowList(dir.path());
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].name, "node-a");
  EXPECT_EQ(keys[0].public_z85, a.public_z85);
  EXPECT_EQ(keys[1].name, "node-b");
  EXPECT_EQ(keys[1].public_z85, b.public_z85);

  // A typo in one file fails the whole list rather than dropping a peer.
  WriteText(fs::path(dir.path()) / "node-c.pub", "typo\n", 0644);
  EXPECT_NE(ErrorOf([&] { ReadAllowList(dir.path()); }).find("node-c.pub"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { ReadAllowList(fs::path(dir.path()) / "nope"); }).find("allow-list"),
            std::string::npos);
}

}  // namespace
}  // namespace tq::keys
