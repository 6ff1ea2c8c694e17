// Session.
#include "session.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "check.h"

namespace tq::agent {

Session::Session(const base::Clock& clock, std::uint64_t id, base::Duration delay)
    : clock_(clock), id_(id), next_hello_(clock.Now() + delay) {}

bool Session::HelloDue() const { return phase_ == Phase::kGreeting && clock_.Now() >= next_hello_; }

void Session::HelloSent(bool delivered) {
  const base::TimePoint now = clock_.Now();
  next_hello_ = now + (delivered ? kHelloInterval : kHelloRetry);
  if (delivered) last_delivered_ = now;
  sent_ = 1;
}

proto::AgentHeader Session::Next() { return {id_, ++sent_}; }

bool Session::BeatDue() const { return phase_ == Phase::kOpen && clock_.Now() >= next_beat_; }

proto::AgentHeader Session::BeatSent() {
  const base::TimePoint now = clock_.Now();
  // From now, not from when it was due: a loop that fell behind beats
  // once, not in a burst.
  next_beat_ = now + beat_;
  const proto::AgentHeader h = Next();
  unacked_.push_back({h.seq, now});
  return h;
}

Session::Verdict Session::Receive(const proto::AgentHeader& header, Kind kind) {
  if (phase_ == Phase::kEnded || header.session != id_) return Verdict::kIgnore;
  if (kind == Kind::kSessionEnd) return Verdict::kAccept;
  if (header.seq != received_ + 1) {
    End("message seq " + std::to_string(header.seq) + " from tqd after seq " +
        std::to_string(received_));
    return Verdict::kEnded;
  }
  if (phase_ == Phase::kGreeting && kind != Kind::kWelcome) {
    End("tqd sent a message before its welcome");
    return Verdict::kEnded;
  }
  if (phase_ == Phase::kOpen && kind == Kind::kWelcome) {
    End("tqd welcomed the session twice");
    return Verdict::kEnded;
  }
  received_ = header.seq;
  return Verdict::kAccept;
}

void Session::Welcome(std::chrono::milliseconds beat, std::chrono::milliseconds deadline) {
  if (phase_ != Phase::kGreeting) return;
  if (beat.count() <= 0 || deadline.count() <= 0) {
    End("tqd's welcome has a zero beat or deadline");
    return;
  }
  phase_ = Phase::kOpen;
  welcomed_ = true;
  beat_ = beat;
  deadline_ = deadline;
  // The welcome answers a hello sent no later than the last one.
  heard_since_ = last_delivered_;
  next_beat_ = clock_.Now();
}

void Session::Acknowledged(std::uint64_t ack) {
  while (!unacked_.empty() && unacked_.front().seq <= ack) {
    heard_since_ = unacked_.front().at;
    unacked_.pop_front();
  }
}

void Session::End(std::string why) {
  if (phase_ == Phase::kEnded) return;
  phase_ = Phase::kEnded;
  end_reason_ = std::move(why);
  unacked_.clear();
}

bool Session::CheckLiveness() {
  if (phase_ == Phase::kOpen && clock_.Now() >= heard_since_ + deadline_ / 2) {
    End("no beat acknowledged by tqd for " + std::to_string((deadline_ / 2).count()) + " ms");
  }
  return phase_ == Phase::kEnded;
}

base::TimePoint Session::NextDue() const {
  switch (phase_) {
    case Phase::kGreeting:
      return next_hello_;
    case Phase::kOpen:
      return std::min(next_beat_, heard_since_ + deadline_ / 2);
    case Phase::kEnded:
      break;
  }
  return base::TimePoint::max();
}

std::uint64_t NewSessionId() {
  for (;;) {
    std::uint64_t id = 0;
    const ssize_t n = ::getrandom(&id, sizeof id, 0);
    if (n == static_cast<ssize_t>(sizeof id) && id != 0) return id;
    TQ_CHECK(n >= 0 || errno == EINTR);
  }
}

}  // namespace tq::agent
