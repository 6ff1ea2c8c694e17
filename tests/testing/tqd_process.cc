// TqdProcess and RawConnection.
#include "testing/tqd_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <variant>

#include "testing/wait_for.h"
#include "tq/proto/codec.h"

namespace tq::testing {

std::string BinPath(const std::string& name) { return std::string(TQ_BIN_DIR) + "/" + name; }
std::string LibPath(const std::string& name) { return std::string(TQ_LIB_DIR) + "/" + name; }

bool ProcessAlive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() &&
         line[close + 2] != 'Z' && line[close + 2] != 'X';
}

TqdOptions WithExamplePlugin() {
  TqdOptions o;
  o.extra_args = {"--plugin", LibPath("libtq_example_tasks.so")};
  return o;
}

TqdProcess::TqdProcess(TqdOptions options) {
  endpoint_ = options.endpoint.empty() ? "ipc://" + dir_.File("s.sock")
                                       : options.endpoint;
  base::SpawnOptions spawn;
  // SIGKILL when this test process dies, even by a sanitizer's abort that
  // runs no destructor: a tqd left behind would keep its workers and CPU.
  // (setpriv execs what follows, so the pid stays tqd's; a launcher that
  // changes user clears it, as the kernel does on a credential change.)
  spawn.argv = {"/usr/bin/setpriv", "--pdeathsig", "KILL"};
  spawn.argv.insert(spawn.argv.end(), options.launcher.begin(), options.launcher.end());
  spawn.argv.insert(spawn.argv.end(),
                    {BinPath("tqd"), "--endpoint", endpoint_, "--log-level", "debug",
                     "--state-dir",
                     options.state_dir.empty() ? dir_.File("state") : options.state_dir});
  if (options.workers > 0) {
    spawn.argv.push_back("--workers");
    spawn.argv.push_back(std::to_string(options.workers));
  }
  for (auto& a : options.extra_args) spawn.argv.push_back(a);
  base::Fd log(::open(dir_.File("tqd.log").c_str(),
                      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  spawn.fd_map = {{1, log.get()}, {2, log.get()}};
  spawn.fd_map.insert(spawn.fd_map.end(), options.fd_map.begin(), options.fd_map.end());
  std::vector<std::string> env = options.extra_env;
  if (options.journal_stream) {
    struct stat st;
    if (::fstat(log.get(), &st) != 0) throw std::runtime_error("fstat of tqd.log failed");
    env.push_back("JOURNAL_STREAM=" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino));
  }
  if (!env.empty()) {
    // Ours, but for the names set here (a JOURNAL_STREAM of our own).
    const auto replaced = [&](std::string_view entry) {
      const std::string_view name = entry.substr(0, entry.find('='));
      return std::any_of(env.begin(), env.end(), [&](const std::string& e) {
        return e.compare(0, name.size() + 1, std::string(name) + "=") == 0;
      });
    };
    std::vector<std::string> all;
    for (char** e = environ; *e != nullptr; ++e) {
      if (!replaced(*e)) all.emplace_back(*e);
    }
    all.insert(all.end(), env.begin(), env.end());
    spawn.env = std::move(all);
  }
  auto p = base::Subprocess::Spawn(spawn);
  if (!p.ok()) throw std::runtime_error(p.status().ToString());
  process_ = std::move(*p);
  if (options.wait_ready && !WaitReady()) {
    throw std::runtime_error("tqd did not become ready; its log:\n" + Log());
  }
}

TqdProcess::~TqdProcess() {
  for (pid_t w : WorkerPids()) seen_workers_.push_back(w);
  if (process_.running()) {
    process_.Kill(SIGKILL);
    process_.Wait();
  }
  for (pid_t w : seen_workers_) {
    if (ProcessAlive(w)) ::kill(w, SIGKILL);
  }
}

bool TqdProcess::WaitReady(std::chrono::milliseconds deadline) {
  RawConnection c(endpoint_);
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (Exited()) return false;
    if (c.Ping()) {
      for (pid_t w : WorkerPids()) seen_workers_.push_back(w);
      return true;
    }
  }
  return false;
}

std::vector<pid_t> TqdProcess::WorkerPids() const { return Children(false); }
std::vector<pid_t> TqdProcess::ZombiePids() const { return Children(true); }

std::vector<pid_t> TqdProcess::Children(bool zombies) const {
  std::vector<pid_t> out;
  if (!process_.running()) return out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == process_.pid() && (state == 'Z') == zombies) {
      out.push_back(std::stoi(name));
    }
  }
  return out;
}

base::ExitStatus TqdProcess::Terminate(std::chrono::milliseconds deadline) {
  for (pid_t w : WorkerPids()) seen_workers_.push_back(w);
  process_.Kill(SIGTERM);
  if (!WaitFor([&] { return process_.TryReap(); }, deadline)) {
    process_.Kill(SIGKILL);
  }
  return process_.Wait();
}

std::string TqdProcess::Log() const {
  std::ifstream in(dir_.File("tqd.log"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RawConnection::RawConnection(const std::string& endpoint)
    : context_(1), socket_(context_, zmq::socket_type::dealer) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.connect(endpoint);
}

void RawConnection::Send(std::string_view frame) {
  socket_.send(zmq::buffer(frame.data(), frame.size()), zmq::send_flags::none);
}

std::optional<std::string> RawConnection::Recv(std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, timeout) == 0) return std::nullopt;
  zmq::message_t m;
  if (!socket_.recv(m, zmq::recv_flags::dontwait)) return std::nullopt;
  return m.to_string();
}

bool RawConnection::Ping(std::uint64_t request_id) {
  proto::Buffer b;
  proto::Encode(proto::PingRequest{request_id}, b);
  Send(b.view());
  proto::Decoder decoder;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (std::chrono::steady_clock::now() < until) {
    auto frame = Recv(std::chrono::milliseconds(200));
    if (!frame) return false;
    auto m = decoder.DecodeDaemon(*frame);
    if (m.ok() && std::holds_alternative<proto::Pong>(*m) &&
        std::get<proto::Pong>(*m).request_id == request_id) {
      return true;
    }
  }
  return false;
}

}  // namespace tq::testing
