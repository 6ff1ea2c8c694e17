// Chaos: 2,000 tasks of mixed kinds (ok, fail, crash, past their timeout)
// while a helper SIGKILLs random workers. Afterwards every accepted task
// has exactly one final result in a state its kind allows, tqd still
// serves, and no worker process is left behind: no zombie, no orphan.
//
// Counted at the wire (a raw DEALER), so a duplicate RESULT would show.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <variant>

#include "testing/process_stats.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"
#include "tq/proto/codec.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using proto::TaskState;

enum class Kind { kOk, kFail, kCrash, kTimeout, kSleep };

struct Expect {
  Kind kind;
  int results = 0;
  TaskState state = TaskState::kQueued;
};

bool Allowed(Kind kind, TaskState s) {
  // Any task may lose its worker to the killer.
  if (s == TaskState::kLost) return true;
  switch (kind) {
    case Kind::kOk:
    case Kind::kSleep: return s == TaskState::kDone;
    case Kind::kFail: return s == TaskState::kFailed;
    case Kind::kCrash: return false;
    case Kind::kTimeout: return s == TaskState::kTimedOut;
  }
  return false;
}

TEST(ChaosTest, EveryAcceptedTaskEndsExactlyOnceWhileWorkersAreKilled) {
  testing::TqdProcess tqd({.workers = 2, .extra_args = {"--no-capture-stacks"}});
  testing::RawConnection conn(tqd.endpoint());
  // Sanitized workers take far longer to start: fewer tasks, and kills
  // spaced so that a respawned worker gets to run some of them.
  constexpr int kTasks = testing::kSanitizedBuild ? 400 : 2000;
  constexpr auto kKillEvery = testing::kSanitizedBuild ? 500ms : 60ms;
  std::mt19937 rng(20261125);
  std::map<std::uint64_t, Expect> expect;
  proto::Buffer frame;
  for (int i = 1; i <= kTasks; ++i) {
    const int roll = static_cast<int>(rng() % 100);
    proto::SubmitRequest m;
    m.request_id = static_cast<std::uint64_t>(i);
    Kind kind;
    // Crashes and timeouts each cost a worker respawn; they are a tenth of
    // the mix so that the run stays short on a loaded machine.
    if (roll < 45) {
      kind = Kind::kOk, m.fn = "echo", m.args = "\x91\x01";
    } else if (roll < 70) {
      kind = Kind::kFail, m.fn = "fail", m.args = "\x91\xa4" "boom";
    } else if (roll < 75) {
      kind = Kind::kCrash, m.fn = "crash";
    } else if (roll < 80) {
      kind = Kind::kTimeout, m.fn = "sleep", m.args = "\x91\xcd\x03\xe8",  // 1000 ms
      m.timeout_ms = 30;
    } else {
      kind = Kind::kSleep, m.fn = "sleep", m.args = "\x91\x02";  // 2 ms
    }
    expect[m.request_id] = {kind};
    frame.clear();
    proto::Encode(m, frame);
    conn.Send(frame.view());
  }

  // The killer: a random live worker every kKillEvery, while tasks run.
  std::atomic<bool> stop{false};
  std::set<pid_t> seen_workers;
  std::mutex seen_mu;
  int kills = 0;
  std::thread killer([&] {
    std::mt19937 r(7);
    while (!stop) {
      std::vector<pid_t> pids = tqd.WorkerPids();
      {
        std::lock_guard lock(seen_mu);
        seen_workers.insert(pids.begin(), pids.end());
      }
      if (!pids.empty()) {
        ::kill(pids[r() % pids.size()], SIGKILL);
        ++kills;
      }
      std::this_thread::sleep_for(kKillEvery);
    }
  });

  // How long slots stood empty: summed over slots, sampled from /proc
  // (a killed worker counts as gone from its death, a zombie included,
  // until its replacement exists). Reported, not asserted: it is timing.
  std::atomic<long long> empty_slot_us{0}, longest_empty_pool_us{0};
  std::thread sampler([&] {
    auto last = std::chrono::steady_clock::now();
    // When the pool last became empty; the epoch while it is not.
    std::chrono::steady_clock::time_point pool_empty_since{};
    while (!stop) {
      std::this_thread::sleep_for(2ms);
      const auto now = std::chrono::steady_clock::now();
      const auto live = static_cast<long long>(tqd.WorkerPids().size());
      const long long dt =
          std::chrono::duration_cast<std::chrono::microseconds>(now - last).count();
      empty_slot_us += std::max(0LL, 2 - live) * dt;
      const bool was_empty = pool_empty_since != decltype(pool_empty_since){};
      if (live == 0 && !was_empty) pool_empty_since = now;
      if (live > 0 && was_empty) {
        longest_empty_pool_us = std::max<long long>(
            longest_empty_pool_us,
            std::chrono::duration_cast<std::chrono::microseconds>(now - pool_empty_since)
                .count());
        pool_empty_since = {};
      }
      last = now;
    }
  });
  const auto started = std::chrono::steady_clock::now();

  proto::Decoder decoder;
  int accepted = 0, results = 0, other = 0;
  while (results < kTasks) {
    auto reply = conn.Recv(120s);
    if (!reply) break;
    auto m = decoder.DecodeDaemon(*reply);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    if (std::holds_alternative<proto::Accepted>(*m)) {
      ++accepted;
    } else if (auto* r = std::get_if<proto::TaskResult>(&*m)) {
      Expect& e = expect.at(r->request_id);
      ++e.results;
      e.state = r->state;
      ++results;
    } else {
      ++other;
    }
  }
  stop = true;
  killer.join();
  sampler.join();
  const double run_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
          .count();

  std::map<TaskState, int> by_state;
  int wrong = 0, duplicated = 0, missing = 0;
  for (const auto& [req, e] : expect) {
    if (e.results == 0) ++missing;
    if (e.results > 1) ++duplicated;
    if (e.results >= 1 && !Allowed(e.kind, e.state)) ++wrong;
    ++by_state[e.state];
  }
  std::cout << "chaos: " << kTasks << " tasks, " << kills << " workers killed; done "
            << by_state[TaskState::kDone] << ", failed " << by_state[TaskState::kFailed]
            << ", timed_out " << by_state[TaskState::kTimedOut] << ", lost "
            << by_state[TaskState::kLost] << "; slots empty " << empty_slot_us / 1000
            << " ms of " << static_cast<long long>(2 * run_ms)
            << " slot-ms, longest with no worker at all " << longest_empty_pool_us / 1000
            << " ms\n";
  EXPECT_EQ(accepted, kTasks);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(duplicated, 0);
  EXPECT_EQ(wrong, 0);
  EXPECT_GT(kills, 0);

  // Still serving, with a whole pool and no zombie child.
  EXPECT_TRUE(conn.Ping(424242));
  EXPECT_TRUE(testing::WaitFor([&] { return tqd.WorkerPids().size() == 2; }));
  EXPECT_TRUE(testing::WaitFor([&] { return tqd.ZombiePids().empty(); }));
  for (pid_t w : tqd.WorkerPids()) seen_workers.insert(w);
  ASSERT_EQ(tqd.Terminate().code, 0) << tqd.Log();
  for (pid_t w : seen_workers) EXPECT_FALSE(testing::ProcessAlive(w)) << "worker " << w;
}

}  // namespace
}  // namespace tq
