// PING: liveness and identity of this tqd.
#include <unistd.h>

#include "supervisor.h"

namespace tq::daemon {

void Supervisor::HandlePing(std::string_view client,
                            const proto::PingRequest& m) {
  reply_.clear();
  proto::Encode(proto::Pong{m.request_id, "tqd " TQ_VERSION,
                            static_cast<std::uint32_t>(::getpid()),
                            static_cast<std::uint32_t>(config_.workers), instance_,
                            started_at_ms_},
                reply_);
  SendReply(client);
}

}  // namespace tq::daemon
