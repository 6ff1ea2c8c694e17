// AgentSession: one session of one worker agent (tq-agent) as tqd holds it.
//
// The agent's slots are a WorkerPool of their own, driven exactly like
// tqd's local pool: the session is that pool's WorkerSpawner, and each
// worker it "spawns" is a channel (PROTOCOL.md §10): the pool writes tasks
// into a local pipe as it would for a local worker; the session reads them
// and sends them to the agent (ch_in), and writes what the agent relays
// from the worker (ch_out) into the pipe the pool reads. Signals, reaping,
// RSS and stack captures are messages too. So timeouts, cancel, retries,
// prefetch, recycling and causes of death need nothing new.
//
// The session numbers what it sends (seq 1, 2...) and checks what it gets:
// a gap, the agent's silence past the deadline, or its goodbye ends it.
// Ending gives up every worker still alive with the reason ("agent HOST
// unreachable"), so their tasks end lost (or are retried, or, when the
// agent left asking for it, go back to the queue). A message of an ended
// session is never applied: its workers are gone with it.
//
// Single-threaded, on tqd's loop. The AgentHub owns sessions and routes
// messages to them.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "tq/proto/buffer.h"
#include "tq/proto/messages.h"
#include "worker_pool.h"

namespace tq::daemon {

struct AgentSessionParams {
  std::uint64_t id = 0;  // the session, as the agent drew it
  std::string agent;     // the name its key has in the allow-list
  std::string host;      // as it said
  int slots = 0;
  base::Duration beat{};
  base::Duration deadline{};
};

class AgentSession final : private WorkerSpawner {
 public:
  // Sends one encoded message to the agent at `route`; false if it could
  // not leave now (its queue is full, or it is between connections): the
  // session keeps it and tries again (RetrySends).
  using Send = std::function<bool(const std::string& route, std::string_view bytes)>;

  AgentSession(AgentSessionParams params, WorkerCommand command, PoolSettings settings,
               const base::Clock& clock, WorkerPool::Listener& listener, Send send);
  ~AgentSession() override;
  AgentSession(const AgentSession&) = delete;
  AgentSession& operator=(const AgentSession&) = delete;

  // Welcomes the agent and starts its workers.
  proto::Status Start();

  std::uint64_t id() const { return params_.id; }
  const std::string& agent() const { return params_.agent; }
  const std::string& host() const { return params_.host; }
  WorkerPool& pool() { return pool_; }
  const WorkerPool& pool() const { return pool_; }
  // The connection its messages last came from; replies go there.
  void set_route(std::string route) { route_ = std::move(route); }
  base::TimePoint last_heard() const { return last_heard_; }
  // How many of its workers are up (said hello) and idle.
  bool draining() const { return draining_; }

  // A message of this session from the agent. `seq` is checked first: a
  // gap ends the session.
  void OnMessage(const proto::AgentMessage& message);

  // The channel pipes to poll now; `write` ones for POLLOUT.
  struct PollFd {
    int fd;
    bool write;
    std::uint64_t channel;
  };
  void AppendPollFds(std::vector<PollFd>* out) const;
  void OnPollEvent(const PollFd& fd);

  // Beats, the agent's deadline, a drain that has finished, sends to retry.
  void RunExpired();
  std::optional<base::TimePoint> NextDeadline() const;
  // Sends again what could not leave (RetrySends).
  void RetrySends();
  bool has_unsent() const { return !unsent_.empty(); }

  // Ends it now: every live worker is given up with `why`; with `requeue`
  // their tasks go back to the queue instead of ending lost. The agent is
  // told unless it said goodbye itself.
  void End(const std::string& why, bool tell_agent, bool requeue = false);
  bool ended() const { return ended_; }
  // Ended, and the pool has reported every worker: it may be destroyed.
  bool finished() const { return ended_ && pool_.AllExited(); }
  // tqd is shutting down: its workers retire like local ones.
  void BeginShutdown();

 private:
  struct ChannelState;  // shared with the channel's RemoteWorker
  class RemoteWorker;
  struct Channel {
    std::shared_ptr<ChannelState> state;
    base::Fd tasks;    // read: what the pool wrote for the worker
    base::Fd results;  // write: what the worker sent, for the pool to read
    std::string pending;  // for `results`, not yet taken by its pipe
    std::size_t pending_offset = 0;
    std::optional<base::ExitStatus> exit;  // reported; applied once `pending` is written
    base::Fd stack;  // write end of a capture's pipe, while one is asked for
  };

  proto::Result<SpawnedWorker> Spawn(const WorkerCommand& command) override;
  void SignalChannel(std::uint64_t channel, int signal);
  proto::Result<StackCapture> CaptureChannel(std::uint64_t channel, base::TimePoint deadline);

  // Encodes `m` with this session's next seq and sends it (or keeps it).
  template <typename M>
  void Post(M m);
  void SendEncoded();

  void OnOutput(Channel& c, std::string_view data);
  void FlushResults(Channel& c);
  void OnExited(std::uint64_t id, const proto::ChannelExited& m);
  // Once its output is in the pool's pipe: the process is reaped.
  void ApplyExit(Channel& c);
  void ReadTasks(std::uint64_t id, Channel& c);
  Channel* Find(std::uint64_t channel);

  AgentSessionParams params_;
  const base::Clock& clock_;
  Send send_;
  std::map<std::uint64_t, Channel> channels_;
  std::uint64_t next_channel_ = 1;
  std::string route_;
  std::uint64_t out_seq_ = 0;  // the last seq sent
  std::uint64_t in_seq_ = 1;   // the last seq received: its hello's, at first
  base::TimePoint last_heard_;
  base::TimePoint next_beat_;
  proto::Buffer buffer_;
  std::deque<std::string> unsent_;
  std::size_t unsent_bytes_ = 0;
  bool reap_due_ = false;  // a channel's exit was applied: pool_.ReapExited()
  bool draining_ = false;
  bool ended_ = false;
  // Last: destroyed first, while the channels its workers point at exist.
  WorkerPool pool_;
};

}  // namespace tq::daemon
