// Decoding a client message and handing it to its handler.
#include <variant>

#include "supervisor.h"

namespace tq::daemon {

void Supervisor::HandleMessage(const Incoming& in) {
  const std::string_view client(static_cast<const char*>(in.identity.data()),
                                in.identity.size());
  if (in.extra_frames) {
    SendError(client, 0,
              {proto::ErrorCode::kMalformed,
               "a message must be exactly one frame after the envelope"});
    return;
  }
  const std::string_view frame(static_cast<const char*>(in.payload.data()),
                               in.payload.size());
  auto message = decoder_.DecodeClient(frame);
  if (!message.ok()) {
    SendError(client, decoder_.last_request_id(), message.status());
    return;
  }
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, proto::SubmitRequest>) {
          HandleSubmit(client, m);
        } else if constexpr (std::is_same_v<M, proto::PingRequest>) {
          HandlePing(client, m);
        } else if constexpr (std::is_same_v<M, proto::TaskRequest>) {
          HandleTaskRequest(client, m);
        } else {
          HandleList(client, m);
        }
      },
      *message);
}

}  // namespace tq::daemon
