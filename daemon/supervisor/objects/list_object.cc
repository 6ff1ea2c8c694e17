// ListObject.
#include "list_object.h"

#include <algorithm>

#include "tq/proto/limits.h"

namespace tq::daemon::objects {
namespace {

using proto::ErrorCode;
using proto::ObjectOp;

constexpr std::size_t kMaxReplyBytes = 32 * proto::kMiB;

std::size_t Cost(std::string_view value) { return value.size() + kEntryOverhead; }

}  // namespace

std::optional<std::size_t> ListObject::At(Context& ctx, std::int64_t index) {
  const auto n = static_cast<std::int64_t>(items_.size());
  const std::int64_t at = index < 0 ? index + n : index;
  if (at < 0 || at >= n) {
    ctx.Fail(ErrorCode::kNotFound, Describe() + " has " + std::to_string(n) +
                                       " items; there is no index " + std::to_string(index));
    return std::nullopt;
  }
  return static_cast<std::size_t>(at);
}

void ListObject::Handle(Context& ctx, const proto::ObjectRequest& r) {
  proto::ObjectReply reply;
  switch (r.op) {
    case ObjectOp::kAppend:
      if (!ctx.Grow(*this, Cost(r.value))) return;
      items_.emplace_back(r.value);
      break;
    case ObjectOp::kExtend: {
      std::size_t needed = 0;
      for (std::string_view v : r.values) needed += Cost(v);
      if (!ctx.Grow(*this, needed)) return;
      items_.insert(items_.end(), r.values.begin(), r.values.end());
      break;
    }
    case ObjectOp::kGet: {
      const auto at = At(ctx, r.index);
      if (!at) return;
      reply.value = items_[*at];
      break;
    }
    case ObjectOp::kSet: {
      const auto at = At(ctx, r.index);
      if (!at) return;
      std::string& old = items_[*at];
      if (r.value.size() > old.size()) {
        if (!ctx.Grow(*this, r.value.size() - old.size())) return;
      } else {
        ctx.Shrink(*this, old.size() - r.value.size());
      }
      old.assign(r.value);
      break;
    }
    case ObjectOp::kSlice: Slice(ctx, r); return;
    case ObjectOp::kSize: break;
    case ObjectOp::kClear:
      for (const std::string& v : items_) ctx.Shrink(*this, Cost(v));
      items_.clear();
      break;
    default:
      ctx.Fail(ErrorCode::kInternal, "list: op " + std::string(proto::ObjectOpName(r.op)));
      return;
  }
  reply.size = items_.size();
  ctx.Reply(reply);
}

void ListObject::Slice(Context& ctx, const proto::ObjectRequest& r) {
  // Python's l[index:stop]: negative counts from the end, then both clamp.
  const auto n = static_cast<std::int64_t>(items_.size());
  auto clamp = [n](std::int64_t i) { return std::clamp<std::int64_t>(i < 0 ? i + n : i, 0, n); };
  const std::int64_t from = clamp(r.index);
  const std::int64_t to = r.stop ? clamp(*r.stop) : n;
  proto::ObjectReply reply;
  std::size_t bytes = 0;
  for (std::int64_t i = from; i < to; ++i) {
    const std::string& v = items_[static_cast<std::size_t>(i)];
    if (reply.values.size() == proto::kMaxObjectItems ||
        (!reply.values.empty() && bytes + v.size() > kMaxReplyBytes)) {
      break;  // the caller asks again from index + values.size()
    }
    bytes += v.size();
    reply.values.push_back(v);
  }
  reply.size = items_.size();
  ctx.Reply(reply);
}

}  // namespace tq::daemon::objects
