// Session: the agent's side of a session's numbering and liveness, on a
// fake clock.
#include "session.h"

#include <gtest/gtest.h>

#include <set>

#include "testing/fake_clock.h"

namespace tq::agent {
namespace {

using namespace std::chrono_literals;
using Kind = Session::Kind;
using Phase = Session::Phase;
using Verdict = Session::Verdict;

constexpr std::uint64_t kId = 0x1234;

proto::AgentHeader From(std::uint64_t seq, std::uint64_t session = kId) { return {session, seq}; }

// Says hello and takes tqd's welcome, its message 1, with these terms.
void Welcome(Session& session, std::chrono::milliseconds beat, std::chrono::milliseconds deadline) {
  session.HelloSent(true);
  EXPECT_EQ(session.Receive(From(1), Kind::kWelcome), Verdict::kAccept);
  session.Welcome(beat, deadline);
}

// A session welcomed with a 100 ms beat and a 1000 ms deadline.
class OpenSessionTest : public ::testing::Test {
 protected:
  OpenSessionTest() { Welcome(session_, 100ms, 1000ms); }
  testing::FakeClock clock_;
  Session session_{clock_, kId};
};

TEST(SessionTest, TheHelloIsSeqOneAndIsRepeatedEverySecondUntilWelcomed) {
  testing::FakeClock clock;
  Session session(clock, kId);
  EXPECT_EQ(session.phase(), Phase::kGreeting);
  ASSERT_TRUE(session.HelloDue());
  EXPECT_EQ(session.Hello().session, kId);
  EXPECT_EQ(session.Hello().seq, 1u);
  session.HelloSent(true);
  EXPECT_FALSE(session.HelloDue());
  EXPECT_EQ(session.NextDue(), clock.Now() + Session::kHelloInterval);
  clock.Advance(Session::kHelloInterval - 1ms);
  EXPECT_FALSE(session.HelloDue());
  clock.Advance(1ms);
  EXPECT_TRUE(session.HelloDue());
  EXPECT_EQ(session.Hello().seq, 1u);  // a repeat is the same message
}

TEST(SessionTest, AHelloThatFoundNoConnectionIsRetriedSoon) {
  testing::FakeClock clock;
  Session session(clock, kId);
  session.HelloSent(false);
  EXPECT_FALSE(session.HelloDue());
  clock.Advance(Session::kHelloRetry);
  EXPECT_TRUE(session.HelloDue());
}

TEST(SessionTest, TheWelcomeOpensItAndLaterMessagesAreNumberedFromTwo) {
  testing::FakeClock clock;
  Session session(clock, kId);
  Welcome(session, 100ms, 1000ms);
  EXPECT_EQ(session.phase(), Phase::kOpen);
  EXPECT_FALSE(session.HelloDue());
  EXPECT_EQ(session.received(), 1u);
  EXPECT_EQ(session.Next().seq, 2u);
  EXPECT_EQ(session.Next().seq, 3u);
  EXPECT_EQ(session.Next().session, kId);
}

TEST(SessionTest, AMessageOtherThanTheWelcomeFirstEndsIt) {
  testing::FakeClock clock;
  Session session(clock, kId);
  session.HelloSent(true);
  EXPECT_EQ(session.Receive(From(1), Kind::kOther), Verdict::kEnded);
  EXPECT_EQ(session.phase(), Phase::kEnded);
  EXPECT_EQ(session.end_reason(), "tqd sent a message before its welcome");
}

TEST(SessionTest, AWelcomeWithoutABeatOrDeadlineEndsIt) {
  testing::FakeClock clock;
  Session session(clock, kId);
  Welcome(session, 0ms, 1000ms);
  EXPECT_EQ(session.phase(), Phase::kEnded);
}

TEST_F(OpenSessionTest, ABeatIsDueAtTheWelcomeAndThenEveryBeatInterval) {
  ASSERT_TRUE(session_.BeatDue());
  EXPECT_EQ(session_.BeatSent().seq, 2u);
  EXPECT_FALSE(session_.BeatDue());
  clock_.Advance(99ms);
  EXPECT_FALSE(session_.BeatDue());
  clock_.Advance(1ms);
  EXPECT_TRUE(session_.BeatDue());
  EXPECT_EQ(session_.BeatSent().seq, 3u);  // numbered with everything else
}

TEST_F(OpenSessionTest, MessagesInOrderAreAcceptedAndTheirSeqIsTheAck) {
  EXPECT_EQ(session_.Receive(From(2), Kind::kOther), Verdict::kAccept);
  EXPECT_EQ(session_.Receive(From(3), Kind::kOther), Verdict::kAccept);
  EXPECT_EQ(session_.received(), 3u);
  EXPECT_EQ(session_.phase(), Phase::kOpen);
}

TEST_F(OpenSessionTest, AGapInTqdsNumberingEndsIt) {
  EXPECT_EQ(session_.Receive(From(3), Kind::kOther), Verdict::kEnded);
  EXPECT_EQ(session_.phase(), Phase::kEnded);
  EXPECT_EQ(session_.end_reason(), "message seq 3 from tqd after seq 1");
}

TEST_F(OpenSessionTest, ARepeatedMessageEndsIt) {
  ASSERT_EQ(session_.Receive(From(2), Kind::kOther), Verdict::kAccept);
  EXPECT_EQ(session_.Receive(From(2), Kind::kOther), Verdict::kEnded);
}

TEST_F(OpenSessionTest, ASecondWelcomeEndsIt) {
  EXPECT_EQ(session_.Receive(From(2), Kind::kWelcome), Verdict::kEnded);
}

TEST_F(OpenSessionTest, MessagesOfAnotherSessionAreIgnored) {
  EXPECT_EQ(session_.Receive(From(5, kId + 1), Kind::kOther), Verdict::kIgnore);
  EXPECT_EQ(session_.Receive(From(0, kId + 1), Kind::kSessionEnd), Verdict::kIgnore);
  EXPECT_EQ(session_.phase(), Phase::kOpen);
  EXPECT_EQ(session_.received(), 1u);
}

TEST_F(OpenSessionTest, SessionEndIsAcceptedWhateverItsSeq) {
  // tqd answers seq 0 for a session it does not know.
  EXPECT_EQ(session_.Receive(From(0), Kind::kSessionEnd), Verdict::kAccept);
}

TEST_F(OpenSessionTest, NothingIsAcceptedOnceItEnded) {
  session_.End("test");
  EXPECT_EQ(session_.Receive(From(2), Kind::kOther), Verdict::kIgnore);
  EXPECT_EQ(session_.NextDue(), base::TimePoint::max());
  EXPECT_FALSE(session_.BeatDue());
}

TEST_F(OpenSessionTest, WithNoBeatAcknowledgedItEndsHalfADeadlineAfterTheHello) {
  session_.BeatSent();
  clock_.Advance(499ms);
  EXPECT_FALSE(session_.CheckLiveness());
  EXPECT_EQ(session_.NextDue(), clock_.Now() - 399ms);  // the beat it missed
  clock_.Advance(1ms);
  EXPECT_TRUE(session_.CheckLiveness());
  EXPECT_EQ(session_.end_reason(), "no beat acknowledged by tqd for 500 ms");
}

TEST_F(OpenSessionTest, AnAcknowledgedBeatCountsFromWhenItWasSentNotWhenTheAckCame) {
  clock_.Advance(100ms);
  const std::uint64_t beat = session_.BeatSent().seq;  // sent at +100 ms
  clock_.Advance(350ms);
  session_.Acknowledged(beat);  // acknowledged at +450 ms
  clock_.Advance(149ms);        // +599 ms: 499 ms after the beat
  EXPECT_FALSE(session_.CheckLiveness());
  clock_.Advance(1ms);
  EXPECT_TRUE(session_.CheckLiveness());
}

TEST_F(OpenSessionTest, AnAckOfALaterMessageAcknowledgesTheBeatsBeforeIt) {
  clock_.Advance(300ms);
  session_.BeatSent();
  const std::uint64_t later = session_.Next().seq;
  session_.Acknowledged(later);
  clock_.Advance(499ms);
  EXPECT_FALSE(session_.CheckLiveness());
}

TEST_F(OpenSessionTest, AnAckOfAnOlderBeatDoesNotCountForANewerOne) {
  const std::uint64_t first = session_.BeatSent().seq;  // at +0
  clock_.Advance(400ms);
  session_.BeatSent();  // at +400 ms, never acknowledged
  session_.Acknowledged(first);
  clock_.Advance(100ms);  // +500 ms: 500 ms after the first
  EXPECT_TRUE(session_.CheckLiveness());
}

TEST_F(OpenSessionTest, NextDueIsTheSoonerOfTheBeatAndTheLivenessLimit) {
  session_.BeatSent();
  EXPECT_EQ(session_.NextDue(), clock_.Now() + 100ms);
  clock_.Advance(450ms);
  session_.BeatSent();  // unacknowledged: the limit stays at +500 ms
  EXPECT_EQ(session_.NextDue(), clock_.Now() + 50ms);
}

TEST(SessionIdTest, IdsAreNonzeroAndDoNotRepeat) {
  std::set<std::uint64_t> ids;
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t id = NewSessionId();
    EXPECT_NE(id, 0u);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

}  // namespace
}  // namespace tq::agent
