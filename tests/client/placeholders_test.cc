// GNU parallel's replacement strings, as a table.
#include "placeholders.h"

#include <gtest/gtest.h>

namespace tq::cli {
namespace {

struct Case {
  const char* word;
  const char* item;
  const char* want;
};

TEST(PlaceholdersTest, ExpandsEveryReplacementStringAsParallelDoes) {
  const Case cases[] = {
      {"{}", "photos/cat.jpg", "photos/cat.jpg"},
      {"{/}", "photos/cat.jpg", "cat.jpg"},
      {"{.}", "photos/cat.jpg", "photos/cat"},
      {"{/.}", "photos/cat.jpg", "cat"},
      {"{//}", "photos/cat.jpg", "photos"},
      {"{//}", "cat.jpg", "."},
      {"{//}", "/cat.jpg", "/"},
      {"{.}", "archive.tar.gz", "archive.tar"},
      {"{.}", "dir.d/file", "dir.d/file"},
      {"{.}", ".hidden", ".hidden"},
      {"{/.}", "a/b/.hidden", ".hidden"},
      {"{.}", "noext", "noext"},
      {"out/{/.}.png", "in/cat.jpg", "out/cat.png"},
      {"{}-{}", "x", "x-x"},
      {"{#}", "anything", "7"},
      {"job{#}:{/}", "a/b.c", "job7:b.c"},
      {"{", "x", "{"},
      {"{x}", "y", "{x}"},
      {"plain", "x", "plain"},
  };
  for (const Case& c : cases) {
    const auto argv = ExpandCommand({"cmd", c.word}, c.item, 7);
    ASSERT_GE(argv.size(), 2u) << c.word;
    EXPECT_EQ(argv[1], c.want) << "word " << c.word << ", item " << c.item;
  }
}

TEST(PlaceholdersTest, AppendsTheItemWhenTheCommandHasNoReplacementString) {
  EXPECT_EQ(ExpandCommand({"gzip", "-9"}, "a b.txt", 1),
            (std::vector<std::string>{"gzip", "-9", "a b.txt"}));
  EXPECT_EQ(ExpandCommand({"convert", "{}", "{.}.png"}, "a.jpg", 1),
            (std::vector<std::string>{"convert", "a.jpg", "a.png"}));
}

TEST(PlaceholdersTest, KeepsTheItemAsOneArgumentWhateverItHolds) {
  const auto argv = ExpandCommand({"echo", "{}"}, "a b;$HOME 'q'", 1);
  EXPECT_EQ(argv, (std::vector<std::string>{"echo", "a b;$HOME 'q'"}));
}

TEST(PlaceholdersTest, SaysWhetherACommandHasAReplacementString) {
  EXPECT_TRUE(HasPlaceholder({"x", "{/.}"}));
  EXPECT_TRUE(HasPlaceholder({"pre{#}post"}));
  EXPECT_FALSE(HasPlaceholder({"x", "{y}", "{"}));
}

}  // namespace
}  // namespace tq::cli
