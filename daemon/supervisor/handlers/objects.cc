// DICT, LIST, QUEUE, LOCK, SEMAPHORE and EVENT: calls on named objects,
// carried out by the object store (objects/object_store.h), whose answers
// come back through this ReplySink.
#include "supervisor.h"

namespace tq::daemon {

void Supervisor::HandleObject(std::string_view client, const proto::ObjectRequest& m) {
  // A call may park or hold a lock: its connection is watched, and one
  // that is already gone gets nothing (it could never be answered).
  if (!WatchCaller(client)) return;
  objects_.Handle({std::string(client), m.request_id, m.task_id}, m, clock_.Now());
}

void Supervisor::Reply(const objects::Caller& to, const proto::ObjectReply& reply) {
  reply_.clear();
  proto::Encode(reply, reply_);
  SendReply(to.client);
}

void Supervisor::Fail(const objects::Caller& to, const proto::Status& error) {
  SendError(to.client, to.request_id, error);
}

}  // namespace tq::daemon
