// ObjectStore, and the Context and Object helpers it backs.
#include "object_store.h"

#include "check.h"
#include "dict_object.h"
#include "event_object.h"
#include "list_object.h"
#include "lock_object.h"
#include "queue_object.h"
#include "semaphore_object.h"

namespace tq::daemon::objects {
namespace {

using proto::ErrorCode;
using proto::ObjectOp;
using proto::ObjectType;

std::unique_ptr<Object> Make(const proto::ObjectRequest& r) {
  std::string name(r.name);
  switch (r.type) {
    case ObjectType::kDict: return std::make_unique<DictObject>(std::move(name));
    case ObjectType::kList: return std::make_unique<ListObject>(std::move(name));
    case ObjectType::kQueue: return std::make_unique<QueueObject>(std::move(name), r.capacity);
    case ObjectType::kLock: return std::make_unique<LockObject>(std::move(name));
    case ObjectType::kSemaphore:
      return std::make_unique<SemaphoreObject>(std::move(name), r.initial);
    case ObjectType::kEvent: return std::make_unique<EventObject>(std::move(name));
  }
  return nullptr;
}

// Ops that leave an object as they found it when it does not exist yet:
// answered as for an empty one, and never refused for the object count.
bool ReadsOnly(ObjectOp op) {
  switch (op) {
    case ObjectOp::kGet: case ObjectOp::kDel: case ObjectOp::kKeys: case ObjectOp::kItems:
    case ObjectOp::kSize: case ObjectOp::kClear: case ObjectOp::kSlice:
    case ObjectOp::kValue: case ObjectOp::kIsSet: case ObjectOp::kRelease:
      return true;
    default:
      return false;
  }
}

}  // namespace

// ---- Context ----------------------------------------------------------------

void Context::ReplyTo(const Caller& to, const proto::ObjectReply& reply) {
  proto::ObjectReply r = reply;
  r.request_id = to.request_id;
  store_.sink_.Reply(to, r);
}

void Context::FailTo(const Caller& to, const proto::Status& error) { store_.sink_.Fail(to, error); }

std::optional<WaitId> Context::Park(Object& object, const proto::ObjectRequest& r,
                                    std::string value) {
  const std::size_t most = store_.limits_.max_waiting_per_client;
  if (store_.waits_.CountFor(caller_.client) >= most) {
    Fail(ErrorCode::kTooManyWaiting,
         "this connection already has " + std::to_string(most) +
             " calls waiting (max_waiting_per_client)");
    return std::nullopt;
  }
  Waiter w;
  w.caller = caller_;
  w.op = r.op;
  w.value = std::move(value);
  w.count = r.count;
  if (r.timeout_ms) {
    w.deadline = now_ + std::chrono::milliseconds(*r.timeout_ms);
    w.waited_ms = *r.timeout_ms;
  }
  w.object = &object;
  return store_.waits_.Add(std::move(w));
}

Waiter Context::Take(WaitId id) { return store_.waits_.Take(id); }

bool Context::Parked(WaitId id) const { return store_.waits_.Contains(id); }

bool Context::Grow(Object& object, std::size_t bytes) {
  const ObjectLimits& l = store_.limits_;
  if (object.bytes_ + bytes > l.max_object_bytes) {
    Fail(ErrorCode::kObjectFull, object.Describe() + " would hold " +
                                     std::to_string(object.bytes_ + bytes) +
                                     " bytes; the limit is " +
                                     std::to_string(l.max_object_bytes) + " (max_object_bytes)");
    return false;
  }
  if (store_.bytes_ + bytes > l.max_store_bytes) {
    Fail(ErrorCode::kObjectFull, "tqd's objects would hold " +
                                     std::to_string(store_.bytes_ + bytes) +
                                     " bytes; the limit is " + std::to_string(l.max_store_bytes) +
                                     " (max_object_store_bytes)");
    return false;
  }
  object.bytes_ += bytes;
  store_.bytes_ += bytes;
  return true;
}

void Context::Shrink(Object& object, std::size_t bytes) {
  TQ_CHECK(object.bytes_ >= bytes && store_.bytes_ >= bytes);
  object.bytes_ -= bytes;
  store_.bytes_ -= bytes;
}

void Context::NoteHolder(Object& object, const Owner& owner) {
  ++store_.held_by_client_[owner.client][&object];
  if (owner.task_id != 0) ++store_.held_by_task_[owner.task_id][&object];
}

void Context::ForgetHolder(Object& object, const Owner& owner) {
  auto forget = [&](auto& index, const auto& key) {
    auto it = index.find(key);
    if (it == index.end()) return;
    auto held = it->second.find(&object);
    if (held != it->second.end() && --held->second == 0) it->second.erase(held);
    if (it->second.empty()) index.erase(it);
  };
  forget(store_.held_by_client_, owner.client);
  if (owner.task_id != 0) forget(store_.held_by_task_, owner.task_id);
}

// ---- Object -----------------------------------------------------------------

std::string Object::Describe() const {
  return std::string(proto::ObjectTypeName(type_)) + " '" + name_ + "'";
}

void Object::FailDropped(Context& ctx, std::deque<WaitId>& waiting) {
  const proto::Status error(proto::ErrorCode::kWrongState, Describe() + " was dropped");
  while (!waiting.empty()) {
    const WaitId id = waiting.front();
    waiting.pop_front();
    if (!ctx.Parked(id)) continue;
    Waiter w = ctx.Take(id);
    Unpark(ctx, id, w);
    ctx.FailTo(w.caller, error);
  }
}

proto::ObjectReply Object::TimedOutReply() {
  proto::ObjectReply reply;
  reply.ok = false;
  reply.timed_out = true;
  return reply;
}

// ---- ObjectStore ------------------------------------------------------------

std::size_t ObjectStore::objects() const {
  std::size_t n = 0;
  for (const Names& names : by_type_) n += names.size();
  return n;
}

void ObjectStore::Handle(const Caller& caller, const proto::ObjectRequest& r,
                         base::TimePoint now) {
  Context ctx(*this, caller, now);
  Names& of_type = names(r.type);
  auto it = of_type.find(r.name);
  if (r.op == ObjectOp::kDrop) {
    proto::ObjectReply reply;
    reply.ok = it != of_type.end();
    if (it != of_type.end()) {
      Object& object = *it->second;
      object.Drop(ctx);
      if (object.bytes() > 0) ctx.Shrink(object, object.bytes());
      of_type.erase(it);
    }
    ctx.Reply(reply);
    return;
  }
  bool created = false;
  if (it == of_type.end()) {
    if (!ReadsOnly(r.op) && objects() >= limits_.max_objects) {
      ctx.Fail(ErrorCode::kObjectFull,
               "tqd holds its most objects, " + std::to_string(limits_.max_objects) +
                   " (max_objects); drop some first");
      return;
    }
    it = of_type.emplace(std::string(r.name), Make(r)).first;
    created = true;
  }
  Object& object = *it->second;
  object.Handle(ctx, r);
  // One made only to answer a read (or a call that failed) is not kept.
  if (created && object.Idle()) {
    TQ_CHECK(object.bytes() == 0);
    of_type.erase(it);
  }
}

void ObjectStore::Unpark(const std::vector<WaitId>& ids, base::TimePoint now,
                         const std::optional<proto::Status>& error) {
  for (WaitId id : ids) {
    if (!waits_.Contains(id)) continue;
    Waiter w = waits_.Take(id);
    Context ctx(*this, w.caller, now);
    w.object->Unpark(ctx, id, w);
    if (error) ctx.FailTo(w.caller, *error);
  }
}

void ObjectStore::RunExpired(base::TimePoint now) {
  for (WaitId id : waits_.Expired(now)) {
    if (!waits_.Contains(id)) continue;  // answered by an earlier one's effects
    Waiter w = waits_.Take(id);
    Context ctx(*this, w.caller, now);
    w.object->Unpark(ctx, id, w);
    w.object->TimedOut(ctx, w);
  }
}

void ObjectStore::ReleaseHeld(std::map<Object*, int> held, const Caller& as,
                              base::TimePoint now,
                              const std::function<bool(const Owner&)>& gone) {
  for (const auto& [object, count] : held) {
    Context ctx(*this, as, now);
    object->Release(ctx, gone);
  }
}

void ObjectStore::ClientGone(std::string_view client, base::TimePoint now) {
  Unpark(waits_.OfClient(client), now, std::nullopt);
  auto it = held_by_client_.find(client);
  if (it == held_by_client_.end()) return;
  const std::string who(client);
  ReleaseHeld(it->second, Caller{who, 0, 0}, now,
              [&](const Owner& o) { return o.client == who; });
}

void ObjectStore::TaskEnded(std::uint64_t task_id, base::TimePoint now) {
  Unpark(waits_.OfTask(task_id), now,
         proto::Status(ErrorCode::kWrongState,
                       "task " + std::to_string(task_id) + " ended while this call waited"));
  auto it = held_by_task_.find(task_id);
  if (it == held_by_task_.end()) return;
  ReleaseHeld(it->second, Caller{"", 0, task_id}, now,
              [&](const Owner& o) { return o.task_id == task_id; });
}

}  // namespace tq::daemon::objects
