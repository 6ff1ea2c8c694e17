// A crashed worker's replacement: it must live, and the pool must stay
// whole, however SIGCHLD and the dead worker's pipe EOF reach tqd.
//
// Regression tests for a bug where tqd, seeing SIGCHLD and EOF in the same
// loop turn, buried the freshly spawned replacement as if it had died too
// ("exited with code 0"), killed it and respawned it 100 ms later.
#include <gtest/gtest.h>
#include <signal.h>
#include <tq/client.h>

#include <algorithm>
#include <set>

#include "testing/remote_error.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::LibPath;
using testing::TqdOptions;
using testing::TqdProcess;
using testing::WaitFor;
using Nil = msgpack::type::nil_t;

TqdOptions Tqd(int workers) {
  TqdOptions o;
  o.workers = workers;
  o.extra_args = {"--plugin", LibPath("libtq_supervision_tasks.so")};
  return o;
}

// Pids of the workers tqd lists as alive (any state but "stopping").
std::set<std::uint32_t> ListedWorkers(Client& client) {
  std::set<std::uint32_t> pids;
  for (const WorkerStatus& w : client.workers()) {
    if (w.state != "stopping") pids.insert(w.pid);
  }
  return pids;
}

std::uint64_t RunningTaskPid(Client& client, std::uint64_t id) {
  std::uint64_t pid = 0;
  EXPECT_TRUE(WaitFor([&] {
    const TaskInfo info = client.status(id);
    pid = info.worker_pid;
    return info.state == TaskState::kRunning;
  })) << "task " << id << " never started running";
  return pid;
}

TEST(RespawnTest, AReplacementSpawnedWhileSigchldAndEofArriveTogetherLives) {
  TqdProcess tqd(Tqd(2));
  Client client(tqd.endpoint());
  for (int round = 0; round < 5; ++round) {
    auto running = client.apply_async<Nil>("sleep", 30000);
    ASSERT_TRUE(WaitFor([&] { return running.task_id() != 0; }));
    const auto victim = static_cast<pid_t>(RunningTaskPid(client, running.task_id()));
    const std::set<std::uint32_t> before = ListedWorkers(client);

    // With tqd stopped, the worker's death leaves both SIGCHLD and its pipe's
    // EOF pending, so tqd sees them in one poll.
    ::kill(tqd.pid(), SIGSTOP);
    ::kill(victim, SIGABRT);
    ASSERT_TRUE(WaitFor([&] { return !testing::ProcessAlive(victim); }));
    ::kill(tqd.pid(), SIGCONT);

    RemoteError lost = testing::ExpectRemoteError([&] { running.get(20s); });
    EXPECT_EQ(lost.state(), TaskState::kLost);
    EXPECT_EQ(lost.details().signal, SIGABRT);

    // The replacement is there at once, and it is still the same process
    // once it has said hello: it was not killed and spawned again.
    std::set<std::uint32_t> after = ListedWorkers(client);
    ASSERT_EQ(after.size(), 2u) << "round " << round << "\n" << tqd.Log();
    std::vector<std::uint32_t> fresh;
    std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                        std::back_inserter(fresh));
    ASSERT_EQ(fresh.size(), 1u) << tqd.Log();
    ASSERT_TRUE(WaitFor([&] {
      const auto workers = client.workers();
      return std::all_of(workers.begin(), workers.end(),
                         [](const WorkerStatus& w) { return w.state == "idle"; });
    })) << tqd.Log();
    EXPECT_EQ(ListedWorkers(client), after) << "round " << round << "\n" << tqd.Log();
    EXPECT_TRUE(testing::ProcessAlive(static_cast<pid_t>(fresh[0])));
  }
  const std::string log = tqd.Log();
  EXPECT_EQ(log.find("exited with code 0"), std::string::npos) << log;
  EXPECT_EQ(log.find("respawning in"), std::string::npos) << log;
}

TEST(RespawnTest, AfterABurstOfCrashesThePoolIsWholeWithoutBackoff) {
  TqdProcess tqd(Tqd(2));
  Client client(tqd.endpoint());
  for (int i = 0; i < 30; ++i) {
    RemoteError e = testing::ExpectRemoteError([&] { client.apply<bool>("crash"); });
    ASSERT_EQ(e.state(), TaskState::kLost) << e.what();
    // The replacement is spawned in the loop turn that reaped the crash,
    // before the lost result goes out: by the time it arrives the pool is
    // at full size, with no slot waiting out a backoff.
    ASSERT_EQ(ListedWorkers(client).size(), 2u) << "after crash " << i << "\n"
                                                << tqd.Log();
  }
  const auto last = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] {
    const auto workers = client.workers();
    return workers.size() == 2 &&
           std::all_of(workers.begin(), workers.end(),
                       [](const WorkerStatus& w) { return w.state == "idle"; });
  })) << tqd.Log();
  // How long the last replacement took to say hello: reported, not
  // asserted (it is process start-up time on a noisy machine).
  std::printf("pool idle again %lld ms after the last crash\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - last)
                                         .count()));
  const std::string log = tqd.Log();
  EXPECT_EQ(log.find("exited with code 0"), std::string::npos) << log;
  EXPECT_EQ(log.find("respawning in"), std::string::npos) << log;
  EXPECT_EQ(client.apply<int>("count", tqd.dir().File("counter")), 1);
}

}  // namespace
}  // namespace tq
