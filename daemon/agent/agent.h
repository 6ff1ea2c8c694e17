// Agent: tq-agent's one thread and one loop. It keeps a session with tqd
// (Session), runs the worker processes tqd asks for (Channel) and relays
// their pipes over the DEALER (HeadLink); PROTOCOL.md §10 is the wire.
//
// The loop, in redis's shape:
//
//   while (!done) {
//     BeforeSleep();  // hello or beats when due, flush the link
//     Poll();         // the DEALER, its monitor, the signalfd, worker pipes,
//                     // stack captures
//     signals (SIGCHLD first: reap), tqd's messages, worker output
//     session over? stop the workers (SIGTERM, SIGKILL after 1 s), reap
//     them, then a new session (or exit when draining)
//   }
//
// A session ends when tqd says so (SessionEnd), when its numbering has a
// gap, or when tqd has not acknowledged a beat for half its deadline; the
// workers are stopped before a new hello, so a task never runs here after
// tqd has given up on it. SIGTERM/SIGINT: AgentBye, then serve until tqd
// ends the session (or it ends by itself), stop the workers, exit 0; a
// second one stops at once.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <zmq.hpp>

#include "agent_options.h"
#include "base/clock.h"
#include "base/signal_fd.h"
#include "channel.h"
#include "head_link.h"
#include "reap_queue.h"
#include "session.h"
#include "stack_capture.h"
#include "tq/proto/buffer.h"
#include "tq/proto/codec.h"
#include "worker_process.h"

namespace tq::agent {

class Agent {
 public:
  // Blocks the signals it handles (before ZeroMQ starts its threads) and
  // starts connecting. Errors: kConfig for a --connect ZeroMQ refuses,
  // kIo (signalfd, socket).
  static proto::Result<std::unique_ptr<Agent>> Create(AgentOptions options);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Runs until stopped by SIGTERM/SIGINT; the exit code (0).
  int Run();

 private:
  // One worker tqd asked for, and the stack capture tqd asked of it.
  struct Slot {
    Channel channel;
    std::optional<daemon::StackCapture> capture;
    bool killed = false;  // SIGKILL sent while stopping
  };

  Agent(AgentOptions options, base::SignalFd signals);

  void BeforeSleep();
  void Poll();
  void HandleSignals();
  void ReapWorkers();
  void DrainLink();
  void Receive(std::string_view frame);
  void ReadOutput(std::uint64_t ch, Slot& slot);
  void FinishCapture(std::uint64_t ch, Slot& slot);
  void RunExpired();
  // The session is over: stop every worker; StopFinished() once all are
  // reaped.
  void BeginStop();
  bool StopFinished() const { return stopping_ && slots_.empty(); }
  void NewSession();

  void Handle(const proto::AgentWelcome& m);
  void Handle(const proto::DaemonBeat& m);
  void Handle(const proto::ChannelSpawn& m);
  void Handle(const proto::ChannelInput& m);
  void Handle(const proto::ChannelCloseInput& m);
  void Handle(const proto::ChannelSignal& m);
  void Handle(const proto::ChannelCapture& m);
  void Handle(const proto::SessionEnd& m);

  // Numbers `m` as the session's next message and sends it.
  template <typename M>
  void Send(M m);
  void SendBeat();

  // Destroyed in reverse order: the slots (which kill and reap any worker
  // left) and the link before the context, the signalfd last.
  const AgentOptions options_;
  const std::string host_;
  const std::string stack_tool_;  // gdb or eu-stack; "" when neither
  base::SteadyClock clock_;
  base::SignalFd signals_;
  zmq::context_t context_;
  std::optional<HeadLink> link_;  // set by Create
  LinkOptions link_options_;
  // After tqd refused the key: when to try again with a new link.
  std::optional<base::TimePoint> relink_at_;
  static constexpr std::chrono::seconds kRelinkAfterRefusal{5};
  proto::Decoder decoder_;
  proto::Buffer out_;
  daemon::ProcessSpawner spawner_;
  daemon::WorkerCommand command_;
  std::unique_ptr<Session> session_;     // never null
  base::Duration hello_backoff_{};        // before the current session's first hello
  std::map<std::uint64_t, Slot> slots_;  // by channel
  daemon::ReapQueue helpers_;            // stack tools no longer read
  bool stopping_ = false;                // the session ended; workers going
  base::TimePoint kill_at_{};            // stopping: SIGKILL what is left then
  bool draining_ = false;                // SIGTERM seen: exit after this session
  std::string read_buffer_;
  // The fds polled this turn beyond the first kFixedItems, by channel.
  struct Polled {
    std::uint64_t channel;
    enum class Role { kOutput, kInput, kCapture } role;
  };
  std::vector<zmq::pollitem_t> items_;
  std::vector<Polled> polled_;
};

}  // namespace tq::agent
