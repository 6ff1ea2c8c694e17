// What every named object of tqd's object store shares: who calls, who
// holds, the parked requests, and the Context through which an object's
// operation answers its caller, wakes others, parks the caller, and asks
// for the bytes it needs. Pure logic: no sockets, no clock of its own; the
// store (object_store.h) passes the time in.
//
// Objects live in tqd's loop and are touched by it alone: not thread-safe.
// Keys and values are the callers' msgpack bytes, kept as they came; only
// incr and cas read them, as integers (proto/msgpack_walk.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "tq/proto/messages.h"
#include "tq/proto/status.h"
#include "wait_table.h"

namespace tq::daemon::objects {

class Object;
class ObjectStore;

// Who holds a lock or a semaphore's permit: the task that asked, when the
// call named one (so it is released when that task ends), else the
// connection (released when it goes).
struct Owner {
  std::string client;
  std::uint64_t task_id = 0;

  static Owner Of(const Caller& c) { return {c.client, c.task_id}; }
  // The same task, or, for calls made for no task, the same connection.
  bool operator==(const Owner& o) const {
    return task_id != 0 || o.task_id != 0 ? task_id == o.task_id : client == o.client;
  }
};

// Where answers go: the supervisor encodes them and sends them to the
// caller's connection.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  virtual void Reply(const Caller& to, const proto::ObjectReply& reply) = 0;
  virtual void Fail(const Caller& to, const proto::Status& error) = 0;
};

// What an object's operation may do beyond its own state. Made by the
// store for one request or event; `caller` is who made it.
class Context {
 public:
  Context(ObjectStore& store, const Caller& caller, base::TimePoint now)
      : store_(store), caller_(caller), now_(now) {}

  const Caller& caller() const { return caller_; }
  base::TimePoint now() const { return now_; }

  void Reply(const proto::ObjectReply& reply) { ReplyTo(caller_, reply); }
  void ReplyTo(const Caller& to, const proto::ObjectReply& reply);
  void Fail(proto::ErrorCode code, std::string message) { FailTo(caller_, {code, std::move(message)}); }
  void FailTo(const Caller& to, const proto::Status& error);

  // Parks the caller's request `r` on `object` until r.timeout_ms (absent:
  // without limit). `value` is what it holds while it waits (a put's item,
  // whose bytes the caller has already reserved). Returns its id; nullopt
  // if the caller's connection already has its most parked requests: then
  // it has been answered TOO_MANY_WAITING.
  std::optional<WaitId> Park(Object& object, const proto::ObjectRequest& r,
                             std::string value = {});
  // The parked request `id`, taken out of the table (it must be there).
  Waiter Take(WaitId id);
  // Whether `id` is still parked (not timed out, not gone with its client).
  bool Parked(WaitId id) const;

  // Reserves `bytes` more for `object`. False when that would take it, or
  // the store, past its limit: the caller has then been answered
  // OBJECT_FULL and nothing was reserved.
  bool Grow(Object& object, std::size_t bytes);
  void Shrink(Object& object, std::size_t bytes);

  // `owner` now holds `object` (a lock, permits) / no longer does: the
  // store releases what an owner holds when its connection or task ends.
  void NoteHolder(Object& object, const Owner& owner);
  void ForgetHolder(Object& object, const Owner& owner);

 private:
  ObjectStore& store_;
  Caller caller_;
  base::TimePoint now_;
};

class Object {
 public:
  Object(proto::ObjectType type, std::string name) : type_(type), name_(std::move(name)) {}
  virtual ~Object() = default;
  Object(const Object&) = delete;
  Object& operator=(const Object&) = delete;

  // Carries out `r` (of this object's type, not drop) for ctx.caller(),
  // answering it now or parking it.
  virtual void Handle(Context& ctx, const proto::ObjectRequest& r) = 0;
  // Parked request `w` (already out of the table and unparked) ran out of
  // time: answer it.
  virtual void TimedOut(Context&, const Waiter&) {}
  // Forgets parked request `id` (timed out, its client gone or its task
  // ended), giving back what it held.
  virtual void Unpark(Context&, WaitId, const Waiter&) {}
  // Whoever `gone` says has ended: give back what they hold.
  virtual void Release(Context&, const std::function<bool(const Owner&)>& /*gone*/) {}
  // The object is being dropped: answer its parked requests and forget its
  // holders. The store then destroys it.
  virtual void Drop(Context&) {}
  // Holds nothing and nobody waits on it: one made only to answer a read
  // is not kept.
  virtual bool Idle() const = 0;

  proto::ObjectType type() const { return type_; }
  const std::string& name() const { return name_; }
  std::size_t bytes() const { return bytes_; }
  // "dict 'counts'", for sentences.
  std::string Describe() const;

 protected:
  // Answers every request of `waiting` (ids in the table) with
  // WRONG_STATE "<this> was dropped", unparking each: for Drop.
  void FailDropped(Context& ctx, std::deque<WaitId>& waiting);
  // The answer to an acquire or wait whose time ran out: ok false, timed_out.
  static proto::ObjectReply TimedOutReply();

 private:
  friend class Context;
  const proto::ObjectType type_;
  const std::string name_;
  std::size_t bytes_ = 0;  // keys, values and entries, as the limits count them
};

// What one stored key or value costs beyond its bytes, for the limits.
inline constexpr std::size_t kEntryOverhead = 64;

}  // namespace tq::daemon::objects
