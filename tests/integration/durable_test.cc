// Durable tasks against a real tqd that is killed (-9) or stopped and
// started again on the same state directory: what was acknowledged is
// there afterwards, in its order, with its id, key and result, and ran at
// most once.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>
#include <tq/client.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "base/subprocess.h"
#include "testing/remote_error.h"
#include "testing/run_command.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"
#include "testing/tmpfs.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::LibPath;
using testing::Lines;
using testing::TqdOptions;
using testing::TqdProcess;
using testing::WaitFor;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

SubmitOptions Durable(bool durable = true) {
  SubmitOptions o;
  o.durable = durable;
  return o;
}

class DurableTest : public ::testing::Test {
 protected:
  // A tqd on this test's state directory and socket: each one started is
  // "the same" tqd, restarted.
  TqdOptions Options(std::vector<std::string> flags = {}, int workers = 2) {
    TqdOptions o;
    o.workers = workers;
    o.state_dir = state_dir_;
    o.endpoint = endpoint_;
    o.extra_args = {"--plugin", LibPath("libtq_supervision_tasks.so")};
    for (auto& f : flags) o.extra_args.push_back(std::move(f));
    return o;
  }
  std::unique_ptr<TqdProcess> Start(std::vector<std::string> flags = {}, int workers = 2) {
    return std::make_unique<TqdProcess>(Options(std::move(flags), workers));
  }
  // Kill -9: tqd (and then its workers) die with no chance to write
  // anything.
  static void KillNine(std::unique_ptr<TqdProcess>& tqd) { tqd.reset(); }

  testing::TempDir dir_;
  std::string record_ = dir_.File("record");  // what the `record` tasks ran
  std::string state_dir_ = dir_.File("state");
  std::string endpoint_ = "ipc://" + dir_.File("tqd.sock");
};

// ---- kill -9 ---------------------------------------------------------------

TEST_F(DurableTest, KillNineDuringAStreamOfSubmitsLosesNoAcknowledgedTaskAndRunsNoneTwice) {
  constexpr int kKills = 6;
  constexpr int kTasks = 2400;
  std::mt19937 rng(20261201);
  std::map<std::uint64_t, std::string> acked;  // task id -> token
  int next = 0;
  for (int life = 0; life <= kKills && next < kTasks; ++life) {
    auto tqd = Start();
    Client client(endpoint_);
    // This life ends, by kill -9, after a random number of acknowledged
    // submits, with more in flight; the last life submits what is left.
    const int ack_before_kill =
        life < kKills ? std::uniform_int_distribution<int>(150, 450)(rng) : kTasks;
    std::vector<std::pair<std::string, AsyncResult<std::string>>> sent;
    int acked_this_life = 0;
    while (next < kTasks && acked_this_life < ack_before_kill) {
      const std::string token = "t" + std::to_string(next++);
      sent.emplace_back(token, client.apply_async<std::string>(Durable(), "record", record_, token));
      // A window of 50 in flight: count the oldest's acknowledgement.
      if (sent.size() >= 50) {
        auto& [tok, r] = sent[sent.size() - 50];
        if (r.task_id() != 0) {
          acked.emplace(r.task_id(), tok);
          ++acked_this_life;
        }
      }
    }
    if (life < kKills) {
      KillNine(tqd);
      // What was in flight: acknowledged or not, as it happened.
      for (std::size_t i = sent.size() >= 50 ? sent.size() - 49 : 0; i < sent.size(); ++i) {
        if (sent[i].second.raw().task_id() != 0) acked.emplace(sent[i].second.raw().task_id(), sent[i].first);
      }
    } else {
      for (std::size_t i = sent.size() >= 50 ? sent.size() - 49 : 0; i < sent.size(); ++i) {
        if (sent[i].second.task_id() != 0) acked.emplace(sent[i].second.task_id(), sent[i].first);
      }
      for (auto& [tok, r] : sent) r.wait();
    }
  }
  ASSERT_GE(acked.size(), 2000u);

  // One more start: every acknowledged task has one final state.
  auto tqd = Start();
  Client client(endpoint_);
  std::map<std::uint64_t, Outcome> outcomes;
  for (const auto& [id, token] : acked) outcomes[id] = client.raw().Wait(id).outcome();
  // Only now, with every task ended: what ran.
  std::map<std::string, int> ran;
  for (const std::string& token : Lines(record_)) ++ran[token];
  for (const auto& [token, n] : ran) EXPECT_EQ(n, 1) << token << " ran " << n << " times";
  int done = 0, lost_ran = 0, lost_unrun = 0;
  for (const auto& [id, token] : acked) {
    const Outcome& o = outcomes[id];
    if (o.ok()) {
      ++done;
      EXPECT_EQ(ran[token], 1) << "task " << id << " (" << token << ") is done";
      continue;
    }
    // Handed to a worker before a kill, its end not on disk: lost, saying
    // why (no retries asked for). It ran, or was about to.
    ASSERT_EQ(o.kind, Outcome::Kind::kTaskError) << id << ": " << o.message;
    EXPECT_EQ(o.state, TaskState::kLost) << id << ": " << o.message;
    EXPECT_EQ(o.message, "daemon restarted while it was running");
    ++(ran[token] == 1 ? lost_ran : lost_unrun);
  }
  std::printf("[ durable  ] %d kills, %zu acknowledged: %d done, %d lost that ran (their end "
              "not yet on disk), %d lost that had not run yet\n",
              kKills, acked.size(), done, lost_ran, lost_unrun);
  // Not run and lost: only what was on its way into a worker at a kill,
  // never the tasks tqd had merely taken from the queue ahead of them. Per
  // worker that is its next task and the 2 durable tasks it may hold sent
  // ahead (prefetch), which a worker never starts once tqd is gone.
  constexpr int kWorkers = 2, kDurableDepth = 2;
  EXPECT_LE(lost_unrun, kWorkers * (1 + kDurableDepth) * kKills);
}

TEST_F(DurableTest, ATaskRunningWhenTqdDiesIsRequeuedIfItHasRetriesLeft) {
  auto tqd = Start({}, 1);
  Client client(endpoint_);
  SubmitOptions retried = Durable();
  retried.max_retries = 1;
  auto once = client.apply_async<int>(Durable(), "steps", 1, 600000);
  auto again = client.apply_async<int>(retried, "steps", 1, 300);
  const std::uint64_t once_id = once.task_id(), again_id = again.task_id();
  ASSERT_TRUE(WaitFor([&] { return client.raw().Status(once_id).state == TaskState::kRunning; }));
  KillNine(tqd);

  tqd = Start({}, 1);
  Client after(endpoint_);
  const Outcome lost = after.raw().Wait(once_id).outcome();
  EXPECT_EQ(lost.state, TaskState::kLost);
  EXPECT_EQ(lost.message, "daemon restarted while it was running");
  // The second had not started: it runs, first time.
  const Outcome ran = after.raw().Wait(again_id).outcome();
  EXPECT_TRUE(ran.ok()) << ran.message;
  EXPECT_EQ(ran.attempts, 1u);

  // Now one that is running at the kill, with a retry left.
  auto retry = after.apply_async<int>(retried, "steps", 1, 600000);
  const std::uint64_t retry_id = retry.task_id();
  ASSERT_TRUE(WaitFor([&] { return after.raw().Status(retry_id).state == TaskState::kRunning; }));
  KillNine(tqd);
  tqd = Start({}, 1);
  Client third(endpoint_);
  const TaskInfo info = third.raw().Status(retry_id);
  EXPECT_EQ(info.state, TaskState::kRunning);  // its second attempt
  EXPECT_EQ(info.attempts, 2u);
  EXPECT_EQ(third.raw().Cancel(retry_id).state, TaskState::kCancelled);
}

// ---- what comes back -------------------------------------------------------

TEST_F(DurableTest, OrderPriorityDelaysIdsKeysAndResultsSurviveARestart) {
  auto tqd = Start({}, 1);
  std::uint64_t done_id = 0, keyed_id = 0, delayed_id = 0, max_id = 0;
  std::int64_t delayed_ready_ms = 0;
  {
    Client client(endpoint_);
    done_id = client.apply_async<std::string>(Durable(), "record", record_, "before").task_id();
    ASSERT_TRUE(WaitFor([&] { return Lines(record_).size() == 1; }));
    // The one worker is busy; the rest wait in the queue, in this order.
    auto blocker = client.apply_async<int>(Durable(), "steps", 1, 600000);
    const std::uint64_t blocker_id = blocker.task_id();
    ASSERT_TRUE(WaitFor([&] {
      return client.raw().Status(blocker_id).state == TaskState::kRunning;
    }));
    auto submit = [&](const std::string& token, int priority) {
      SubmitOptions o = Durable();
      o.priority = priority;
      return client.apply_async<std::string>(o, "record", record_, token).task_id();
    };
    submit("p0-a", 0);
    submit("p0-b", 0);
    submit("p5-a", 5);
    submit("m1", -1);
    max_id = submit("p5-b", 5);
    SubmitOptions delayed = Durable();
    delayed.delay = 4s;
    delayed.priority = 10;
    delayed_id = client.apply_async<std::string>(delayed, "record", record_, "delayed").task_id();
    delayed_ready_ms = client.raw().Status(delayed_id).queued_at_ms + 4000;
    SubmitOptions keyed = Durable();
    keyed.key = "nightly-report";
    keyed.priority = -5;
    keyed_id = client.apply_async<std::string>(keyed, "record", record_, "keyed").task_id();
    max_id = std::max({max_id, delayed_id, keyed_id});
  }
  KillNine(tqd);

  tqd = Start({}, 1);
  Client client(endpoint_);
  // The result of the task done before the kill.
  EXPECT_EQ(client.raw().Wait(done_id).outcome().value, "\xa6" "before");
  // The key still names its task: a second submit with it joins it.
  SubmitOptions keyed = Durable();
  keyed.key = "nightly-report";
  auto rejoined = client.apply_async<std::string>(keyed, "record", record_, "keyed");
  EXPECT_EQ(rejoined.task_id(), keyed_id);
  // Who submitted it is kept too.
  EXPECT_EQ(client.raw().Status(keyed_id).submitter_uid, static_cast<std::int64_t>(::getuid()));
  EXPECT_EQ(rejoined.get(), "keyed");
  // Ids go on above every id handed out before.
  auto fresh = client.apply_async<std::string>(Durable(false), "record", record_, "fresh");
  EXPECT_GT(fresh.task_id(), max_id);
  fresh.wait();
  ASSERT_TRUE(WaitFor([&] { return Lines(record_).size() == 9; }, 30s)) << ReadAll(record_);
  // Priority first, then FIFO; the delayed one (priority 10) only once its
  // delay, counted from its submit before the kill, was over.
  const std::vector<std::string> order = Lines(record_);
  const std::vector<std::string> queued(order.begin() + 1, order.end());
  auto pos = [&](const std::string& t) {
    return std::find(queued.begin(), queued.end(), t) - queued.begin();
  };
  EXPECT_LT(pos("p5-a"), pos("p5-b"));
  EXPECT_LT(pos("p5-b"), pos("p0-a"));
  EXPECT_LT(pos("p0-a"), pos("p0-b"));
  EXPECT_LT(pos("p0-b"), pos("m1"));
  EXPECT_LT(pos("m1"), pos("keyed"));
  const TaskInfo delayed = client.raw().Status(delayed_id);
  EXPECT_EQ(delayed.state, TaskState::kDone);
  EXPECT_GE(delayed.started_at_ms, delayed_ready_ms);
}

// tqd claims durable tasks ahead of its workers (their start is written
// before a worker frees up). Each task here arrives alone, after the one
// before it was claimed: a claim must still yield to a task of higher
// priority submitted after it.
TEST_F(DurableTest, ATaskClaimedAheadDoesNotRunBeforeAHigherPriorityOneSubmittedAfterIt) {
  auto tqd = Start({}, 1);
  Client client(endpoint_);
  auto blocker = client.apply_async<int>(Durable(), "steps", 1, 600000);
  const std::uint64_t blocker_id = blocker.task_id();
  ASSERT_TRUE(WaitFor([&] {
    return client.raw().Status(blocker_id).state == TaskState::kRunning;
  }));
  std::vector<AsyncResult<std::string>> all;
  for (auto [token, priority] : {std::pair{"p0-a", 0}, {"p5-a", 5}, {"p0-b", 0}, {"p5-b", 5}}) {
    SubmitOptions o = Durable();
    o.priority = priority;
    all.push_back(client.apply_async<std::string>(o, "record", record_, token));
    ASSERT_NE(all.back().task_id(), 0u);  // accepted, so claimed, before the next one
  }
  // Every one of them is still queued, as far as users can tell.
  EXPECT_EQ(client.raw().Stats().queued, 4u);
  client.raw().Cancel(blocker_id);
  for (auto& r : all) r.get(30s);
  EXPECT_EQ(Lines(record_), (std::vector<std::string>{"p5-a", "p5-b", "p0-a", "p0-b"}));
}

TEST_F(DurableTest, ResultsAreKeptForTheirTtlAcrossARestartAndThenDeletedFromDisk) {
  auto tqd = Start({"--result-ttl", "3s"});
  std::uint64_t id = 0;
  {
    Client client(endpoint_);
    id = client.apply_async<std::string>(Durable(), "record", record_, "kept").task_id();
    ASSERT_TRUE(WaitFor([&] { return client.raw().Status(id).state == TaskState::kDone; }));
  }
  KillNine(tqd);
  tqd = Start({"--result-ttl", "3s"});
  Client client(endpoint_);
  EXPECT_EQ(client.raw().Wait(id).outcome().value, "\xa4kept");
  EXPECT_EQ(client.raw().Stats().durable_tasks, 1u);
  // Then it expires: gone from memory and from the store.
  EXPECT_TRUE(WaitFor([&] {
    try {
      client.raw().Status(id);
      return false;
    } catch (const RejectedError& e) {
      return std::string(e.what()).find("no task") != std::string::npos;
    }
  }, 15s));
  EXPECT_TRUE(WaitFor([&] { return client.raw().Stats().durable_tasks == 0; }));
  tqd.reset();
  tqd = Start({"--result-ttl", "3s"});
  Client again(endpoint_);
  EXPECT_THROW(again.raw().Status(id), RejectedError);
  EXPECT_EQ(again.raw().Stats().durable_tasks, 0u);
}

TEST_F(DurableTest, SigtermKeepsQueuedDurableTasksForTheNextStartAndCancelsTheOthers) {
  auto tqd = Start({"--shutdown-grace", "30s"}, 1);
  std::uint64_t kept_id = 0, running_id = 0;
  {
    Client client(endpoint_);
    auto running = client.apply_async<int>(Durable(), "steps", 1, 500);
    running_id = running.task_id();
    ASSERT_TRUE(WaitFor([&] {
      return client.raw().Status(running_id).state == TaskState::kRunning;
    }));
    kept_id = client.apply_async<std::string>(Durable(), "record", record_, "kept").task_id();
    auto dropped = client.apply_async<std::string>(Durable(false), "record", record_, "dropped");
    ASSERT_NE(dropped.task_id(), 0u);
    tqd->Kill(SIGTERM);
    // The running task finishes. Its result is sent just before tqd goes:
    // the client reads it, or, when the disconnect beats it to the client's
    // socket (ZeroMQ drops what was not read yet), says the connection was
    // lost. Either way the result is on disk (below).
    try {
      EXPECT_EQ(running.get(), 1);
    } catch (const ConnectionError& e) {
      EXPECT_NE(std::string(e.what()).find("lost the connection"), std::string::npos) << e.what();
    }
    // The non-durable one is cancelled, or its reply is lost as tqd goes
    // (asked for after tqd went, it would be "no tqd"): never a value.
    EXPECT_ANY_THROW(dropped.get(30s));
  }
  ASSERT_TRUE(WaitFor([&] { return tqd->Exited(); }, 30s));
  const std::string log = tqd->Log();
  EXPECT_NE(log.find("1 durable tasks stay queued for the next start"), std::string::npos) << log;
  tqd = Start({}, 1);
  Client client(endpoint_);
  EXPECT_EQ(client.raw().Wait(running_id).outcome().value, "\x01");
  EXPECT_EQ(client.raw().Wait(kept_id).outcome().value, "\xa4kept");
  EXPECT_EQ(Lines(record_), std::vector<std::string>{"kept"});
}

// ---- a resumable map --------------------------------------------------------

TEST_F(DurableTest, AResumableMapKilledMidwayRunsEveryItemToDoneOnceWhenRunAgain) {
  constexpr int kItems = 120;
  const std::string out = dir_.File("out");
  std::vector<std::string> map = {testing::BinPath("tq"), "--endpoint", endpoint_, "map",
                                  "--name", "photos", "--", "sh", "-c",
                                  "sleep 0.02; echo $1 >> " + out, "_", "{}", ":::"};
  for (int i = 1; i <= kItems; ++i) map.push_back(std::to_string(i));
  auto tqd = Start();
  {
    base::Fd err(::open(dir_.File("err").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    base::SpawnOptions spawn;
    spawn.argv = map;
    spawn.fd_map = {{2, err.get()}};
    auto first = base::Subprocess::Spawn(spawn);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    ASSERT_TRUE(WaitFor([&] { return Lines(out).size() >= 30; }));
    KillNine(tqd);
    EXPECT_NE(first->Wait().code, 0);  // its tqd went away
    const std::string said = ReadAll(dir_.File("err"));
    EXPECT_NE(said.find("run the same command again to run the items of photos that are "
                        "not done"), std::string::npos) << said;
  }
  tqd = Start();
  // What the job came to: the items done, and those lost in the kill.
  const testing::CommandResult before = testing::RunCommand(
      {testing::BinPath("tq"), "--endpoint", endpoint_, "map", "--name", "photos", "--status"});
  std::set<int> lost;
  for (std::size_t at = before.out.find("  item "); at != std::string::npos;
       at = before.out.find("  item ", at + 1)) {
    lost.insert(std::stoi(before.out.substr(at + 7)));
  }
  EXPECT_NE(before.out.find("photos: "), std::string::npos) << before.out;

  const testing::CommandResult again = testing::RunCommand(map);
  EXPECT_EQ(again.code(), 0) << again.err;
  const testing::CommandResult after = testing::RunCommand(
      {testing::BinPath("tq"), "--endpoint", endpoint_, "map", "--name", "photos", "--status"});
  EXPECT_EQ(after.code(), 0) << after.out;
  EXPECT_EQ(after.out, "photos: 120 done, 0 failed, 0 pending (0 queued, 0 running)\n");
  std::map<int, int> runs;
  for (const std::string& line : Lines(out)) ++runs[std::stoi(line)];
  EXPECT_EQ(runs.size(), static_cast<std::size_t>(kItems));
  for (const auto& [item, n] : runs) {
    // An item may have run twice only if the kill caught it between its
    // run and its result reaching the disk: then it was lost, and run again.
    if (n != 1) {
      EXPECT_TRUE(lost.contains(item)) << "item " << item << " ran " << n << " times\n"
                                       << before.out;
    }
    EXPECT_LE(n, 2) << item;
  }
}

// ---- the store refuses to start ---------------------------------------------

class StoreRefusalTest : public DurableTest {
 protected:
  // Starts tqd expecting it to refuse: it exits non-zero, and its log says
  // `why`.
  void ExpectRefusal(const std::string& why) {
    TqdOptions o = Options();
    o.wait_ready = false;
    TqdProcess tqd(o);
    ASSERT_TRUE(WaitFor([&] { return tqd.Exited(); }, 20s)) << tqd.Log();
    const base::ExitStatus status = tqd.Terminate();
    EXPECT_FALSE(status.signaled);
    EXPECT_NE(status.code, 0);
    EXPECT_NE(tqd.Log().find(why), std::string::npos) << tqd.Log();
  }
  std::string db() const { return state_dir_ + "/tq.db"; }
  // A store with one acknowledged task in it.
  std::uint64_t MakeStore() {
    auto tqd = Start();
    Client client(endpoint_);
    const std::uint64_t id =
        client.apply_async<std::string>(Durable(), "record", record_, "one").task_id();
    EXPECT_TRUE(WaitFor([&] { return client.raw().Status(id).state == TaskState::kDone; }));
    return id;
  }
};

TEST_F(StoreRefusalTest, ACorruptStoreStopsTqdNamingTheFile) {
  MakeStore();
  ::unlink((db() + "-wal").c_str());
  ::unlink((db() + "-shm").c_str());
  std::ofstream(db(), std::ios::trunc) << std::string(8192, 'x');
  ExpectRefusal(db() + " is corrupt");
}

TEST_F(StoreRefusalTest, AStoreInUseByAnotherTqdStopsTheSecondAndTheFirstServesOn) {
  const std::uint64_t id = MakeStore();
  auto first = Start();
  TqdOptions o = Options();
  o.wait_ready = false;
  o.endpoint = "ipc://" + dir_.File("second.sock");
  TqdProcess second(o);
  ASSERT_TRUE(WaitFor([&] { return second.Exited(); }, 20s));
  EXPECT_NE(second.Log().find("state directory " + state_dir_ + " is in use by another tqd (pid " +
                              std::to_string(first->pid()) + ")"),
            std::string::npos)
      << second.Log();
  Client client(endpoint_);
  EXPECT_EQ(client.raw().Wait(id).outcome().value, "\xa3one");
}

TEST_F(StoreRefusalTest, AStoreOfANewerSchemaStopsTqd) {
  MakeStore();
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db().c_str(), &handle), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(handle, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(handle);
  ExpectRefusal(db() + " was written by a newer tqd (schema 99");
}

TEST_F(StoreRefusalTest, AReadOnlyStateDirectoryStopsTqd) {
  std::string why;
  auto fs = testing::Tmpfs::Mount(state_dir_, 8 << 20, &why);
  if (!fs) GTEST_SKIP() << why;
  MakeStore();
  ASSERT_TRUE(fs->RemountReadOnly(&why)) << why;
  ExpectRefusal("cannot write " + db());
}

// ---- a full disk -----------------------------------------------------------

TEST_F(DurableTest, AFullDiskRefusesDurableSubmitsWithStoreFailedAndRecoversWhenThereIsRoom) {
  std::string why;
  auto fs = testing::Tmpfs::Mount(state_dir_, 4 << 20, &why);
  if (!fs) GTEST_SKIP() << why;
  auto tqd = Start();
  Client client(endpoint_);
  const std::uint64_t before =
      client.apply_async<std::string>(Durable(), "record", record_, "before").task_id();
  ASSERT_TRUE(WaitFor([&] { return client.raw().Status(before).state == TaskState::kDone; }));
  ASSERT_TRUE(fs->Fill(&why)) << why;
  // Big arguments, so the WAL must grow: the disk is full. (Some may still
  // be accepted, into space the WAL had: they must run once there is room.)
  const std::string big(256 << 10, 'b');
  std::vector<AsyncResult<std::string>> accepted;
  Outcome refused;
  for (int i = 0; i < 40 && refused.kind != Outcome::Kind::kRejected; ++i) {
    auto r = client.apply_async<std::string>(Durable(), "record", dir_.File("big"), big);
    if (r.task_id() != 0) {
      accepted.push_back(r);
    } else {
      refused = r.outcome();
    }
  }
  ASSERT_EQ(refused.kind, Outcome::Kind::kRejected) << "every durable submit was accepted";
  EXPECT_EQ(refused.error_type, "STORE_FAILED") << refused.message;
  EXPECT_NE(refused.message.find("it was not accepted"), std::string::npos) << refused.message;
  // Non-durable work goes on, and tq status says what is wrong.
  EXPECT_EQ(client.apply<std::string>(Durable(false), "record", record_, "meanwhile"),
            "meanwhile");
  EXPECT_NE(client.raw().Stats().store_error, "");
  fs->Unfill();
  EXPECT_TRUE(WaitFor([&] {
    try {
      return client.apply<std::string>(Durable(), "record", record_, "after") == "after";
    } catch (const RejectedError&) {
      return false;
    }
  }));
  EXPECT_TRUE(WaitFor([&] { return client.raw().Stats().store_error.empty(); }));
  for (const auto& r : accepted) EXPECT_EQ(r.get(std::chrono::milliseconds(20000)).size(), big.size());
  const std::string log = tqd->Log();
  EXPECT_NE(log.find("the task store"), std::string::npos) << log;
  // Nothing acknowledged was lost.
  KillNine(tqd);
  tqd = Start();
  Client after(endpoint_);
  EXPECT_EQ(after.raw().Wait(before).outcome().value, "\xa6" "before");
}

TEST_F(DurableTest, StoreMaxSizeRefusesDurableSubmitsPastIt) {
  auto tqd = Start({"--store-max-size", "1MiB"});
  Client client(endpoint_);
  const std::string big(128 << 10, 'b');
  bool refused = false;
  for (int i = 0; i < 40 && !refused; ++i) {
    try {
      client.apply<std::string>(Durable(), "record", dir_.File("big"), big);
    } catch (const RejectedError& e) {
      EXPECT_EQ(e.code(), "STORE_FAILED") << e.what();
      refused = true;
    }
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(client.apply<std::string>(Durable(false), "record", record_, "x"), "x");
}

}  // namespace
}  // namespace tq
