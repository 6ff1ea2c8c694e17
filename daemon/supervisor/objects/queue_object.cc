// QueueObject.
#include "queue_object.h"

#include <algorithm>

namespace tq::daemon::objects {
namespace {

using proto::ErrorCode;
using proto::ObjectOp;

std::size_t Cost(std::string_view value) { return value.size() + kEntryOverhead; }

}  // namespace

void QueueObject::Handle(Context& ctx, const proto::ObjectRequest& r) {
  proto::ObjectReply reply;
  switch (r.op) {
    case ObjectOp::kPut: Put(ctx, r); return;
    case ObjectOp::kGet:
    case ObjectOp::kGetMany: Get(ctx, r); return;
    case ObjectOp::kSize:
      reply.size = items_.size();
      ctx.Reply(reply);
      return;
    case ObjectOp::kClear:
      for (const std::string& v : items_) ctx.Shrink(*this, Cost(v));
      items_.clear();
      AdmitPutters(ctx);
      reply.size = items_.size();
      ctx.Reply(reply);
      return;
    default:
      ctx.Fail(ErrorCode::kInternal, "queue: op " + std::string(proto::ObjectOpName(r.op)));
      return;
  }
}

void QueueObject::Put(Context& ctx, const proto::ObjectRequest& r) {
  proto::ObjectReply reply;
  // A parked getter means the queue is empty: the item goes to it.
  while (!getters_.empty()) {
    const WaitId id = getters_.front();
    getters_.pop_front();
    if (!ctx.Parked(id)) continue;
    const Waiter w = ctx.Take(id);
    proto::ObjectReply got;
    if (w.op == ObjectOp::kGetMany) {
      got.values.push_back(r.value);
    } else {
      got.value = r.value;
    }
    ctx.ReplyTo(w.caller, got);
    reply.size = items_.size();
    ctx.Reply(reply);
    return;
  }
  if (!Full()) {
    if (!ctx.Grow(*this, Cost(r.value))) return;
    items_.emplace_back(r.value);
    reply.size = items_.size();
    ctx.Reply(reply);
    return;
  }
  if (r.timeout_ms && *r.timeout_ms == 0) {
    ctx.Fail(ErrorCode::kQueueFull,
             Describe() + " is full (capacity " + std::to_string(capacity_) + ")");
    return;
  }
  // Its item waits with it, and counts against the limits meanwhile.
  if (!ctx.Grow(*this, Cost(r.value))) return;
  const std::optional<WaitId> id = ctx.Park(*this, r, std::string(r.value));
  if (!id) {
    ctx.Shrink(*this, Cost(r.value));
    return;
  }
  putters_.push_back(*id);
}

void QueueObject::Get(Context& ctx, const proto::ObjectRequest& r) {
  if (items_.empty()) {
    if (r.timeout_ms && *r.timeout_ms == 0) {
      proto::ObjectReply reply;
      reply.timed_out = true;
      ctx.Reply(reply);
      return;
    }
    if (const std::optional<WaitId> id = ctx.Park(*this, r)) getters_.push_back(*id);
    return;
  }
  proto::ObjectReply reply;
  std::deque<std::string> taken;
  const std::size_t most = r.op == ObjectOp::kGetMany ? r.count : 1;
  while (!items_.empty() && taken.size() < most) {
    ctx.Shrink(*this, Cost(items_.front()));
    taken.push_back(std::move(items_.front()));
    items_.pop_front();
  }
  if (r.op == ObjectOp::kGetMany) {
    for (const std::string& v : taken) reply.values.push_back(v);
  } else {
    reply.value = taken.front();
  }
  ctx.Reply(reply);
  AdmitPutters(ctx);
}

void QueueObject::AdmitPutters(Context& ctx) {
  while (!Full() && !putters_.empty()) {
    const WaitId id = putters_.front();
    putters_.pop_front();
    if (!ctx.Parked(id)) continue;
    Waiter w = ctx.Take(id);
    items_.push_back(std::move(w.value));  // its bytes were reserved when it parked
    proto::ObjectReply reply;
    reply.size = items_.size();
    ctx.ReplyTo(w.caller, reply);
  }
}

void QueueObject::TimedOut(Context& ctx, const Waiter& w) {
  if (w.op == ObjectOp::kPut) {
    ctx.FailTo(w.caller, {ErrorCode::kQueueFull, Describe() + " stayed full for " +
                                                     std::to_string(w.waited_ms) + " ms"});
    return;
  }
  proto::ObjectReply reply;
  reply.timed_out = true;
  ctx.ReplyTo(w.caller, reply);
}

void QueueObject::Unpark(Context& ctx, WaitId id, const Waiter& w) {
  std::erase(getters_, id);
  std::erase(putters_, id);
  if (w.op == ObjectOp::kPut) ctx.Shrink(*this, Cost(w.value));
}

void QueueObject::Drop(Context& ctx) {
  FailDropped(ctx, getters_);
  FailDropped(ctx, putters_);
}

}  // namespace tq::daemon::objects
