// Agent.
#include "agent.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <type_traits>
#include <variant>

#include "base/exit_status.h"
#include "tq/proto/utf8.h"

namespace tq::agent {
namespace {

using namespace std::chrono_literals;
using Phase = Session::Phase;

// The most a worker's output message carries: big enough that a large
// result crosses in few messages, small enough to interleave workers.
constexpr std::size_t kMaxOutputChunk = 256 * 1024;
// Stop reading workers while this much waits to go to tqd.
constexpr std::size_t kMaxQueuedBytes = 16 * proto::kMiB;
// What a reaped worker left in its pipe is read in at most this many chunks.
constexpr int kMaxDrainReads = 64;
// tqd's messages handled per loop turn, so workers are served meanwhile.
constexpr int kMaxReceivesPerTurn = 256;
// A stopping worker gets SIGTERM, and SIGKILL this long after.
constexpr auto kStopGrace = 1s;

// Text for the wire's printable-UTF-8 fields (PROTOCOL.md §10): each byte
// that does not begin a well-formed printable character becomes '?', and
// the text is cut at a character boundary within `max_bytes`.
std::string Printable(std::string_view in, std::size_t max_bytes) {
  std::string out;
  while (!in.empty()) {
    // The length of the character the lead byte announces.
    const auto lead = static_cast<unsigned char>(in[0]);
    std::size_t n = lead < 0xc0 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
    const std::string_view c = in.substr(0, n);
    const bool printable = c.size() == n && proto::IsPrintableUtf8(c);
    if (out.size() + (printable ? n : 1) > max_bytes) break;
    if (printable) {
      out.append(c);
    } else {
      out += '?';
      n = 1;
    }
    in.remove_prefix(n);
  }
  return out;
}

std::string HostName() {
  char host[256] = "";
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "localhost";
  return Printable(host, proto::kMaxHostBytes);
}

}  // namespace

proto::Result<std::unique_ptr<Agent>> Agent::Create(AgentOptions options) {
  // Before the ZeroMQ context exists, so its threads inherit the mask and
  // every signal arrives on the signalfd.
  auto signals = base::SignalFd::Create({SIGTERM, SIGINT, SIGCHLD});
  if (!signals.ok()) return signals.status();
  ::signal(SIGPIPE, SIG_IGN);  // a dead worker's pipe gives EPIPE instead
  std::unique_ptr<Agent> agent(new Agent(std::move(options), std::move(*signals)));
  const AgentOptions& o = agent->options_;
  agent->link_options_ = {.endpoint = o.connect,
                          .server_public_z85 = o.server_public_z85,
                          .public_z85 = o.public_z85,
                          .secret_z85 = o.secret_z85,
                          // A ChannelInput carries at most a pipe frame, plus its own fields.
                          .max_message_bytes = proto::Limits{}.max_message_bytes + proto::kMiB};
  auto link = HeadLink::Connect(agent->context_, agent->link_options_);
  if (!link.ok()) return link.status();
  agent->link_.emplace(std::move(*link));
  return agent;
}

Agent::Agent(AgentOptions options, base::SignalFd signals)
    : options_(std::move(options)),
      host_(HostName()),
      stack_tool_(daemon::StackCapture::FindTool()),
      signals_(std::move(signals)),
      session_(std::make_unique<Session>(clock_, NewSessionId())) {
  command_.program = options_.worker_program;
  command_.plugins = options_.plugins;
}

Agent::~Agent() = default;

int Agent::Run() {
  spdlog::info("tq-agent {} on {}: {} slots of {}; tqd at {}", TQ_VERSION, host_, options_.slots,
               options_.worker_program, options_.connect);
  if (stack_tool_.empty()) {
    spdlog::warn("neither gdb nor eu-stack is on PATH: timed-out tasks get no stack");
  }
  spdlog::info("saying hello to tqd as session {:016x}", session_->id());
  for (;;) {
    if (session_->phase() == Phase::kEnded && !stopping_) BeginStop();
    if (StopFinished()) {
      if (draining_) break;
      NewSession();
    }
    BeforeSleep();
    Poll();
    RunExpired();
  }
  link_->Close();
  spdlog::info("stopped");
  return 0;
}

void Agent::BeforeSleep() {
  if (!stopping_ && session_->HelloDue()) {
    out_.clear();
    proto::Encode(
        proto::AgentHello{
            .h = session_->Hello(), .host = host_, .slots = options_.slots, .version = TQ_VERSION},
        out_);
    session_->HelloSent(link_->TrySend(out_.view()));
  }
  if (!stopping_ && session_->BeatDue()) SendBeat();
  link_->Flush();
}

void Agent::Poll() {
  items_.clear();
  polled_.clear();
  const short link_events = ZMQ_POLLIN | (link_->has_queued() ? ZMQ_POLLOUT : 0);
  items_.push_back({link_->handle(), 0, link_events, 0});
  items_.push_back({link_->monitor_handle(), 0, ZMQ_POLLIN, 0});
  items_.push_back({nullptr, signals_.fd(), ZMQ_POLLIN, 0});
  constexpr std::size_t kFixedItems = 3;
  base::TimePoint wake = stopping_ ? kill_at_ : session_->NextDue();
  auto add = [&](int fd, short events, std::uint64_t ch, Polled::Role role) {
    items_.push_back({nullptr, fd, events, 0});
    polled_.push_back({ch, role});
  };
  if (!stopping_) {
    const bool read_workers = link_->queued_bytes() < kMaxQueuedBytes;
    for (auto& [ch, slot] : slots_) {
      if (read_workers && slot.channel.output_fd() >= 0) {
        add(slot.channel.output_fd(), ZMQ_POLLIN, ch, Polled::Role::kOutput);
      }
      if (slot.channel.pending_input_fd() >= 0) {
        add(slot.channel.pending_input_fd(), ZMQ_POLLOUT, ch, Polled::Role::kInput);
      }
      if (slot.capture) {
        add(slot.capture->fd(), ZMQ_POLLIN, ch, Polled::Role::kCapture);
        wake = std::min(wake, slot.capture->deadline());
      }
    }
  }
  const auto now = clock_.Now();
  const auto wait = wake <= now ? 0ms
                                : std::min<std::chrono::milliseconds>(
                                      1s, std::chrono::ceil<std::chrono::milliseconds>(wake - now));
  try {
    zmq::poll(items_, wait);
  } catch (const zmq::error_t& e) {
    if (e.num() != EINTR) spdlog::warn("poll: {}", e.what());
    return;
  }
  if (items_[2].revents & ZMQ_POLLIN) HandleSignals();
  if (items_[1].revents & ZMQ_POLLIN) link_->LogEvents();
  if (items_[0].revents & ZMQ_POLLOUT) link_->Flush();
  if (items_[0].revents & ZMQ_POLLIN) DrainLink();
  for (std::size_t i = 0; i < polled_.size(); ++i) {
    const short revents = items_[kFixedItems + i].revents;
    if (revents == 0 || stopping_) continue;
    // A handler above may have reaped the channel (or ended the session).
    auto it = slots_.find(polled_[i].channel);
    if (it == slots_.end()) continue;
    Slot& slot = it->second;
    switch (polled_[i].role) {
      case Polled::Role::kOutput:
        ReadOutput(it->first, slot);
        break;
      case Polled::Role::kInput:
        slot.channel.Flush();
        break;
      case Polled::Role::kCapture:
        if (slot.capture && slot.capture->ReadSome()) FinishCapture(it->first, slot);
        break;
    }
  }
}

void Agent::HandleSignals() {
  bool child = false;
  std::optional<int> stop;
  while (const std::optional<int> signal = signals_.Read()) {
    if (*signal == SIGCHLD) {
      child = true;
    } else {
      stop = signal;
    }
  }
  // Reaping first: what the workers said goes out before a bye.
  if (child) ReapWorkers();
  if (!stop) return;
  const std::string name = base::SignalName(*stop);
  if (draining_) {
    spdlog::warn("{} again: stopping the workers now", name);
    session_->End("stopped by a second " + name);
    return;
  }
  draining_ = true;
  if (session_->phase() == Phase::kOpen && !stopping_) {
    spdlog::info(
        "{}: leaving; tqd {} (--drain {})", name,
        options_.drain_requeue ? "requeues the running tasks" : "lets the running tasks finish",
        options_.drain_requeue ? "requeue" : "finish");
    Send(proto::AgentBye{.requeue = options_.drain_requeue});
  } else {
    spdlog::info("{}: stopping", name);
    session_->End("stopped by " + name);
  }
}

void Agent::ReapWorkers() {
  helpers_.ReapExited();
  for (auto it = slots_.begin(); it != slots_.end();) {
    Slot& slot = it->second;
    const std::optional<base::ExitStatus> status = slot.channel.TryReap();
    if (!status) {
      ++it;
      continue;
    }
    const std::uint64_t ch = it->first;
    spdlog::debug("channel {} (pid {}) {}", ch, slot.channel.pid(), status->Describe());
    if (stopping_) {
      if (slot.capture) helpers_.Add(slot.capture->ReleaseTool(), SIGKILL);
    } else {
      if (slot.capture) FinishCapture(ch, slot);
      // Everything it wrote before it exited goes before the exit.
      for (int i = 0; i < kMaxDrainReads && slot.channel.output_fd() >= 0; ++i) {
        if (slot.channel.Read(kMaxOutputChunk, &read_buffer_) != Channel::ReadResult::kData) {
          break;
        }
        Send(proto::ChannelOutput{.channel = ch, .data = read_buffer_});
      }
      proto::ChannelExited exited{.channel = ch};
      if (status->signaled) {
        exited.signal = status->signal;
      } else {
        exited.code = status->code;
      }
      Send(exited);
    }
    it = slots_.erase(it);
  }
}

void Agent::DrainLink() {
  zmq::message_t message;
  for (int i = 0; i < kMaxReceivesPerTurn && link_->Receive(&message); ++i) {
    Receive(std::string_view(static_cast<const char*>(message.data()), message.size()));
  }
}

void Agent::Receive(std::string_view frame) {
  auto decoded = decoder_.DecodeToAgent(frame);
  if (!decoded.ok()) {
    if (session_->phase() != Phase::kEnded && !stopping_) {
      spdlog::warn("session {:016x}: tqd sent a message the agent cannot read ({}); ending it",
                   session_->id(), decoded.status().message());
      session_->End("unreadable message from tqd: " + decoded.status().message());
    }
    return;
  }
  std::visit(
      [this](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        const Session::Kind kind = std::is_same_v<M, proto::AgentWelcome> ? Session::Kind::kWelcome
                                   : std::is_same_v<M, proto::SessionEnd>
                                       ? Session::Kind::kSessionEnd
                                       : Session::Kind::kOther;
        switch (session_->Receive(m.h, kind)) {
          case Session::Verdict::kAccept:
            Handle(m);
            break;
          case Session::Verdict::kIgnore:
            spdlog::debug("dropped a message of session {:016x} (seq {})", m.h.session, m.h.seq);
            break;
          case Session::Verdict::kEnded:
            spdlog::warn("session {:016x}: {}; ending it", session_->id(), session_->end_reason());
            break;
        }
      },
      *decoded);
}

void Agent::Handle(const proto::AgentWelcome& m) {
  session_->Welcome(std::chrono::milliseconds(m.beat_ms), std::chrono::milliseconds(m.deadline_ms));
  if (session_->phase() != Phase::kOpen) {
    spdlog::warn("session {:016x}: {}", session_->id(), session_->end_reason());
    return;
  }
  spdlog::info("session {:016x} open: beat {} ms, deadline {} ms", session_->id(), m.beat_ms,
               m.deadline_ms);
}

void Agent::Handle(const proto::DaemonBeat& m) { session_->Acknowledged(m.ack); }

void Agent::Handle(const proto::ChannelSpawn& m) {
  if (slots_.contains(m.channel)) {
    spdlog::warn("session {:016x}: tqd asked for channel {} twice; ending it", session_->id(),
                 m.channel);
    session_->End("tqd asked for channel " + std::to_string(m.channel) + " twice");
    return;
  }
  if (slots_.size() >= options_.slots) {
    Send(proto::ChannelExited{
        .channel = m.channel,
        .error = "the agent runs at most " + std::to_string(options_.slots) + " workers"});
    return;
  }
  auto channel = Channel::Start(spawner_, command_);
  if (!channel.ok()) {
    spdlog::warn("channel {}: cannot start {}: {}", m.channel, command_.program,
                 channel.status().message());
    Send(proto::ChannelExited{
        .channel = m.channel,
        .error = Printable(channel.status().message(), proto::kMaxAgentTextBytes)});
    return;
  }
  const pid_t pid = channel->pid();
  slots_.emplace(m.channel, Slot{.channel = std::move(*channel)});
  spdlog::debug("channel {}: worker pid {}", m.channel, pid);
  Send(proto::ChannelSpawned{.channel = m.channel, .pid = static_cast<std::uint32_t>(pid)});
}

void Agent::Handle(const proto::ChannelInput& m) {
  // A channel that is gone: tqd's message crossed its ChannelExited.
  if (auto it = slots_.find(m.channel); it != slots_.end()) it->second.channel.Write(m.data);
}

void Agent::Handle(const proto::ChannelCloseInput& m) {
  if (auto it = slots_.find(m.channel); it != slots_.end()) it->second.channel.CloseInput();
}

void Agent::Handle(const proto::ChannelSignal& m) {
  if (auto it = slots_.find(m.channel); it != slots_.end()) it->second.channel.Signal(m.signal);
}

void Agent::Handle(const proto::ChannelCapture& m) {
  auto it = slots_.find(m.channel);
  if (it == slots_.end() || it->second.capture) return;
  if (!stack_tool_.empty()) {
    auto capture =
        daemon::StackCapture::Start(stack_tool_, it->second.channel.pid(),
                                    clock_.Now() + std::chrono::milliseconds(m.timeout_ms));
    if (capture.ok()) {
      it->second.capture.emplace(std::move(*capture));
      return;
    }
    spdlog::warn("channel {}: cannot run {}: {}", m.channel, stack_tool_,
                 capture.status().message());
  }
  Send(proto::ChannelStack{.channel = m.channel, .text = ""});
}

void Agent::Handle(const proto::SessionEnd& m) {
  spdlog::info("session {:016x}: tqd ended it: {}", session_->id(), m.why);
  session_->End("tqd ended it: " + std::string(m.why));
}

void Agent::ReadOutput(std::uint64_t ch, Slot& slot) {
  if (slot.channel.Read(kMaxOutputChunk, &read_buffer_) == Channel::ReadResult::kData) {
    Send(proto::ChannelOutput{.channel = ch, .data = read_buffer_});
  }
}

void Agent::FinishCapture(std::uint64_t ch, Slot& slot) {
  const std::string text = slot.capture->TakeText();
  // tqd stops the worker next; the tool goes now, reaped after SIGCHLD.
  helpers_.Add(slot.capture->ReleaseTool(), SIGKILL);
  slot.capture.reset();
  Send(proto::ChannelStack{.channel = ch, .text = text});
}

void Agent::RunExpired() {
  const base::TimePoint now = clock_.Now();
  if (link_->refused()) {
    // Refused sockets stay refused: a new one, every few seconds, so that
    // a key allowed later (SIGHUP on tqd) gets in without a restart.
    if (!relink_at_) relink_at_ = now + kRelinkAfterRefusal;
    if (now >= *relink_at_) {
      relink_at_.reset();
      if (auto link = HeadLink::Connect(context_, link_options_); link.ok()) {
        link_->Close();
        link_.emplace(std::move(*link));
      }
    }
  }
  if (stopping_) {
    if (now < kill_at_) return;
    for (auto& [ch, slot] : slots_) {
      if (std::exchange(slot.killed, true)) continue;
      spdlog::warn("channel {} (pid {}): still running {} ms after SIGTERM; SIGKILL", ch,
                   slot.channel.pid(),
                   std::chrono::duration_cast<std::chrono::milliseconds>(kStopGrace).count());
      slot.channel.Signal(SIGKILL);
    }
    kill_at_ = base::TimePoint::max();
    return;
  }
  if (session_->phase() == Phase::kOpen && session_->CheckLiveness()) {
    spdlog::warn("session {:016x}: {}; tqd may have lost this agent", session_->id(),
                 session_->end_reason());
    return;
  }
  for (auto& [ch, slot] : slots_) {
    if (slot.capture && slot.capture->deadline() <= now) FinishCapture(ch, slot);
  }
}

void Agent::BeginStop() {
  stopping_ = true;
  link_->DropQueued();
  kill_at_ = clock_.Now() + kStopGrace;
  if (!slots_.empty()) {
    spdlog::info("session {:016x} over ({}): stopping {} workers", session_->id(),
                 session_->end_reason(), slots_.size());
  }
  for (auto& [ch, slot] : slots_) {
    if (slot.capture) {
      helpers_.Add(slot.capture->ReleaseTool(), SIGKILL);
      slot.capture.reset();
    }
    slot.channel.Signal(SIGTERM);
  }
  // Workers that exited already are reaped now (their SIGCHLD may have
  // been read before the stop began).
  ReapWorkers();
}

void Agent::NewSession() {
  stopping_ = false;
  // A session tqd ended before welcoming it (it refuses this agent, or is
  // shutting down) is followed by hellos ever further apart: 0.2 s, 0.4 s,
  // ... 5 s; one that was welcomed, by a hello at once.
  using namespace std::chrono_literals;
  hello_backoff_ = session_->welcomed() ? base::Duration{}
                   : std::min<base::Duration>(std::max<base::Duration>(2 * hello_backoff_, 200ms), 5s);
  session_ = std::make_unique<Session>(clock_, NewSessionId(), hello_backoff_);
  spdlog::info("saying hello to tqd as session {:016x}", session_->id());
}

template <typename M>
void Agent::Send(M m) {
  if (session_->phase() != Phase::kOpen || stopping_) return;
  m.h = session_->Next();
  out_.clear();
  proto::Encode(m, out_);
  link_->Send(out_.view());
}

void Agent::SendBeat() {
  out_.clear();
  proto::Encode(proto::AgentBeat{.h = session_->BeatSent(), .ack = session_->received()}, out_);
  link_->Send(out_.view());
  for (const auto& [ch, slot] : slots_) {
    Send(proto::ChannelRss{.channel = ch, .bytes = slot.channel.RssBytes()});
  }
}

}  // namespace tq::agent
