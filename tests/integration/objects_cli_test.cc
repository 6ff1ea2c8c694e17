// tq dict, tq list and tq queue as a user runs them: JSON in and out,
// exit codes, and the same objects seen from libtq.
#include <gtest/gtest.h>
#include <tq/client.h>

#include "testing/run_command.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using testing::BinPath;
using testing::RunCommand;
using testing::TqdProcess;
using testing::WaitFor;

class ObjectsCliTest : public ::testing::Test {
 protected:
  testing::CommandResult Tq(std::vector<std::string> args) {
    args.insert(args.begin(), BinPath("tq"));
    return RunCommand(args, "", {"TQ_ENDPOINT=" + tqd_.endpoint()});
  }
  TqdProcess tqd_{testing::TqdOptions{.workers = 1}};
};

TEST_F(ObjectsCliTest, DictSetsGetsIncrementsAndDeletesJsonValues) {
  EXPECT_EQ(Tq({"dict", "set", "conf", "name", "\"web\""}).code(), 0);
  EXPECT_EQ(Tq({"dict", "set", "conf", "ports", "[80,443]"}).code(), 0);
  EXPECT_EQ(Tq({"dict", "get", "conf", "ports"}).out, "[80,443]\n");
  EXPECT_EQ(Tq({"dict", "incr", "conf", "hits"}).out, "1\n");
  EXPECT_EQ(Tq({"dict", "incr", "conf", "hits", "-5"}).out, "-4\n");
  EXPECT_EQ(Tq({"dict", "keys", "conf"}).out, "\"name\"\n\"ports\"\n\"hits\"\n");
  EXPECT_EQ(Tq({"dict", "size", "conf"}).out, "3\n");
  EXPECT_EQ(Tq({"dict", "del", "conf", "name"}).out, "\"web\"\n");
  const auto missing = Tq({"dict", "get", "conf", "name"});
  EXPECT_EQ(missing.code(), 1);
  EXPECT_EQ(missing.err, "tq: dict 'conf' has no key name\n");
  // A key that is JSON is that value: 7 is not "7".
  EXPECT_EQ(Tq({"dict", "set", "conf", "7", "true"}).code(), 0);
  EXPECT_EQ(Tq({"dict", "get", "conf", "\"7\""}).code(), 1);
  Client client(tqd_.endpoint());
  auto by_int = client.dict<int, bool>("conf");
  EXPECT_EQ(by_int.get(7), true);
  auto by_name = client.dict<std::string, std::int64_t>("conf");
  EXPECT_EQ(by_name.get("hits"), -4);
}

TEST_F(ObjectsCliTest, RefusesBadJsonAndAnIncrOfWhatIsNoInteger) {
  const auto bad = Tq({"dict", "set", "d", "k", "not json"});
  EXPECT_EQ(bad.code(), 125);
  EXPECT_NE(bad.err.find("is not JSON"), std::string::npos) << bad.err;
  EXPECT_EQ(Tq({"dict", "set", "d", "k", "\"text\""}).code(), 0);
  const auto incr = Tq({"dict", "incr", "d", "k"});
  EXPECT_EQ(incr.code(), 121);
  EXPECT_NE(incr.err.find("BAD_VALUE"), std::string::npos) << incr.err;
  EXPECT_EQ(Tq({"dict", "incr", "d", "n", "1.5"}).code(), 125);
  EXPECT_EQ(Tq({"dict", "get", "d"}).code(), 125);
}

TEST_F(ObjectsCliTest, ListAppendsGetsAndCounts) {
  EXPECT_EQ(Tq({"list", "append", "l", "1", "\"two\"", "[3]"}).out, "3\n");
  EXPECT_EQ(Tq({"list", "get", "l", "-1"}).out, "[3]\n");
  EXPECT_EQ(Tq({"list", "get", "l"}).out, "1\n\"two\"\n[3]\n");
  EXPECT_EQ(Tq({"list", "len", "l"}).out, "3\n");
  const auto out_of_range = Tq({"list", "get", "l", "3"});
  EXPECT_EQ(out_of_range.code(), 121);
  EXPECT_NE(out_of_range.err.find("list 'l' has 3 items; there is no index 3"), std::string::npos);
}

TEST_F(ObjectsCliTest, QueuePutsGetsAndAGetThatTimesOutExits124) {
  EXPECT_EQ(Tq({"queue", "put", "q", "1", "{\"job\":2}"}).code(), 0);
  EXPECT_EQ(Tq({"queue", "size", "q"}).out, "2\n");
  EXPECT_EQ(Tq({"queue", "get", "q"}).out, "1\n");
  EXPECT_EQ(Tq({"queue", "get", "q", "-n", "5"}).out, "{\"job\":2}\n");
  const auto empty = Tq({"queue", "get", "--timeout", "0.3", "empty"});
  EXPECT_EQ(empty.code(), 124);
  EXPECT_EQ(empty.out, "");
  EXPECT_EQ(empty.err, "tq: queue 'empty' had nothing within 0.3 s\n");
}

TEST_F(ObjectsCliTest, ATasksNameShowsInStatusAndWorkers) {
  const auto submitted = Tq({"submit", "--name", "resize-7", "sleep", "60000"});
  ASSERT_EQ(submitted.code(), 0) << submitted.err;
  const std::string id = submitted.out.substr(0, submitted.out.find('\n'));
  EXPECT_TRUE(WaitFor("the task to run, named, in tq workers",
                      [&] { return Tq({"workers"}).out.find("resize-7") != std::string::npos; }));
  EXPECT_NE(Tq({"status", id}).out.find("name      resize-7"), std::string::npos);
  EXPECT_EQ(Tq({"cancel", id}).code(), 0);
}

}  // namespace
}  // namespace tq
