// DictObject: a named dict (Manager().dict()): msgpack keys to msgpack
// values, in insertion order as Python's dicts keep it. Keys compare as
// bytes. Operations: get, set, setdefault (set if absent), del, incr (an
// integer value, a missing key counting as 0), cas (compare-and-set:
// integers compare as numbers, anything else as bytes), keys and items
// (in pages, by cursor), size, update (many at once), clear.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>

#include "object.h"

namespace tq::daemon::objects {

class DictObject final : public Object {
 public:
  explicit DictObject(std::string name) : Object(proto::ObjectType::kDict, std::move(name)) {}

  void Handle(Context& ctx, const proto::ObjectRequest& r) override;
  bool Idle() const override { return entries_.empty(); }

 private:
  struct Entry {
    std::string value;
    std::uint64_t seq = 0;  // insertion order: order_'s key
  };
  using Entries = std::unordered_map<std::string, Entry>;

  static std::size_t Cost(std::string_view key, std::string_view value) {
    return key.size() + value.size() + kEntryOverhead;
  }
  // Sets `key` to `value` (keeping its place if it exists), within the
  // limits; false (answered OBJECT_FULL) if it does not fit.
  bool Put(Context& ctx, std::string_view key, std::string value);
  void Erase(Context& ctx, Entries::iterator it);
  void Incr(Context& ctx, const proto::ObjectRequest& r);
  void Cas(Context& ctx, const proto::ObjectRequest& r);
  void List(Context& ctx, const proto::ObjectRequest& r, bool with_values);
  void Update(Context& ctx, const proto::ObjectRequest& r);

  Entries entries_;
  std::map<std::uint64_t, const std::string*> order_;  // seq -> its key in entries_
  std::uint64_t next_seq_ = 1;
};

}  // namespace tq::daemon::objects
