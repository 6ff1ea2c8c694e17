// EventObject.
#include "event_object.h"

#include <algorithm>

namespace tq::daemon::objects {

using proto::ErrorCode;
using proto::ObjectOp;

void EventObject::Handle(Context& ctx, const proto::ObjectRequest& r) {
  proto::ObjectReply reply;
  switch (r.op) {
    case ObjectOp::kSet: {
      set_ = true;
      proto::ObjectReply woken;
      woken.ok = true;
      while (!waiters_.empty()) {
        const WaitId id = waiters_.front();
        waiters_.pop_front();
        if (ctx.Parked(id)) ctx.ReplyTo(ctx.Take(id).caller, woken);
      }
      break;
    }
    case ObjectOp::kClear: set_ = false; break;
    case ObjectOp::kWait:
      if (!set_ && !(r.timeout_ms && *r.timeout_ms == 0)) {
        if (const std::optional<WaitId> id = ctx.Park(*this, r)) waiters_.push_back(*id);
        return;
      }
      break;
    case ObjectOp::kIsSet: break;
    default:
      ctx.Fail(ErrorCode::kInternal, "event: op " + std::string(proto::ObjectOpName(r.op)));
      return;
  }
  reply.ok = set_;
  ctx.Reply(reply);
}

void EventObject::TimedOut(Context& ctx, const Waiter& w) {
  ctx.ReplyTo(w.caller, TimedOutReply());
}

void EventObject::Unpark(Context&, WaitId id, const Waiter&) { std::erase(waiters_, id); }

void EventObject::Drop(Context& ctx) {
  FailDropped(ctx, waiters_);
}

}  // namespace tq::daemon::objects
