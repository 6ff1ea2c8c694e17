// CallState, the state a RawResult handle and the I/O thread share, and
// the RawResult methods over it: pure logic, no socket, no tqd.
#include "call_state.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "testing/wait_for.h"

namespace tq::detail {
namespace {

using namespace std::chrono_literals;

Outcome ValueOutcome(std::uint64_t task_id = 0) {
  Outcome o;
  o.kind = Outcome::Kind::kValue;
  o.state = TaskState::kDone;
  o.task_id = task_id;
  o.value = "\x2a";  // msgpack 42
  return o;
}

Outcome Failure(std::string message) {
  Outcome o;
  o.kind = Outcome::Kind::kConnection;
  o.message = std::move(message);
  return o;
}

// Records what RawResult::cancel and forget ask of the client.
class FakeOwner : public CallOwner {
 public:
  void CancelCall(const std::shared_ptr<CallState>& call) override {
    ++cancels;
    last = call;
  }
  void ForgetCall(const std::shared_ptr<CallState>& call) override {
    ++forgets;
    last = call;
  }
  int cancels = 0;
  int forgets = 0;
  std::shared_ptr<CallState> last;
};

TEST(CallStateTest, CompleteEndsTheCallOnceAndKeepsTheFirstOutcome) {
  auto call = std::make_shared<CallState>();
  RawResult result(call);
  EXPECT_FALSE(result.ready());
  call->Complete(ValueOutcome(7));
  call->Complete(Failure("too late"));  // e.g. a disconnect after the result
  ASSERT_TRUE(result.ready());
  EXPECT_TRUE(result.outcome().ok());
  EXPECT_EQ(result.outcome().task_id, 7u);
  EXPECT_EQ(result.outcome().value, "\x2a");
}

TEST(CallStateTest, AnOutcomeWithoutAnIdTakesTheOneAcceptedEarlier) {
  auto call = std::make_shared<CallState>();
  call->task_id = 12;  // ACCEPTED
  call->Complete(Failure("lost the connection"));
  EXPECT_EQ(RawResult(call).outcome().task_id, 12u);
}

TEST(CallStateTest, CompleteWakesAWaiterOnAnotherThread) {
  auto call = std::make_shared<CallState>();
  RawResult result(call);
  EXPECT_FALSE(result.wait_for(1ms));
  std::thread io([call] { call->Complete(ValueOutcome(3)); });
  result.wait();
  io.join();
  EXPECT_TRUE(result.wait_for(0ms));
  EXPECT_EQ(result.outcome().task_id, 3u);
}

TEST(CallStateTest, CompletePushesTheTagIntoTheCompletionQueue) {
  auto queue = std::make_shared<CompletionQueue>();
  auto a = std::make_shared<CallState>();
  auto b = std::make_shared<CallState>();
  a->queue = b->queue = queue;
  a->tag = 4;
  b->tag = 9;
  b->Complete(ValueOutcome());
  a->Complete(ValueOutcome());
  a->Complete(ValueOutcome());  // no second push
  EXPECT_EQ(queue->Pop(), 9u);
  EXPECT_EQ(queue->Pop(), 4u);
  queue->Push(1);
  EXPECT_EQ(queue->Pop(), 1u);
}

TEST(CallStateTest, CompleteGivesBackTheInFlightSlotOnce) {
  auto limit = std::make_shared<InFlightLimit>(1);
  limit->Acquire();
  auto call = std::make_shared<CallState>();
  call->slot = limit;
  EXPECT_EQ(limit->held(), 1u);
  call->Complete(Failure("client closed"));
  call->Complete(Failure("again"));
  EXPECT_EQ(limit->held(), 0u);
}

TEST(CallStateTest, CallbacksRunOnTheCallbackThreadOnceTheCallEnds) {
  auto runner = std::make_shared<CallbackRunner>(nullptr);
  auto call = std::make_shared<CallState>();
  call->runner = runner;
  RawResult result(call);
  std::atomic<int> ran{0};
  std::atomic<bool> on_other_thread{false};
  const auto me = std::this_thread::get_id();
  result.on_done([&] {
    on_other_thread = std::this_thread::get_id() != me;
    ++ran;
  });
  EXPECT_EQ(ran.load(), 0);
  call->Complete(ValueOutcome());
  ASSERT_TRUE(testing::WaitFor([&] { return ran.load() == 1; }));
  EXPECT_TRUE(on_other_thread.load());
  // Registered after the end: runs too, once.
  result.on_done([&] { ++ran; });
  ASSERT_TRUE(testing::WaitFor([&] { return ran.load() == 2; }));
}

TEST(CallStateTest, CallbacksRunInlineWhenTheClientIsGone) {
  auto call = std::make_shared<CallState>();
  {
    auto runner = std::make_shared<CallbackRunner>(nullptr);
    call->runner = runner;
  }  // the client, and its callback thread, are gone
  int ran = 0;
  RawResult(call).on_done([&] { ++ran; });
  call->Complete(Failure("client closed"));
  EXPECT_EQ(ran, 1);
}

TEST(CallStateTest, ProgressIsKeptAndPassedOnUntilTheCallEnds) {
  auto runner = std::make_shared<CallbackRunner>(nullptr);
  auto call = std::make_shared<CallState>();
  call->runner = runner;
  RawResult result(call);
  EXPECT_FALSE(result.progress());
  std::atomic<int> reports{0};
  result.on_progress([&](const Progress& p) {
    EXPECT_EQ(p.message, "half");
    ++reports;
  });
  call->Report(Progress{5, 10, "half"});
  ASSERT_TRUE(result.progress());
  EXPECT_EQ(result.progress()->done, 5);
  ASSERT_TRUE(testing::WaitFor([&] { return reports.load() == 1; }));
  call->Complete(ValueOutcome());
  call->Report(Progress{10, 10, "late"});  // after the end: dropped
  EXPECT_EQ(result.progress()->message, "half");
}

TEST(CallStateTest, WaitAcceptedReturnsTheIdOrZeroIfTheCallEndedWithoutOne) {
  auto accepted = std::make_shared<CallState>();
  std::thread io([accepted] {
    {
      std::lock_guard lock(accepted->mu);
      accepted->task_id = 21;
    }
    accepted->cv.notify_all();
  });
  EXPECT_EQ(RawResult(accepted).wait_accepted(), 21u);
  io.join();
  EXPECT_FALSE(RawResult(accepted).ready());

  auto refused = std::make_shared<CallState>();
  refused->Complete(Failure("UNKNOWN_FUNCTION"));
  EXPECT_EQ(RawResult(refused).wait_accepted(), 0u);
}

TEST(CallStateTest, CancelAsksTheOwnerOnlyWhileTheCallRunsAndTheOwnerLives) {
  auto owner = std::make_shared<FakeOwner>();
  auto call = std::make_shared<CallState>();
  call->owner = owner;
  RawResult result(call);
  EXPECT_TRUE(result.cancel());
  EXPECT_EQ(owner->cancels, 1);
  EXPECT_EQ(owner->last, call);
  call->Complete(Failure("cancelled"));
  EXPECT_FALSE(result.cancel());  // ended: nothing to cancel
  EXPECT_EQ(owner->cancels, 1);

  auto orphan = std::make_shared<CallState>();
  {
    auto gone = std::make_shared<FakeOwner>();
    orphan->owner = gone;
  }
  EXPECT_FALSE(RawResult(orphan).cancel());
}

TEST(CallStateTest, AnAckLessCallIsNotCancelledAndLearnsItsIdFromItsResult) {
  auto owner = std::make_shared<FakeOwner>();
  auto call = std::make_shared<CallState>();
  call->owner = owner;
  call->ack_less = true;
  RawResult result(call);
  EXPECT_FALSE(result.cancel());  // nothing names its task yet
  EXPECT_EQ(owner->cancels, 0);
  EXPECT_EQ(result.task_id(), 0u);
  std::thread io([call] { call->Complete(ValueOutcome(33)); });
  EXPECT_EQ(result.wait_accepted(), 33u);  // waits for the result
  io.join();
  EXPECT_EQ(result.task_id(), 33u);

  // Sent again acknowledged (a tqd before `ack`): ACCEPTED names it.
  auto resent = std::make_shared<CallState>();
  resent->owner = owner;
  resent->ack_less = true;
  resent->task_id = 4;
  EXPECT_TRUE(RawResult(resent).cancel());
  EXPECT_EQ(owner->cancels, 1);
}

TEST(InFlightLimitTest, AcquireBlocksWhileEverySlotIsHeld) {
  InFlightLimit limit(2);
  limit.Acquire();
  limit.Acquire();
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    limit.Acquire();
    got = true;
  });
  // It cannot have a slot until one is given back (the only assertion on
  // "not yet" is that it holds: a third slot would make held() 3).
  EXPECT_EQ(limit.held(), 2u);
  EXPECT_FALSE(got.load());
  limit.Release();
  ASSERT_TRUE(testing::WaitFor([&] { return got.load(); }));
  waiter.join();
  EXPECT_EQ(limit.held(), 2u);
}

}  // namespace
}  // namespace tq::detail
