// Decoding a client message and handing it to its handler.
#include <array>
#include <variant>

#include "supervisor.h"

namespace tq::daemon {
namespace {

using Handler = void (*)(Supervisor&, std::string_view client, const proto::ClientMessage&);

// A handler of one request type, called through the table below.
template <typename M, void (Supervisor::*kHandle)(std::string_view, const M&)>
void Call(Supervisor& s, std::string_view client, const proto::ClientMessage& m) {
  (s.*kHandle)(client, std::get<M>(m));
}

struct Route {
  proto::RequestKind kind;
  Handler handle;
};

// One route per proto::RequestKind, in its order.
template <std::size_t N>
constexpr bool CoversEveryKindInOrder(const std::array<Route, N>& routes) {
  for (std::size_t i = 0; i < N; ++i) {
    if (static_cast<std::size_t>(routes[i].kind) != i) return false;
  }
  return N == proto::kRequestKinds;
}

}  // namespace

void Supervisor::HandleMessage(const Incoming& in) {
  using proto::RequestKind;
  // Formed here, where the handlers are accessible.
  static constexpr std::array<Route, proto::kRequestKinds> kRoutes{{
      {RequestKind::kSubmit, Call<proto::SubmitRequest, &Supervisor::HandleSubmit>},
      {RequestKind::kPing, Call<proto::PingRequest, &Supervisor::HandlePing>},
      {RequestKind::kCancel, Call<proto::TaskRequest, &Supervisor::HandleTaskRequest>},
      {RequestKind::kKick, Call<proto::TaskRequest, &Supervisor::HandleTaskRequest>},
      {RequestKind::kStatus, Call<proto::TaskRequest, &Supervisor::HandleTaskRequest>},
      {RequestKind::kWait, Call<proto::TaskRequest, &Supervisor::HandleTaskRequest>},
      {RequestKind::kWorkers, Call<proto::ListRequest, &Supervisor::HandleList>},
      {RequestKind::kStats, Call<proto::ListRequest, &Supervisor::HandleList>},
      {RequestKind::kFunctions, Call<proto::ListRequest, &Supervisor::HandleList>},
      {RequestKind::kUnwait, Call<proto::UnwaitRequest, &Supervisor::HandleUnwait>},
      {RequestKind::kMetrics, Call<proto::ListRequest, &Supervisor::HandleList>},
      {RequestKind::kJob, Call<proto::JobRequest, &Supervisor::HandleJob>},
      {RequestKind::kDict, Call<proto::ObjectRequest, &Supervisor::HandleObject>},
      {RequestKind::kList, Call<proto::ObjectRequest, &Supervisor::HandleObject>},
      {RequestKind::kQueue, Call<proto::ObjectRequest, &Supervisor::HandleObject>},
      {RequestKind::kLock, Call<proto::ObjectRequest, &Supervisor::HandleObject>},
      {RequestKind::kSemaphore, Call<proto::ObjectRequest, &Supervisor::HandleObject>},
      {RequestKind::kEvent, Call<proto::ObjectRequest, &Supervisor::HandleObject>},
      {RequestKind::kPipe, Call<proto::PipeMessage, &Supervisor::HandlePipe>},
      {RequestKind::kPipeClose, Call<proto::PipeMessage, &Supervisor::HandlePipe>},
  }};
  static_assert(CoversEveryKindInOrder(kRoutes), "one route per proto::RequestKind, in order");

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
  sender_ = in.peer;
  incoming_ = &in;  // for WatchCaller
  kRoutes[static_cast<std::size_t>(proto::KindOf(*message))].handle(*this, client, *message);
  incoming_ = nullptr;
}

}  // namespace tq::daemon
