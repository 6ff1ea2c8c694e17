// Session: one agent session with tqd as the agent sees it (PROTOCOL.md
// §10): the hello until tqd welcomes it, the numbering of what each side
// sends, and whether tqd still hears the agent. Pure logic on a Clock, no
// I/O: the agent loop asks it for headers and deadlines and tells it what
// arrived, so the rules are tested with a fake clock.
//
// The states, and what moves between them:
//
//   kGreeting --Welcome--> kOpen --End(why)--> kEnded
//       \____________End(why)____________________/^
//
//   kGreeting: the hello (seq 1) is repeated every hello interval until
//              an AgentWelcome of this session arrives.
//   kOpen:     the agent beats every beat_ms; each beat's seq and send time
//              is kept until tqd acknowledges it (DaemonBeat's ack).
//   kEnded:    final; the agent stops its workers and draws a new Session.
//
// Why "no acknowledged beat for deadline/2" ends the session: a beat that
// tqd acknowledged was received, so tqd's own deadline (deadline_ms after
// the last message it got) runs from no earlier than that beat was sent.
// Stopping the workers half a deadline after it means they are gone before
// tqd gives up on them and runs their tasks elsewhere.
//
// Not thread-safe; the clock must outlive the session.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "tq/proto/messages.h"

namespace tq::agent {

class Session {
 public:
  enum class Phase { kGreeting, kOpen, kEnded };
  // What the agent does with a message it received.
  enum class Verdict {
    kAccept,  // act on it
    kIgnore,  // of another session: drop it
    kEnded,   // it ended the session (a gap, or no welcome first): drop it
  };
  // How a received message counts for the numbering.
  enum class Kind { kWelcome, kSessionEnd, kOther };

  // How often the hello is repeated until tqd welcomes it.
  static constexpr std::chrono::milliseconds kHelloInterval{1000};
  static constexpr std::chrono::milliseconds kHelloRetry{100};

  // `id` must be nonzero (NewSessionId()). The first hello goes `delay`
  // from now (a backoff after sessions tqd ended at once).
  Session(const base::Clock& clock, std::uint64_t id, base::Duration delay = {});

  std::uint64_t id() const { return id_; }
  Phase phase() const { return phase_; }
  // tqd welcomed it (it may have ended since).
  bool welcomed() const { return welcomed_; }
  // Why it ended; "" until then.
  const std::string& end_reason() const { return end_reason_; }
  std::chrono::milliseconds beat() const { return beat_; }
  std::chrono::milliseconds deadline() const { return deadline_; }
  // The highest seq received from tqd: AgentBeat's ack.
  std::uint64_t received() const { return received_; }

  // kGreeting: whether a hello is due now: at once, then every
  // kHelloInterval, or kHelloRetry after one that could not be sent (no
  // connection yet). Hello() is its header, always seq 1: a repeat is the
  // same message. HelloSent() records the attempt.
  bool HelloDue() const;
  proto::AgentHeader Hello() const { return {id_, 1}; }
  void HelloSent(bool delivered);

  // kOpen: the header of the next message sent (seq 2, 3, ...).
  proto::AgentHeader Next();
  // kOpen: whether a beat is due (at once on the welcome, then every
  // beat_ms). BeatSent() numbers it like Next() and remembers it until
  // acknowledged.
  bool BeatDue() const;
  proto::AgentHeader BeatSent();

  // Checks a received message's header. A message of another session is
  // ignored; SessionEnd of this one is accepted whatever its seq (tqd
  // sends seq 0 for a session it does not know); any other message must
  // be the next in order (seq == received() + 1), and the first one must
  // be the welcome, else the session ends.
  Verdict Receive(const proto::AgentHeader& header, Kind kind);
  // The accepted AgentWelcome's terms: kGreeting -> kOpen. Zero values are
  // a broken welcome and end the session.
  void Welcome(std::chrono::milliseconds beat, std::chrono::milliseconds deadline);
  // tqd has received everything up to seq `ack` (DaemonBeat).
  void Acknowledged(std::uint64_t ack);
  // Ends the session (no-op once ended).
  void End(std::string why);
  // Ends the session if it is open and no beat has been acknowledged for
  // deadline/2. True if it is (now) ended.
  bool CheckLiveness();

  // When something is next due (a hello, a beat, the liveness limit);
  // TimePoint::max() once ended.
  base::TimePoint NextDue() const;

 private:
  struct SentBeat {
    std::uint64_t seq;
    base::TimePoint at;
  };
  const base::Clock& clock_;
  const std::uint64_t id_;
  Phase phase_ = Phase::kGreeting;
  bool welcomed_ = false;
  std::string end_reason_;
  std::chrono::milliseconds beat_{0};
  std::chrono::milliseconds deadline_{0};
  std::uint64_t sent_ = 0;            // the last seq sent (the hello is 1)
  std::uint64_t received_ = 0;        // the last seq received
  base::TimePoint next_hello_{};      // kGreeting: when one is due
  base::TimePoint last_delivered_{};  // the last hello that went out
  base::TimePoint next_beat_{};
  // Since when tqd is known to have heard us: the send time of the newest
  // acknowledged beat (of the last hello sent, at the welcome).
  base::TimePoint heard_since_{};
  std::deque<SentBeat> unacked_;  // beats in seq order
};

// A random nonzero session id (getrandom).
std::uint64_t NewSessionId();

}  // namespace tq::agent
