// ObjectLimits: the bounds of tqd's object store (settings max_objects,
// max_object_bytes, max_object_store_bytes, max_waiting_per_client).
#pragma once

#include <cstddef>

#include "tq/proto/limits.h"

namespace tq::daemon::objects {

struct ObjectLimits {
  std::size_t max_objects = 10000;                   // of all kinds together
  std::size_t max_object_bytes = 64 * proto::kMiB;   // one object's keys and values
  std::size_t max_store_bytes = 1024 * proto::kMiB;  // all objects'
  std::size_t max_waiting_per_client = 1000;         // parked calls of one connection
};

}  // namespace tq::daemon::objects
