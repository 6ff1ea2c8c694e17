// OomCounter reads the kernel's OOM-kill count of a memory cgroup (v2
// memory.events, v1 memory.oom_control); ReadRssBytes reads /proc.
#include "proc_stats.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "testing/temp_dir.h"

namespace tq::daemon {
namespace {

TEST(OomCounterTest, ReportsARiseInTheKernelsOomKillCountOnce) {
  testing::TempDir dir;
  const std::string events = dir.File("memory.events");
  std::ofstream(events) << "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n";
  OomCounter counter(events);
  EXPECT_EQ(counter.Read(), 1u);
  EXPECT_FALSE(counter.IncreasedSinceLastCheck());  // the baseline
  std::ofstream(events) << "low 0\nhigh 0\nmax 5\noom 2\noom_kill 2\n";
  EXPECT_TRUE(counter.IncreasedSinceLastCheck());
  EXPECT_FALSE(counter.IncreasedSinceLastCheck());
}

TEST(OomCounterTest, ReadsTheCgroupV1Format) {
  testing::TempDir dir;
  const std::string control = dir.File("memory.oom_control");
  std::ofstream(control) << "oom_kill_disable 0\nunder_oom 0\noom_kill 7\n";
  EXPECT_EQ(OomCounter(control).Read(), 7u);
}

TEST(OomCounterTest, WithoutACgroupFileItNeverClaimsAnOom) {
  OomCounter counter("");
  EXPECT_EQ(counter.Read(), std::nullopt);
  EXPECT_FALSE(counter.IncreasedSinceLastCheck());
  EXPECT_FALSE(counter.IncreasedSinceLastCheck());
}

TEST(ProcStatsTest, ReadsTheRssOfALiveProcessAndZeroForAMissingOne) {
  EXPECT_GT(ReadRssBytes(::getpid()), 1u << 20);
  EXPECT_EQ(ReadRssBytes(999999999), 0u);
}

TEST(ProcStatsTest, FindsProgramsOnThePath) {
  EXPECT_EQ(FindOnPath("sh").empty(), false);
  EXPECT_EQ(FindOnPath("no-such-program-tq"), "");
}

}  // namespace
}  // namespace tq::daemon
