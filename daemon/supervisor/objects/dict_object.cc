// DictObject.
#include "dict_object.h"

#include "tq/proto/limits.h"
#include "tq/proto/msgpack_walk.h"

namespace tq::daemon::objects {
namespace {

using proto::ErrorCode;
using proto::ObjectOp;

// Most bytes of keys and values one keys/items reply carries; the rest
// follows from its cursor.
constexpr std::size_t kMaxReplyBytes = 32 * proto::kMiB;

// Equal for cas: the same integer however encoded, else the same bytes.
bool SameValue(std::string_view a, std::string_view b) {
  std::int64_t x = 0, y = 0;
  if (proto::ReadInteger(a, &x) && proto::ReadInteger(b, &y)) return x == y;
  return a == b;
}

}  // namespace

bool DictObject::Put(Context& ctx, std::string_view key, std::string value) {
  auto it = entries_.find(std::string(key));
  if (it == entries_.end()) {
    if (!ctx.Grow(*this, Cost(key, value))) return false;
    it = entries_.emplace(std::string(key), Entry{std::move(value), next_seq_}).first;
    order_.emplace(next_seq_++, &it->first);
    return true;
  }
  std::string& old = it->second.value;
  if (value.size() > old.size()) {
    if (!ctx.Grow(*this, value.size() - old.size())) return false;
  } else {
    ctx.Shrink(*this, old.size() - value.size());
  }
  old = std::move(value);
  return true;
}

void DictObject::Erase(Context& ctx, Entries::iterator it) {
  ctx.Shrink(*this, Cost(it->first, it->second.value));
  order_.erase(it->second.seq);
  entries_.erase(it);
}

void DictObject::Handle(Context& ctx, const proto::ObjectRequest& r) {
  proto::ObjectReply reply;
  switch (r.op) {
    case ObjectOp::kGet: {
      auto it = entries_.find(std::string(r.key));
      if (it != entries_.end()) reply.value = it->second.value;
      ctx.Reply(reply);
      return;
    }
    case ObjectOp::kSet:
      if (Put(ctx, r.key, std::string(r.value))) ctx.Reply(reply);
      return;
    case ObjectOp::kSetDefault: {
      auto it = entries_.find(std::string(r.key));
      if (it != entries_.end()) {
        reply.ok = false;
        reply.value = it->second.value;
        ctx.Reply(reply);
        return;
      }
      if (!Put(ctx, r.key, std::string(r.value))) return;
      reply.ok = true;
      reply.value = r.value;
      ctx.Reply(reply);
      return;
    }
    case ObjectOp::kDel: {
      auto it = entries_.find(std::string(r.key));
      reply.ok = it != entries_.end();
      if (it == entries_.end()) {
        ctx.Reply(reply);
        return;
      }
      const std::string old = std::move(it->second.value);
      it->second.value.clear();
      ctx.Shrink(*this, old.size());  // Erase() counts the value as empty now
      Erase(ctx, it);
      reply.value = old;
      ctx.Reply(reply);
      return;
    }
    case ObjectOp::kIncr: Incr(ctx, r); return;
    case ObjectOp::kCas: Cas(ctx, r); return;
    case ObjectOp::kKeys: List(ctx, r, false); return;
    case ObjectOp::kItems: List(ctx, r, true); return;
    case ObjectOp::kSize:
      reply.size = entries_.size();
      ctx.Reply(reply);
      return;
    case ObjectOp::kUpdate: Update(ctx, r); return;
    case ObjectOp::kClear:
      while (!entries_.empty()) Erase(ctx, entries_.begin());
      ctx.Reply(reply);
      return;
    default:
      ctx.Fail(ErrorCode::kInternal, "dict: op " + std::string(proto::ObjectOpName(r.op)));
      return;
  }
}

void DictObject::Incr(Context& ctx, const proto::ObjectRequest& r) {
  std::int64_t now = 0;
  auto it = entries_.find(std::string(r.key));
  if (it != entries_.end() && !proto::ReadInteger(it->second.value, &now)) {
    ctx.Fail(ErrorCode::kBadValue, Describe() + ": incr of a key whose value is not an integer");
    return;
  }
  std::int64_t next = 0;
  if (__builtin_add_overflow(now, r.by, &next)) {
    ctx.Fail(ErrorCode::kBadValue, Describe() + ": incr would overflow a 64-bit integer");
    return;
  }
  std::string bytes;
  proto::AppendInteger(next, &bytes);
  if (!Put(ctx, r.key, bytes)) return;
  proto::ObjectReply reply;
  reply.value = bytes;
  ctx.Reply(reply);
}

void DictObject::Cas(Context& ctx, const proto::ObjectRequest& r) {
  auto it = entries_.find(std::string(r.key));
  const bool match = r.expect ? it != entries_.end() && SameValue(it->second.value, *r.expect)
                              : it == entries_.end();
  proto::ObjectReply reply;
  reply.ok = match;
  if (!match) {
    // What it holds instead, so the caller can try again from there.
    if (it != entries_.end()) reply.value = it->second.value;
    ctx.Reply(reply);
    return;
  }
  if (!Put(ctx, r.key, std::string(r.value))) return;
  reply.value = r.value;
  ctx.Reply(reply);
}

void DictObject::List(Context& ctx, const proto::ObjectRequest& r, bool with_values) {
  proto::ObjectReply reply;
  std::size_t bytes = 0;
  for (auto it = order_.lower_bound(r.cursor); it != order_.end(); ++it) {
    const std::string& key = *it->second;
    const std::string& value = entries_.find(key)->second.value;
    const std::size_t cost = key.size() + (with_values ? value.size() : 0);
    if (reply.keys.size() == proto::kMaxObjectItems ||
        (!reply.keys.empty() && bytes + cost > kMaxReplyBytes)) {
      reply.cursor = it->first;  // the rest from here
      break;
    }
    bytes += cost;
    reply.keys.push_back(key);
    if (with_values) reply.values.push_back(value);
  }
  reply.size = entries_.size();
  ctx.Reply(reply);
}

void DictObject::Update(Context& ctx, const proto::ObjectRequest& r) {
  // All or nothing: reserve as if every pair were new, then give back
  // what the keys already held took.
  std::size_t needed = 0;
  for (std::size_t i = 0; i < r.keys.size(); ++i) needed += Cost(r.keys[i], r.values[i]);
  if (!ctx.Grow(*this, needed)) return;
  ctx.Shrink(*this, needed);
  for (std::size_t i = 0; i < r.keys.size(); ++i) {
    // Cannot fail: the room was there a moment ago, and this frees some.
    (void)Put(ctx, r.keys[i], std::string(r.values[i]));
  }
  proto::ObjectReply reply;
  reply.size = entries_.size();
  ctx.Reply(reply);
}

}  // namespace tq::daemon::objects
