// The seed programs (examples/seed) as a user runs them against a real
// tqd: each exits 0 and prints what the article's Python prints, order
// aside (the children's lines come in the order they finish).
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "testing/run_command.h"
#include "testing/temp_dir.h"
#include "testing/tqd_process.h"

namespace tq {
namespace {

using testing::BinPath;
using testing::LibPath;
using testing::RunCommand;
using testing::TqdProcess;

class SeedTest : public ::testing::Test {
 protected:
  // Runs build/bin/PROGRAM against this tqd; its stdout's lines, sorted.
  std::vector<std::string> Run(const std::string& program, std::vector<std::string> args = {}) {
    args.insert(args.begin(), BinPath(program));
    const testing::CommandResult r = RunCommand(args, "", {"TQ_ENDPOINT=" + tqd_.endpoint()});
    EXPECT_EQ(r.code(), 0) << program << ": " << r.err << "\ntqd:\n" << tqd_.Log();
    std::vector<std::string> lines;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  TqdProcess tqd_{{.workers = 3, .extra_args = {"--plugin", LibPath("libtq_seed_tasks.so")}}};
};

// Each line matches its pattern, in order.
void ExpectLinesMatch(const std::vector<std::string>& lines, const std::vector<std::string>& patterns) {
  ASSERT_EQ(lines.size(), patterns.size()) << ::testing::PrintToString(lines);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_TRUE(std::regex_match(lines[i], std::regex(patterns[i])))
        << "line '" << lines[i] << "' does not match " << patterns[i];
  }
}

TEST_F(SeedTest, FiveProcessesGreetWithTheirPidsAndTheSubclassSquares) {
  ExpectLinesMatch(Run("tq-seed-process"), {
                                               "Hello, worker 0! I am process [0-9]+",
                                               "Hello, worker 1! I am process [0-9]+",
                                               "Hello, worker 2! I am process [0-9]+",
                                               "Hello, worker 3! I am process [0-9]+",
                                               "Hello, worker 4! I am process [0-9]+",
                                               "Process-6: 7 squared is 49",
                                           });
}

TEST_F(SeedTest, ThreeChildrenPutTheirLinesOnOneQueue) {
  EXPECT_EQ(Run("tq-seed-queue"),
            (std::vector<std::string>{"1 squared is 1", "2 squared is 4", "3 squared is 9"}));
}

TEST_F(SeedTest, TheChildAnswersThroughThePipeInCapitals) {
  EXPECT_EQ(Run("tq-seed-pipe"), (std::vector<std::string>{"HELLO", "PIPE"}));
}

TEST_F(SeedTest, TenProcessesFillTheManagersDictAndList) {
  EXPECT_EQ(Run("tq-seed-manager"),
            (std::vector<std::string>{"[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]",
                                      "{0: 0, 1: 1, 2: 4, 3: 9, 4: 16, 5: 25, 6: 36, 7: 49, 8: 64, 9: 81}"}));
}

TEST_F(SeedTest, APoolRunsTenRandomSleepsThenMapsOverImages) {
  std::vector<std::string> patterns = {"image0.pgm: 640x480", "image1.pgm: 320x240", "image2.pgm: 1024x768",
              "image3.pgm: 64x64"};
  for (int i = 0; i < 10; ++i) patterns.push_back("task " + std::to_string(i) + " slept 0\\.[0-9]{2} s");
  std::sort(patterns.begin(), patterns.end());
  ExpectLinesMatch(Run("tq-seed-pool"), patterns);
}

}  // namespace
}  // namespace tq
