// ListObject: a named list (Manager().list()) of msgpack values.
// Operations: append, extend, get and set by index (negative from the
// end, as in Python), slice [index, stop) with Python's clamping (a reply
// holds at most kMaxObjectItems values; `size` tells the caller whether
// to ask for the rest), size, clear.
#pragma once

#include <string>
#include <vector>

#include "object.h"

namespace tq::daemon::objects {

class ListObject final : public Object {
 public:
  explicit ListObject(std::string name) : Object(proto::ObjectType::kList, std::move(name)) {}

  void Handle(Context& ctx, const proto::ObjectRequest& r) override;
  bool Idle() const override { return items_.empty(); }

 private:
  // The position `index` names, or nullopt (answered NOT_FOUND) if none.
  std::optional<std::size_t> At(Context& ctx, std::int64_t index);
  void Slice(Context& ctx, const proto::ObjectRequest& r);

  std::vector<std::string> items_;
};

}  // namespace tq::daemon::objects
