// Decoding a client message and handing it to its handler.
#include <array>
#include <string>
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

std::string_view View(const zmq::message_t& frame) {
  return {static_cast<const char*>(frame.data()), frame.size()};
}

}  // namespace

void Supervisor::HandleMessage(const Incoming& in) {
  const std::string_view client(static_cast<const char*>(in.identity.data()),
                                in.identity.size());
  sender_ = in.peer;
  incoming_ = &in;  // for WatchCaller
  if (in.batch.empty()) {
    HandleRequest(client, View(in.payload), /*in_batch=*/false);
  } else {
    HandleBatch(client, in);
  }
  incoming_ = nullptr;
}

void Supervisor::HandleBatch(std::string_view client, const Incoming& in) {
  // From its first batch on, a client gets its replies in batches too: it
  // has shown it reads them (an older client reads one frame a message).
  // Watched, so that it is forgotten when it goes.
  if (!batching_clients_.contains(std::string(client))) {
    if (!WatchCaller(client)) return;  // its connection is gone already
    batching_clients_.emplace(client);
  }
  const std::size_t count = 1 + in.batch.size();
  std::size_t bytes = in.payload.size();
  for (const zmq::message_t& part : in.batch) bytes += part.size();
  const std::size_t max_bytes = config_.limits.max_message_bytes;
  if (count > proto::kMaxBatchRequests || bytes > max_bytes) {
    // Each request is told, by its req where it can be read, so that no
    // caller waits for an answer that will not come.
    const proto::Status refused(proto::ErrorCode::kTooLarge,
                         "a batch of " + std::to_string(count) + " requests and " +
                             std::to_string(bytes) + " bytes; the limit is " +
                             std::to_string(proto::kMaxBatchRequests) + " requests and " +
                             std::to_string(max_bytes) + " bytes");
    SendError(client, RequestIdOf(View(in.payload)), refused);
    for (const zmq::message_t& part : in.batch) {
      SendError(client, RequestIdOf(View(part)), refused);
    }
    return;
  }
  HandleRequest(client, View(in.payload), /*in_batch=*/true);
  for (const zmq::message_t& part : in.batch) HandleRequest(client, View(part), true);
}

std::uint64_t Supervisor::RequestIdOf(std::string_view frame) {
  auto message = decoder_.DecodeClient(frame);
  if (!message.ok()) return decoder_.last_request_id();
  return std::visit([](const auto& m) { return m.request_id; }, *message);
}

void Supervisor::HandleRequest(std::string_view client, std::string_view frame, bool in_batch) {
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

  auto message = decoder_.DecodeClient(frame);
  if (!message.ok()) {
    SendError(client, decoder_.last_request_id(), message.status());
    return;
  }
  const RequestKind kind = proto::KindOf(*message);
  if (in_batch && !proto::IsBatchable(kind)) {
    SendError(client, std::visit([](const auto& m) { return m.request_id; }, *message),
              {proto::ErrorCode::kNotBatchable,
               "a " + std::string(proto::RequestKindName(kind)) +
                   " may not be in a batch; send it as a message of its own (only submit, "
                   "cancel and unwait may be batched)"});
    return;
  }
  kRoutes[static_cast<std::size_t>(kind)].handle(*this, client, *message);
}

}  // namespace tq::daemon
