// LockObject.
#include "lock_object.h"

#include <algorithm>

namespace tq::daemon::objects {

using proto::ErrorCode;
using proto::ObjectOp;

void LockObject::Handle(Context& ctx, const proto::ObjectRequest& r) {
  const Owner me = Owner::Of(ctx.caller());
  proto::ObjectReply reply;
  switch (r.op) {
    case ObjectOp::kAcquire:
      if (!holder_) {
        holder_ = me;
        ctx.NoteHolder(*this, me);
        reply.ok = true;
        reply.broken = broken_;
        broken_ = false;
        ctx.Reply(reply);
        return;
      }
      if (*holder_ == me) {
        ctx.Fail(ErrorCode::kWrongState,
                 Describe() + " is already held by this caller (it is not reentrant)");
        return;
      }
      if (r.timeout_ms && *r.timeout_ms == 0) {
        reply.ok = false;
        ctx.Reply(reply);
        return;
      }
      if (const std::optional<WaitId> id = ctx.Park(*this, r)) waiters_.push_back(*id);
      return;
    case ObjectOp::kRelease:
      if (!holder_ || !(*holder_ == me)) {
        ctx.Fail(ErrorCode::kWrongState,
                 Describe() + (holder_ ? " is held by another caller" : " is not held"));
        return;
      }
      ctx.ForgetHolder(*this, *holder_);
      holder_.reset();
      PassOn(ctx, false);
      reply.ok = true;
      ctx.Reply(reply);
      return;
    case ObjectOp::kValue:
      reply.ok = holder_.has_value();
      ctx.Reply(reply);
      return;
    default:
      ctx.Fail(ErrorCode::kInternal, "lock: op " + std::string(proto::ObjectOpName(r.op)));
      return;
  }
}

void LockObject::PassOn(Context& ctx, bool broken) {
  while (!waiters_.empty()) {
    const WaitId id = waiters_.front();
    waiters_.pop_front();
    if (!ctx.Parked(id)) continue;
    const Waiter w = ctx.Take(id);
    holder_ = Owner::Of(w.caller);
    ctx.NoteHolder(*this, *holder_);
    proto::ObjectReply reply;
    reply.ok = true;
    reply.broken = broken;
    ctx.ReplyTo(w.caller, reply);
    return;
  }
  broken_ = broken;
}

void LockObject::Release(Context& ctx, const std::function<bool(const Owner&)>& gone) {
  if (!holder_ || !gone(*holder_)) return;
  ctx.ForgetHolder(*this, *holder_);
  holder_.reset();
  PassOn(ctx, true);
}

void LockObject::TimedOut(Context& ctx, const Waiter& w) {
  ctx.ReplyTo(w.caller, TimedOutReply());
}

void LockObject::Unpark(Context&, WaitId id, const Waiter&) { std::erase(waiters_, id); }

void LockObject::Drop(Context& ctx) {
  FailDropped(ctx, waiters_);
  if (holder_) ctx.ForgetHolder(*this, *holder_);
  holder_.reset();
}

}  // namespace tq::daemon::objects
