// AgentHub: tqd's agent endpoint (README, "Many machines"; PROTOCOL.md §10).
//
// A ROUTER on `agents` (tcp://), CURVE only: tqd's secret key from
// curve_key, and a ZapHandler admitting the public keys in agent_keys. A
// plaintext or unknown peer never gets a message through; both are logged
// with their address. Each agent session (AgentSession) brings a WorkerPool
// of its slots, which the supervisor schedules onto like its own
// (ForEachPool). A message is applied only to the session it names, and
// only if it came with that session's key; anything else (an old
// session's, a replayed one) is dropped and counted, and the sender told
// session_end. Single-threaded, on tqd's loop.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "agents/agent_session.h"
#include "agents/zap_handler.h"
#include "config.h"
#include "router_socket.h"
#include "tq/proto/codec.h"

namespace tq::daemon {

class AgentHub {
 public:
  // Reads the keys and binds the endpoint. `command` and `settings` are
  // those of tqd's own pool (the limits, the start timeout, supervision);
  // `listener` hears every agent pool's reports.
  static proto::Result<std::unique_ptr<AgentHub>> Start(zmq::context_t& context,
                                                        const Config& config,
                                                        WorkerCommand command,
                                                        PoolSettings settings,
                                                        const base::Clock& clock,
                                                        WorkerPool::Listener& listener);
  ~AgentHub();

  // The sockets to poll for reading, appended to `out`; then OnPolled with
  // the same items' revents.
  void AppendPollItems(std::vector<zmq::pollitem_t>* out);
  // Channel pipes to poll, appended to `out`.
  void AppendChannelFds(std::vector<std::pair<AgentSession*, AgentSession::PollFd>>* out);
  void OnPolled(const zmq::pollitem_t* items);
  void RunExpired();
  std::optional<base::TimePoint> NextDeadline() const;

  // Calls f(WorkerPool&) for the pool of every live session.
  template <typename F>
  void ForEachPool(F&& f) {
    for (auto& [id, s] : sessions_) {
      if (!s->ended() || !s->pool().AllExited()) f(s->pool());
    }
  }
  template <typename F>
  void ForEachSession(F&& f) const {
    for (const auto& [id, s] : sessions_) f(static_cast<const AgentSession&>(*s));
  }

  // New settings (SIGHUP) for every session's pool; the allow-list re-read.
  void Reload(const Config& config, PoolSettings settings);
  // tqd is stopping: no new sessions; the live ones retire their workers.
  void BeginShutdown();
  bool AllExited() const;

  std::string endpoint() { return router_.LastEndpoint(); }
  // Messages dropped: of no live session, or not with its key.
  std::uint64_t dropped() const { return dropped_; }
  std::uint64_t refused() const { return zap_.refused() + plaintext_refused_; }

 private:
  AgentHub(RouterSocket router, ZapHandler zap, zmq::socket_t monitor, const Config& config,
           WorkerCommand command, PoolSettings settings, const base::Clock& clock,
           WorkerPool::Listener& listener);

  void DrainRouter();
  void DrainMonitor();
  void OnMessage(const Incoming& in);
  void Hello(const Incoming& in, const std::string& agent, const proto::AgentHello& m);
  // session_end with seq 0, to a sender tqd has no session with.
  void Refuse(const Incoming& in, std::uint64_t session, const std::string& why);
  bool Send(const std::string& route, std::string_view bytes);

  // The ZAP handler first: it must be bound before the ROUTER.
  ZapHandler zap_;
  RouterSocket router_;
  zmq::socket_t monitor_;  // the ROUTER's handshake events
  std::string last_accepted_;  // the newest connection's peer, if it could be read
  base::Duration beat_, deadline_;
  std::string agent_keys_;
  WorkerCommand command_;
  PoolSettings settings_;
  const base::Clock& clock_;
  WorkerPool::Listener& listener_;
  proto::Decoder decoder_;
  proto::Buffer buffer_;
  std::map<std::uint64_t, std::unique_ptr<AgentSession>> sessions_;
  std::uint64_t dropped_ = 0;
  std::uint64_t plaintext_refused_ = 0;
  bool stopping_ = false;
};

}  // namespace tq::daemon
