// AgentHub.
#include "agents/agent_hub.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cstring>

#include "tq/keys/curve_keys.h"

namespace tq::daemon {
namespace {

using proto::ErrorCode;

constexpr const char* kMonitorEndpoint = "inproc://tq-agents-monitor";
constexpr const char* kZapDomain = "tq-agents";
// Most agent messages read per loop turn, so clients are not starved.
constexpr int kMaxMessagesPerTurn = 1024;
// Most slots one agent may bring.
constexpr std::uint32_t kMaxSlots = 1024;

// "192.0.2.7:50412" for a connected socket; "" if it cannot be told.
std::string PeerAddress(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return {};
  char host[INET6_ADDRSTRLEN] = {};
  int port = 0;
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
  } else {
    return {};
  }
  return std::string(host) + ":" + std::to_string(port);
}

}  // namespace

proto::Result<std::unique_ptr<AgentHub>> AgentHub::Start(zmq::context_t& context,
                                                         const Config& config,
                                                         WorkerCommand command,
                                                         PoolSettings settings,
                                                         const base::Clock& clock,
                                                         WorkerPool::Listener& listener) {
  std::string secret;
  try {
    secret = keys::ReadSecretKey(config.curve_key);
  } catch (const keys::KeyError& e) {
    return proto::Status(ErrorCode::kConfig, std::string("curve_key: ") + e.what());
  }
  auto allowed = ReadAgentKeys(config.agent_keys);
  if (!allowed.ok()) return allowed.status();
  if (allowed->empty()) {
    spdlog::warn("agent_keys: no *.pub file in {}: no agent can connect", config.agent_keys);
  }
  // Before the ROUTER: a CURVE socket bound without a ZAP handler lets
  // every key in.
  auto zap = ZapHandler::Start(context, *allowed);
  if (!zap.ok()) return zap.status();
  RouterOptions options;
  options.max_message_bytes = config.limits.max_message_bytes;
  options.high_water_mark = 100000;
  options.heartbeat_interval = config.agent_beat;
  options.heartbeat_timeout = config.agent_deadline;
  options.curve_secret_z85 = secret;
  options.zap_domain = kZapDomain;
  auto router = RouterSocket::Bind(context, config.agents, options);
  if (!router.ok()) return router.status();
  try {
    const int events = ZMQ_EVENT_ACCEPTED |
                       ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;
    if (zmq_socket_monitor(router->handle(), kMonitorEndpoint, events) != 0) {
      throw zmq::error_t();
    }
    zmq::socket_t monitor(context, zmq::socket_type::pair);
    monitor.set(zmq::sockopt::rcvhwm, 0);
    monitor.set(zmq::sockopt::linger, 0);
    monitor.connect(kMonitorEndpoint);
    std::unique_ptr<AgentHub> hub(new AgentHub(std::move(*router), std::move(*zap),
                                               std::move(monitor), config, std::move(command),
                                               std::move(settings), clock, listener));
    spdlog::info("listening for agents on {} ({} keys allowed)", hub->endpoint(),
                 hub->zap_.allowed());
    return hub;
  } catch (const zmq::error_t& e) {
    return proto::Status(ErrorCode::kIo, std::string("agent endpoint monitor: ") + e.what());
  }
}

AgentHub::AgentHub(RouterSocket router, ZapHandler zap, zmq::socket_t monitor,
                   const Config& config, WorkerCommand command, PoolSettings settings,
                   const base::Clock& clock, WorkerPool::Listener& listener)
    : zap_(std::move(zap)),
      router_(std::move(router)),
      monitor_(std::move(monitor)),
      beat_(config.agent_beat),
      deadline_(config.agent_deadline),
      agent_keys_(config.agent_keys),
      command_(std::move(command)),
      settings_(std::move(settings)),
      clock_(clock),
      listener_(listener),
      decoder_(config.limits) {}

AgentHub::~AgentHub() = default;

void AgentHub::AppendPollItems(std::vector<zmq::pollitem_t>* out) {
  out->push_back({zap_.handle(), 0, ZMQ_POLLIN, 0});
  out->push_back({router_.handle(), 0, ZMQ_POLLIN, 0});
  out->push_back({monitor_.handle(), 0, ZMQ_POLLIN, 0});
}

void AgentHub::AppendChannelFds(
    std::vector<std::pair<AgentSession*, AgentSession::PollFd>>* out) {
  std::vector<AgentSession::PollFd> fds;
  for (auto& [id, s] : sessions_) {
    fds.clear();
    s->AppendPollFds(&fds);
    for (const auto& fd : fds) out->emplace_back(s.get(), fd);
  }
}

void AgentHub::OnPolled(const zmq::pollitem_t* items) {
  // Handshakes first, so that a refusal is logged before what follows.
  if (items[0].revents & ZMQ_POLLIN) zap_.OnReadable();
  if (items[2].revents & ZMQ_POLLIN) DrainMonitor();
  if (items[1].revents & ZMQ_POLLIN) DrainRouter();
}

void AgentHub::DrainMonitor() {
  for (;;) {
    zmq::message_t event, address;
    try {
      if (!monitor_.recv(event, zmq::recv_flags::dontwait)) return;
      if (event.more()) (void)monitor_.recv(address, zmq::recv_flags::none);
    } catch (const zmq::error_t&) {
      return;
    }
    if (event.size() < 6) continue;
    std::uint16_t what = 0;
    std::uint32_t value = 0;
    std::memcpy(&what, event.data(), 2);
    std::memcpy(&value, static_cast<const char*>(event.data()) + 2, 4);
    const int fd = static_cast<int>(value);
    switch (what) {
      case ZMQ_EVENT_ACCEPTED:
        last_accepted_ = PeerAddress(fd);
        break;
      default: {
        // ZeroMQ does not say which connection failed its handshake, nor
        // its peer: the newest one accepted is named, if its address could
        // still be read (a plaintext peer is often closed before tqd asks).
        ++plaintext_refused_;
        const std::string from = last_accepted_.empty()
                                     ? "a connection whose address was gone before tqd read it"
                                     : last_accepted_;
        spdlog::warn("agent endpoint: refused {}: not a CURVE client with tqd's key "
                     "(handshake failed, ZeroMQ error {:#x})",
                     from, value);
        break;
      }
    }
  }
}

void AgentHub::DrainRouter() {
  Incoming in;
  for (int i = 0; i < kMaxMessagesPerTurn && router_.Receive(&in); ++i) OnMessage(in);
}

void AgentHub::OnMessage(const Incoming& in) {
  const char* user = nullptr;
  try {
    // gets() is not const in cppzmq; it only reads the message's metadata.
    user = const_cast<zmq::message_t&>(in.payload).gets("User-Id");
  } catch (const zmq::error_t&) {
  }
  if (user == nullptr || *user == '\0') {
    ++dropped_;  // cannot happen through ZAP; never trusted
    return;
  }
  const std::string agent(user);
  auto decoded = decoder_.DecodeFromAgent(in.payload.to_string_view());
  if (!decoded.ok()) {
    ++dropped_;
    spdlog::warn("agent {}: bad message: {}", agent, decoded.status().message());
    return;
  }
  const proto::AgentHeader& h =
      std::visit([](const auto& m) -> const proto::AgentHeader& { return m.h; }, *decoded);
  const auto it = sessions_.find(h.session);
  if (it == sessions_.end() || it->second->ended()) {
    if (const auto* hello = std::get_if<proto::AgentHello>(&*decoded);
        hello != nullptr && it == sessions_.end()) {
      Hello(in, agent, *hello);
      return;
    }
    ++dropped_;
    spdlog::debug("agent {}: dropped a message of session {:016x}, which is not live", agent,
                  h.session);
    Refuse(in, h.session, "no such session");
    return;
  }
  AgentSession& s = *it->second;
  if (std::holds_alternative<proto::AgentHello>(*decoded) && h.seq == 1) {
    return;  // an agent says hello until welcomed: the welcome is on its way
  }
  if (s.agent() != agent) {
    // Another key cannot speak for this session, whatever it knows of it.
    ++dropped_;
    spdlog::warn("agent {}: dropped a message of agent {}'s session", agent, s.agent());
    return;
  }
  s.set_route(std::string(in.identity.to_string_view()));
  s.OnMessage(*decoded);
}

void AgentHub::Hello(const Incoming& in, const std::string& agent, const proto::AgentHello& m) {
  if (stopping_) {
    Refuse(in, m.h.session, "tqd is shutting down");
    return;
  }
  if (m.h.seq != 1 || m.slots > kMaxSlots) {
    Refuse(in, m.h.session,
           m.h.seq != 1 ? "a session starts at seq 1" : "more than 1024 slots");
    return;
  }
  AgentSessionParams p{m.h.session, agent, std::string(m.host),
                       static_cast<int>(m.slots), beat_, deadline_};
  auto session = std::make_unique<AgentSession>(
      std::move(p), command_, settings_, clock_, listener_,
      [this](const std::string& route, std::string_view bytes) { return Send(route, bytes); });
  session->set_route(std::string(in.identity.to_string_view()));
  spdlog::info("agent {} on {} connected: session {:016x}, {} slots (tq {})", agent, m.host,
               m.h.session, m.slots, m.version);
  AgentSession& s = *sessions_.emplace(m.h.session, std::move(session)).first->second;
  if (const proto::Status st = s.Start(); !st.ok()) {
    s.End("its workers cannot start: " + st.message(), /*tell_agent=*/true);
  }
}

void AgentHub::Refuse(const Incoming& in, std::uint64_t session, const std::string& why) {
  if (session == 0) return;
  buffer_.clear();
  proto::Encode(proto::SessionEnd{{session, 0}, why}, buffer_);
  (void)Send(std::string(in.identity.to_string_view()), buffer_.view());
}

bool AgentHub::Send(const std::string& route, std::string_view bytes) {
  return router_.Send(route, bytes) == RouterSocket::SendResult::kSent;
}

void AgentHub::RunExpired() {
  for (auto& [id, s] : sessions_) {
    if (s->has_unsent()) s->RetrySends();
    s->RunExpired();
  }
  std::erase_if(sessions_, [](const auto& entry) { return entry.second->finished(); });
}

std::optional<base::TimePoint> AgentHub::NextDeadline() const {
  std::optional<base::TimePoint> next;
  for (const auto& [id, s] : sessions_) {
    auto at = s->NextDeadline();
    // Sends waiting for a full queue or a reconnect are retried soon.
    if (s->has_unsent()) at = std::min(at.value_or(clock_.Now()), clock_.Now() + std::chrono::milliseconds(10));
    if (at && (!next || *at < *next)) next = at;
  }
  return next;
}

void AgentHub::Reload(const Config& config, PoolSettings settings) {
  settings_ = std::move(settings);
  for (auto& [id, s] : sessions_) s->pool().set_settings(settings_);
  auto allowed = ReadAgentKeys(config.agent_keys);
  if (!allowed.ok()) {
    spdlog::error("{}; the allow-list stays as it was", allowed.status().message());
    return;
  }
  zap_.set_allowed(*allowed);
  spdlog::info("agent_keys: {} keys allowed", allowed->size());
}

void AgentHub::BeginShutdown() {
  stopping_ = true;
  for (auto& [id, s] : sessions_) s->BeginShutdown();
}

bool AgentHub::AllExited() const {
  for (const auto& [id, s] : sessions_) {
    if (!s->pool().AllExited()) return false;
  }
  return true;
}

}  // namespace tq::daemon
