// FakeHead and AgentProcess.
#include "fake_head.h"

#include <fcntl.h>
#include <signal.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "testing/tqd_process.h"
#include "tq/keys/curve_keys.h"

namespace tq::testing {

FakeHead::FakeHead() : router_(context_, zmq::socket_type::router) {
  const keys::KeyPair head = keys::GenerateKeyPair();
  keys::WriteKeyPair(dir_.File("head"), head, "the test's fake tqd", false);
  keys::WriteKeyPair(dir_.File("agent"), keys::GenerateKeyPair(), "the test's agent", false);
  router_.set(zmq::sockopt::curve_server, true);
  router_.set(zmq::sockopt::curve_secretkey, head.secret_z85);
  router_.set(zmq::sockopt::linger, 0);
  router_.bind("tcp://127.0.0.1:*");
  endpoint_ = router_.get(zmq::sockopt::last_endpoint);
}

std::vector<std::string> FakeHead::AgentArgs() const {
  return {"--connect", endpoint_, "--server-key", server_key_file(), "--key", agent_key_file()};
}

std::optional<proto::AgentMessage> FakeHead::Next(std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, timeout) == 0) return std::nullopt;
  zmq::message_t identity;
  if (!router_.recv(identity, zmq::recv_flags::dontwait)) return std::nullopt;
  if (!identity.more() || !router_.recv(frame_, zmq::recv_flags::dontwait)) {
    throw std::runtime_error("the agent sent a message without a payload frame");
  }
  identity_ = std::move(identity);
  auto decoded = decoder_.DecodeFromAgent(frame_.to_string_view());
  if (!decoded.ok()) {
    decode_error_ = decoded.status().ToString();
    return std::nullopt;
  }
  const proto::AgentHeader h = std::visit([](const auto& m) { return m.h; }, *decoded);
  if (std::holds_alternative<proto::AgentHello>(*decoded)) {
    if (h.session != session_) {
      session_ = h.session;
      sent_ = 0;
      received_ = 0;
    }
    if (h.seq != 1) saw_gap_ = true;
    received_ = 1;
  } else if (h.session == session_) {
    if (h.seq != received_ + 1) saw_gap_ = true;
    received_ = h.seq;
    if (answer_beats_ && std::holds_alternative<proto::AgentBeat>(*decoded)) {
      Send(proto::DaemonBeat{.ack = received_});
    }
  }
  return decoded.value();
}

void FakeHead::SendBytes(std::string_view bytes) {
  if (!identity_) throw std::runtime_error("no agent has spoken to the fake head yet");
  zmq::message_t to;
  to.copy(*identity_);
  router_.send(to, zmq::send_flags::sndmore);
  router_.send(zmq::buffer(bytes.data(), bytes.size()), zmq::send_flags::none);
}

void FakeHead::Welcome(std::uint32_t beat_ms, std::uint32_t deadline_ms) {
  Send(proto::AgentWelcome{.beat_ms = beat_ms, .deadline_ms = deadline_ms});
}

AgentProcess::AgentProcess(const FakeHead& head, const std::vector<std::string>& extra_args,
                           const std::string& program)
    : log_path_(head.dir().File("agent.log")) {
  base::SpawnOptions spawn;
  // SIGKILL when this test process dies, even without destructors
  // (setpriv execs the agent, so the pid stays its own).
  spawn.argv = {"/usr/bin/setpriv", "--pdeathsig", "KILL",
                program.empty() ? BinPath("tq-agent") : program};
  for (const std::string& a : head.AgentArgs()) spawn.argv.push_back(a);
  spawn.argv.insert(spawn.argv.end(), {"--log-level", "debug"});
  for (const std::string& a : extra_args) spawn.argv.push_back(a);
  base::Fd log(::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  spawn.fd_map = {{1, log.get()}, {2, log.get()}};
  auto process = base::Subprocess::Spawn(spawn);
  if (!process.ok()) throw std::runtime_error(process.status().message());
  process_ = std::move(*process);
}

AgentProcess::~AgentProcess() {
  process_.Kill(SIGKILL);
  (void)process_.Wait();
  for (pid_t w : workers_) {
    if (ProcessAlive(w)) ::kill(w, SIGKILL);
  }
}

std::string AgentProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<std::string> FrameCollector::Pop() {
  std::string_view frame;
  if (reader_.Pop(&frame) != proto::FrameReader::Next::kFrame) return std::nullopt;
  return std::string(frame);
}

}  // namespace tq::testing
