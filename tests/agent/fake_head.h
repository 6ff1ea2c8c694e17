// FakeHead: the tqd end of an agent session, made in the test: a ZeroMQ
// ROUTER with CURVE server keys generated for the test, speaking the agent
// protocol (PROTOCOL.md §10) through the proto codec. AgentProcess: the
// real tq-agent from build/bin, started against it.
//
// FakeHead numbers what it sends and checks the agent's numbering; while
// `answer_beats` is on, every AgentBeat it reads is answered with a
// DaemonBeat acknowledging all it has read, as tqd does. Nothing happens
// behind the test's back: messages are read only inside Next/Await.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>
#include <zmq.hpp>

#include "base/subprocess.h"
#include "testing/temp_dir.h"
#include "tq/proto/codec.h"
#include "tq/proto/framing.h"

namespace tq::testing {

class FakeHead {
 public:
  FakeHead();

  const std::string& endpoint() const { return endpoint_; }
  const TempDir& dir() const { return dir_; }
  // The key files the agent needs: tqd's public key, the agent's secret one.
  std::string server_key_file() const { return dir_.File("head.pub"); }
  std::string agent_key_file() const { return dir_.File("agent.key"); }
  // --connect, --server-key and --key for this head.
  std::vector<std::string> AgentArgs() const;

  // The next message of any session, decoded; its views last until the
  // next call. nullopt after `timeout`, or when a frame does not decode
  // (then decode_error() says why).
  std::optional<proto::AgentMessage> Next(std::chrono::milliseconds timeout);
  // The next message of type M of the current session (or a hello of any
  // session: it starts a new one), skipping others; nullopt after
  // `timeout`.
  template <typename M>
  std::optional<M> Await(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto m = Next(left);
      if (!m) continue;
      if (auto* wanted = std::get_if<M>(&*m); wanted != nullptr) {
        if (wanted->h.session == session_) return *wanted;
      }
    }
  }

  // Sends `m` in the current session, numbered next.
  template <typename M>
  void Send(M m) {
    m.h = {session_, ++sent_};
    SendRaw(m);
  }
  // Sends `m` as it is (its header too).
  template <typename M>
  void SendRaw(const M& m) {
    proto::Buffer out;
    proto::Encode(m, out);
    SendBytes(out.view());
  }
  void SendBytes(std::string_view bytes);
  // AgentWelcome for the current session.
  void Welcome(std::uint32_t beat_ms = 100, std::uint32_t deadline_ms = 4000);

  std::uint64_t session() const { return session_; }
  std::uint64_t sent() const { return sent_; }
  // The agent's last seq read in the current session, and whether one
  // ever came out of order.
  std::uint64_t received() const { return received_; }
  bool saw_gap() const { return saw_gap_; }
  const std::string& decode_error() const { return decode_error_; }
  void set_answer_beats(bool on) { answer_beats_ = on; }

 private:
  TempDir dir_;
  zmq::context_t context_;
  zmq::socket_t router_;
  std::string endpoint_;
  std::optional<zmq::message_t> identity_;  // the agent's, once it spoke
  zmq::message_t frame_;                    // what Next() decoded last
  proto::Decoder decoder_;
  std::uint64_t session_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  bool saw_gap_ = false;
  bool answer_beats_ = true;
  std::string decode_error_;
};

// A real tq-agent against a FakeHead, its output in agent.log in the
// head's temp dir. The destructor kills it (SIGKILL) and every worker pid
// the test told it of.
class AgentProcess {
 public:
  AgentProcess(const FakeHead& head, const std::vector<std::string>& extra_args = {},
               const std::string& program = "");
  ~AgentProcess();
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  pid_t pid() const { return process_.pid(); }
  void Kill(int signal) { process_.Kill(signal); }
  // Whether it exited (reaping it); then status() says how.
  bool Exited() { return process_.TryReap(); }
  const base::ExitStatus& status() const { return *process_.exit_status(); }
  // A worker to kill by pid at the end, should the agent leave it.
  void Track(pid_t worker) { workers_.push_back(worker); }
  std::string Log() const;

 private:
  std::string log_path_;
  base::Subprocess process_;
  std::vector<pid_t> workers_;
};

// Collects a channel's ChannelOutput bytes into pipe frames.
class FrameCollector {
 public:
  FrameCollector() : reader_(proto::Limits{}.max_message_bytes) {}
  void Add(std::string_view bytes) { reader_.Append(bytes); }
  // The next whole frame, copied; nullopt while none is complete.
  std::optional<std::string> Pop();

 private:
  proto::FrameReader reader_;
};

// `m` as one pipe frame (4-byte length, then the msgpack map).
template <typename M>
std::string PipeFrame(const M& m) {
  proto::Buffer out;
  const std::size_t start = proto::BeginFrame(out);
  proto::Encode(m, out);
  proto::EndFrame(out, start);
  return out.Take();
}

}  // namespace tq::testing
