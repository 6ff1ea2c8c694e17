// SemaphoreObject.
#include "semaphore_object.h"

#include <algorithm>

namespace tq::daemon::objects {

using proto::ErrorCode;
using proto::ObjectOp;

namespace {
// Far beyond any real count; keeps value_ + permits from overflowing.
constexpr std::uint64_t kMaxValue = std::uint64_t{1} << 40;
}  // namespace

void SemaphoreObject::Grant(Context& ctx, const Owner& owner) {
  --value_;
  for (auto& [who, n] : holders_) {
    if (who == owner) {
      ++n;
      return;
    }
  }
  holders_.emplace_back(owner, 1);
  ctx.NoteHolder(*this, owner);
}

void SemaphoreObject::Handle(Context& ctx, const proto::ObjectRequest& r) {
  const Owner me = Owner::Of(ctx.caller());
  proto::ObjectReply reply;
  switch (r.op) {
    case ObjectOp::kAcquire:
      if (value_ > 0) {
        Grant(ctx, me);
        reply.ok = true;
        reply.size = value_;
        ctx.Reply(reply);
        return;
      }
      if (r.timeout_ms && *r.timeout_ms == 0) {
        reply.ok = false;
        reply.size = value_;
        ctx.Reply(reply);
        return;
      }
      if (const std::optional<WaitId> id = ctx.Park(*this, r)) waiters_.push_back(*id);
      return;
    case ObjectOp::kRelease: {
      if (value_ >= kMaxValue) {
        ctx.Fail(ErrorCode::kWrongState, Describe() + " cannot count higher");
        return;
      }
      auto held = std::find_if(holders_.begin(), holders_.end(),
                               [&](const auto& h) { return h.first == me; });
      if (held != holders_.end() && --held->second == 0) {
        ctx.ForgetHolder(*this, held->first);
        holders_.erase(held);
      }
      ++value_;
      Wake(ctx);
      reply.size = value_;
      ctx.Reply(reply);
      return;
    }
    case ObjectOp::kValue:
      reply.size = value_;
      ctx.Reply(reply);
      return;
    default:
      ctx.Fail(ErrorCode::kInternal, "semaphore: op " + std::string(proto::ObjectOpName(r.op)));
      return;
  }
}

void SemaphoreObject::Wake(Context& ctx) {
  while (value_ > 0 && !waiters_.empty()) {
    const WaitId id = waiters_.front();
    waiters_.pop_front();
    if (!ctx.Parked(id)) continue;
    const Waiter w = ctx.Take(id);
    Grant(ctx, Owner::Of(w.caller));
    proto::ObjectReply reply;
    reply.ok = true;
    reply.size = value_;
    ctx.ReplyTo(w.caller, reply);
  }
}

void SemaphoreObject::Release(Context& ctx, const std::function<bool(const Owner&)>& gone) {
  for (auto it = holders_.begin(); it != holders_.end();) {
    if (!gone(it->first)) {
      ++it;
      continue;
    }
    value_ += it->second;
    ctx.ForgetHolder(*this, it->first);
    it = holders_.erase(it);
  }
  Wake(ctx);
}

void SemaphoreObject::TimedOut(Context& ctx, const Waiter& w) {
  proto::ObjectReply reply = TimedOutReply();
  reply.size = value_;
  ctx.ReplyTo(w.caller, reply);
}

void SemaphoreObject::Unpark(Context&, WaitId id, const Waiter&) { std::erase(waiters_, id); }

void SemaphoreObject::Drop(Context& ctx) {
  FailDropped(ctx, waiters_);
  for (const auto& [owner, n] : holders_) ctx.ForgetHolder(*this, owner);
  holders_.clear();
}

}  // namespace tq::daemon::objects
