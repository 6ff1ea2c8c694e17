// AgentSession.
#include "agents/agent_session.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "tq/proto/codec.h"

namespace tq::daemon {
namespace {

using namespace std::chrono_literals;
using proto::ErrorCode;

// Most bytes of the pool's task pipe sent as one ch_in.
constexpr std::size_t kReadChunk = 256 * 1024;
// Most bytes kept for an agent that does not take them; past it the
// session ends (the agent is stuck, or the link too slow to be of use).
constexpr std::size_t kMaxUnsentBytes = 64 * 1024 * 1024;
// A stack text is cut to what a pipe takes in one write.
constexpr std::size_t kMaxStackBytes = 60 * 1024;

std::uint32_t Ms(base::Duration d) {
  return static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace

// What the pool's handle of a remote worker knows of it; the session fills
// it in from the agent's messages.
struct AgentSession::ChannelState {
  pid_t pid = 0;
  std::uint64_t rss_bytes = 0;
  std::optional<base::ExitStatus> exit;  // reaped (or given up)
  std::string lost_how;                  // given up, and why
  bool requeue = false;
};

// The WorkerProcess of a channel: signals and captures become messages,
// and it is "reaped" once the agent says its worker was.
class AgentSession::RemoteWorker final : public WorkerProcess {
 public:
  RemoteWorker(AgentSession& session, std::uint64_t channel,
               std::shared_ptr<ChannelState> state)
      : session_(session), channel_(channel), state_(std::move(state)) {}

  pid_t pid() const override { return state_->pid; }
  void Signal(int signal) override {
    if (!state_->exit) session_.SignalChannel(channel_, signal);
  }
  std::optional<base::ExitStatus> TryReap() override { return state_->exit; }
  std::uint64_t RssBytes() const override { return state_->rss_bytes; }
  proto::Result<StackCapture> CaptureStack(const std::string& /*tool: the agent's*/,
                                           base::TimePoint deadline) override {
    return session_.CaptureChannel(channel_, deadline);
  }
  std::string LostHow() const override { return state_->lost_how; }
  bool Requeue() const override { return state_->requeue; }

 private:
  AgentSession& session_;
  std::uint64_t channel_;
  std::shared_ptr<ChannelState> state_;
};

AgentSession::AgentSession(AgentSessionParams params, WorkerCommand command,
                           PoolSettings settings, const base::Clock& clock,
                           WorkerPool::Listener& listener, Send send)
    : params_(std::move(params)),
      clock_(clock),
      send_(std::move(send)),
      last_heard_(clock.Now()),
      next_beat_(clock.Now() + params_.beat),
      // No OOM verdicts for remote workers: tqd's cgroup says nothing of them.
      pool_(std::move(command), params_.slots, std::move(settings), *this, clock, listener,
            OomCounter("")) {
  pool_.set_host(params_.host);
}

AgentSession::~AgentSession() = default;

proto::Status AgentSession::Start() {
  Post(proto::AgentWelcome{{}, Ms(params_.beat), Ms(params_.deadline)});
  return pool_.Start();
}

template <typename M>
void AgentSession::Post(M m) {
  if (ended_) return;
  m.h = {params_.id, ++out_seq_};
  buffer_.clear();
  proto::Encode(m, buffer_);
  SendEncoded();
}

void AgentSession::SendEncoded() {
  const std::string_view bytes = buffer_.view();
  if (unsent_.empty() && send_(route_, bytes)) return;
  unsent_.emplace_back(bytes);
  unsent_bytes_ += bytes.size();
  if (unsent_bytes_ > kMaxUnsentBytes && !ended_) {
    End("agent " + params_.host + " does not take what it is sent", /*tell_agent=*/false);
  }
}

void AgentSession::RetrySends() {
  while (!unsent_.empty() && send_(route_, unsent_.front())) {
    unsent_bytes_ -= unsent_.front().size();
    unsent_.pop_front();
  }
}

void AgentSession::OnMessage(const proto::AgentMessage& message) {
  if (ended_) return;
  const proto::AgentHeader& h =
      std::visit([](const auto& m) -> const proto::AgentHeader& { return m.h; }, message);
  if (h.seq != in_seq_ + 1) {
    End("agent " + params_.host + " lost messages (got " + std::to_string(h.seq) +
            " after " + std::to_string(in_seq_) + ")",
        /*tell_agent=*/true);
    return;
  }
  in_seq_ = h.seq;
  last_heard_ = clock_.Now();
  pool_.set_heard_at(last_heard_);
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, proto::ChannelSpawned>) {
          if (Channel* c = Find(m.channel)) c->state->pid = static_cast<pid_t>(m.pid);
        } else if constexpr (std::is_same_v<M, proto::ChannelOutput>) {
          if (Channel* c = Find(m.channel)) OnOutput(*c, m.data);
        } else if constexpr (std::is_same_v<M, proto::ChannelExited>) {
          OnExited(m.channel, m);
        } else if constexpr (std::is_same_v<M, proto::ChannelRss>) {
          if (Channel* c = Find(m.channel)) c->state->rss_bytes = m.bytes;
        } else if constexpr (std::is_same_v<M, proto::ChannelStack>) {
          if (Channel* c = Find(m.channel); c != nullptr && c->stack) {
            const std::string_view text = m.text.substr(0, kMaxStackBytes);
            // One write into an empty pipe; what does not fit is cut.
            (void)!::write(c->stack.get(), text.data(), text.size());
            c->stack.Close();
          }
        } else if constexpr (std::is_same_v<M, proto::AgentBye>) {
          if (m.requeue) {
            End("agent " + params_.host + " left; its tasks go back to the queue",
                /*tell_agent=*/true, /*requeue=*/true);
          } else if (!draining_) {
            spdlog::info("agent {} ({}) is draining: its running tasks finish, it gets no more",
                         params_.host, params_.agent);
            draining_ = true;
            pool_.BeginShutdown();
          }
        } else if constexpr (std::is_same_v<M, proto::AgentHello>) {
          // A hello inside a session is a protocol error of the agent's.
          End("agent " + params_.host + " said hello twice in one session", true);
        }
        // AgentBeat: being heard was all it had to say.
      },
      message);
  if (reap_due_) {
    reap_due_ = false;
    pool_.ReapExited();
  }
}

AgentSession::Channel* AgentSession::Find(std::uint64_t channel) {
  const auto it = channels_.find(channel);
  return it == channels_.end() ? nullptr : &it->second;
}

proto::Result<SpawnedWorker> AgentSession::Spawn(const WorkerCommand& /*the agent's own*/) {
  if (ended_ || draining_) return proto::Status(ErrorCode::kIo, "the agent is gone");
  auto tasks = base::Pipe::Create();
  if (!tasks.ok()) return tasks.status();
  auto results = base::Pipe::Create();
  if (!results.ok()) return results.status();
  for (const base::Fd* fd : {&tasks->read, &tasks->write, &results->read, &results->write}) {
    TQ_RETURN_IF_ERROR(base::SetNonBlocking(fd->get()));
  }
  const std::uint64_t id = next_channel_++;
  auto state = std::make_shared<ChannelState>();
  Channel& c = channels_[id];
  c.state = state;
  c.tasks = std::move(tasks->read);
  c.results = std::move(results->write);
  Post(proto::ChannelSpawn{{}, id});
  return SpawnedWorker{std::make_unique<RemoteWorker>(*this, id, std::move(state)),
                       std::move(tasks->write), std::move(results->read)};
}

void AgentSession::SignalChannel(std::uint64_t channel, int signal) {
  if (!ended_ && Find(channel) != nullptr) {
    Post(proto::ChannelSignal{{}, channel, signal});
  }
}

proto::Result<StackCapture> AgentSession::CaptureChannel(std::uint64_t channel,
                                                         base::TimePoint deadline) {
  Channel* c = Find(channel);
  if (c == nullptr || ended_) return proto::Status(ErrorCode::kIo, "no such worker");
  auto pipe = base::Pipe::Create();
  if (!pipe.ok()) return pipe.status();
  TQ_RETURN_IF_ERROR(base::SetNonBlocking(pipe->write.get()));
  c->stack = std::move(pipe->write);
  const auto left = std::max<base::Duration>(deadline - clock_.Now(), 1ms);
  Post(proto::ChannelCapture{{}, channel, std::max<std::uint32_t>(Ms(left), 1)});
  return StackCapture::FromFd(std::move(pipe->read), deadline);
}

void AgentSession::OnOutput(Channel& c, std::string_view data) {
  if (!c.results) return;  // the pool closed its end: it reads no more
  c.pending.append(data);
  FlushResults(c);
}

void AgentSession::FlushResults(Channel& c) {
  while (c.results && c.pending_offset < c.pending.size()) {
    const ssize_t n = ::write(c.results.get(), c.pending.data() + c.pending_offset,
                              c.pending.size() - c.pending_offset);
    if (n > 0) {
      c.pending_offset += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      return;
    } else {
      c.results.Close();  // EPIPE: the pool closed its end
    }
  }
  c.pending.clear();
  c.pending_offset = 0;
  if (c.exit) ApplyExit(c);
}

void AgentSession::OnExited(std::uint64_t id, const proto::ChannelExited& m) {
  Channel* c = Find(id);
  if (c == nullptr) return;
  base::ExitStatus exit;
  if (m.signal) {
    exit.signaled = true;
    exit.signal = *m.signal;
  } else if (m.code) {
    exit.code = *m.code;
  } else {
    spdlog::error("agent {}: a worker could not start: {}", params_.host, m.error);
    exit.code = 127;
  }
  c->exit = exit;
  if (c->pending_offset >= c->pending.size() || !c->results) ApplyExit(*c);
}

void AgentSession::ApplyExit(Channel& c) {
  c.state->exit = c.exit;
  // Every byte the worker sent is in the pool's pipe: EOF after it.
  c.results.Close();
  c.tasks.Close();
  c.stack.Close();
  reap_due_ = true;
}

void AgentSession::ReadTasks(std::uint64_t id, Channel& c) {
  char buf[kReadChunk];
  const ssize_t n = ::read(c.tasks.get(), buf, sizeof buf);
  if (n > 0) {
    Post(proto::ChannelInput{{}, id, std::string_view(buf, static_cast<std::size_t>(n))});
  } else if (n == 0) {
    // The pool closed the worker's input: between tasks it exits on EOF.
    c.tasks.Close();
    Post(proto::ChannelCloseInput{{}, id});
  } else if (errno != EAGAIN && errno != EINTR) {
    c.tasks.Close();
    Post(proto::ChannelCloseInput{{}, id});
  }
}

void AgentSession::AppendPollFds(std::vector<PollFd>* out) const {
  for (const auto& [id, c] : channels_) {
    if (c.tasks) out->push_back({c.tasks.get(), false, id});
    if (c.results && c.pending_offset < c.pending.size()) {
      out->push_back({c.results.get(), true, id});
    }
  }
}

void AgentSession::OnPollEvent(const PollFd& fd) {
  Channel* c = Find(fd.channel);
  if (c == nullptr || ended_) return;
  if (fd.write) {
    FlushResults(*c);
  } else if (c->tasks.get() == fd.fd) {
    ReadTasks(fd.channel, *c);
  }
  if (reap_due_) {
    reap_due_ = false;
    pool_.ReapExited();
  }
}

void AgentSession::RunExpired() {
  const auto now = clock_.Now();
  if (!ended_ && now - last_heard_ >= params_.deadline) {
    End("agent " + params_.host + " unreachable (nothing heard for " +
            std::to_string(Ms(now - last_heard_)) + " ms)",
        /*tell_agent=*/true);
  }
  if (!ended_ && now >= next_beat_) {
    Post(proto::DaemonBeat{{}, in_seq_});
    next_beat_ = now + params_.beat;
  }
  if (!ended_ && draining_ && pool_.AllExited()) {
    spdlog::info("agent {} ({}) drained", params_.host, params_.agent);
    Post(proto::SessionEnd{{}, "drained"});
    ended_ = true;
  }
  // Forget channels whose workers the pool has reaped.
  std::erase_if(channels_, [](const auto& entry) {
    return entry.second.state->exit && entry.second.state.use_count() == 1;
  });
  if (!ended_) pool_.RunExpired();
}

std::optional<base::TimePoint> AgentSession::NextDeadline() const {
  if (ended_) return std::nullopt;
  std::optional<base::TimePoint> next = std::min(next_beat_, last_heard_ + params_.deadline);
  if (const auto pool = pool_.TimeUntilNextDeadline()) {
    next = std::min(*next, clock_.Now() + *pool);
  }
  return next;
}

void AgentSession::End(const std::string& why, bool tell_agent, bool requeue) {
  if (ended_) return;
  ended_ = true;
  spdlog::warn("agent session {:016x} of {} ({}) ended: {}", params_.id, params_.host,
               params_.agent, why);
  if (tell_agent) {
    ended_ = false;  // Post sends nothing once ended
    Post(proto::SessionEnd{{}, why});
    ended_ = true;
  }
  pool_.BeginShutdown();
  for (auto& [id, c] : channels_) {
    if (c.state->exit) continue;
    c.state->lost_how = why;
    c.state->requeue = requeue;
    c.state->exit = base::ExitStatus{.signaled = true, .signal = SIGKILL};
    c.results.Close();
    c.tasks.Close();
    c.stack.Close();
  }
  pool_.ReapExited();
}

void AgentSession::BeginShutdown() {
  draining_ = true;
  pool_.BeginShutdown();
}

}  // namespace tq::daemon
