// tq-floor: the floor of the latency and throughput rows, re-measured on
// the machine at hand instead of quoted. It is tq's process layout with
// nothing in it but the relaying: a client process with a DEALER, a relay
// process with a ROUTER on ipc:// and two worker processes on pipes. No
// msgpack, no task table, no validation: a request is 8 raw bytes (a
// little-endian int64), forwarded with a 4-byte length to an idle worker,
// which adds 1 and writes it back; the relay routes the reply.
//
//   tq-floor relay --endpoint ipc://PATH [--workers 2] [--depth 1]   runs until killed
//   tq-floor latency --endpoint E [--n N] [--warmup W] [--relay-pid P]
//   tq-floor throughput --endpoint E [--window W] [--n N] [--warmup W] [--relay-pid P]
//   tq-floor calibrate                                     what a syscall and a
//                                                          pipe round trip cost here
//   (tq-floor worker: what the relay spawns, fds 3 in / 4 out)
//
// Like tqd it hands a worker one request at a time and queues the rest;
// with --depth D it keeps up to D requests in each worker's pipe instead
// (the streaming floor: what bounded prefetch could reach at best).
// The client is one thread with one socket (libtq has an I/O thread too).
// The clients print `impl=floor row=... key=value ...` lines as tq-bench,
// with the CPU time per request of client, relay and workers when given
// the relay's pid.
// Single-threaded everywhere; the relay exits on SIGTERM (default action),
// its workers on EOF.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "../measure.h"

extern char** environ;

namespace {

using tq::bench::Percentile;
using tq::bench::ProcCpuSeconds;
using tq::bench::SelfCpuSeconds;

using Clock = std::chrono::steady_clock;
constexpr int kTaskFd = 3;
constexpr int kResultFd = 4;
constexpr std::size_t kPayload = 8;  // bytes of one request or reply

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "tq-floor: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

// ---- worker ------------------------------------------------------------------

bool ReadFull(int fd, char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t r = read(fd, p, n);
    if (r == 0) return false;
    if (r < 0) {
      if (errno == EINTR) continue;
      Die("worker read");
    }
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

void WriteFull(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      Die("write");
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

int Worker() {
  char frame[4 + kPayload];
  while (ReadFull(kTaskFd, frame, 4)) {
    std::uint32_t len = 0;
    std::memcpy(&len, frame, 4);
    if (len != kPayload || !ReadFull(kTaskFd, frame + 4, kPayload)) return 3;
    std::int64_t x = 0;
    std::memcpy(&x, frame + 4, kPayload);
    ++x;
    std::memcpy(frame + 4, &x, kPayload);
    WriteFull(kResultFd, frame, sizeof frame);
  }
  return 0;  // EOF: the relay is gone
}

// ---- relay -------------------------------------------------------------------

struct WorkerProc {
  pid_t pid = -1;
  int task_fd = -1;    // relay writes
  int result_fd = -1;  // relay reads
  std::deque<std::string> clients;  // routing ids of its requests, oldest first
  std::string in;      // bytes read, not yet a whole frame
};

struct Pending {
  std::string client;
  std::string payload;
};

WorkerProc Spawn(const char* self) {
  int task[2], result[2];
  if (pipe2(task, O_CLOEXEC) != 0 || pipe2(result, O_CLOEXEC) != 0) Die("pipe2");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, task[0], kTaskFd);
  posix_spawn_file_actions_adddup2(&fa, result[1], kResultFd);
  char arg0[] = "tq-floor", arg1[] = "worker";
  char* argv[] = {arg0, arg1, nullptr};
  WorkerProc w;
  const int rc = posix_spawn(&w.pid, self, &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    errno = rc;
    Die("posix_spawn worker");
  }
  close(task[0]);
  close(result[1]);
  w.task_fd = task[1];
  w.result_fd = result[0];
  return w;
}

void Dispatch(WorkerProc& w, std::string client, const std::string& payload) {
  std::string frame(4, '\0');
  const auto len = static_cast<std::uint32_t>(payload.size());
  std::memcpy(frame.data(), &len, 4);
  frame += payload;
  // A few small frames in a pipe that holds 64 KiB never block.
  WriteFull(w.task_fd, frame.data(), frame.size());
  w.clients.push_back(std::move(client));
}

// The worker with the fewest requests in its pipe, if it has room for one.
WorkerProc* LeastLoaded(std::vector<WorkerProc>& workers, std::size_t depth) {
  WorkerProc* best = nullptr;
  for (WorkerProc& w : workers) {
    if (w.clients.size() < depth && (best == nullptr || w.clients.size() < best->clients.size())) {
      best = &w;
    }
  }
  return best;
}

void SendReply(void* router, const std::string& client, const char* payload, std::size_t n) {
  if (zmq_send(router, client.data(), client.size(), ZMQ_SNDMORE) < 0 ||
      zmq_send(router, payload, n, 0) < 0) {
    Die("zmq_send reply");
  }
}

int Relay(const std::string& endpoint, int nworkers, std::size_t depth) {
  void* ctx = zmq_ctx_new();
  void* router = zmq_socket(ctx, ZMQ_ROUTER);
  const int unlimited = 0;
  zmq_setsockopt(router, ZMQ_SNDHWM, &unlimited, sizeof unlimited);
  zmq_setsockopt(router, ZMQ_RCVHWM, &unlimited, sizeof unlimited);
  if (zmq_bind(router, endpoint.c_str()) != 0) Die("zmq_bind " + endpoint);

  // The resolved path, not /proc/self/exe, so the workers are named
  // tq-floor in ps and perf, not "exe".
  char self[4096];
  const ssize_t self_len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (self_len <= 0) Die("readlink /proc/self/exe");
  self[self_len] = '\0';
  std::vector<WorkerProc> workers;
  for (int i = 0; i < nworkers; ++i) workers.push_back(Spawn(self));
  std::deque<Pending> pending;
  std::vector<zmq_pollitem_t> items(1 + workers.size());
  items[0] = {router, 0, ZMQ_POLLIN, 0};
  for (std::size_t i = 0; i < workers.size(); ++i) {
    items[1 + i] = {nullptr, workers[i].result_fd, ZMQ_POLLIN, 0};
  }
  std::fprintf(stderr, "tq-floor: relay on %s with %d workers, %zu request(s) per pipe\n",
               endpoint.c_str(), nworkers, depth);

  for (;;) {
    if (zmq_poll(items.data(), static_cast<int>(items.size()), -1) < 0) {
      if (errno == EINTR) continue;
      Die("zmq_poll");
    }
    for (std::size_t i = 0; i < workers.size(); ++i) {
      if (!(items[1 + i].revents & ZMQ_POLLIN)) continue;
      WorkerProc& w = workers[i];
      char buf[4096];
      const ssize_t r = read(w.result_fd, buf, sizeof buf);
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        std::fprintf(stderr, "tq-floor: worker %d went away\n", w.pid);
        return 1;
      }
      w.in.append(buf, static_cast<std::size_t>(r));
      std::uint32_t len = 0;
      while (w.in.size() >= 4 && (std::memcpy(&len, w.in.data(), 4), w.in.size() >= 4 + len)) {
        if (w.clients.empty()) {
          std::fprintf(stderr, "tq-floor: worker %d answered what it was not sent\n", w.pid);
          return 1;
        }
        SendReply(router, w.clients.front(), w.in.data() + 4, len);
        w.clients.pop_front();
        w.in.erase(0, 4 + len);
        while (w.clients.size() < depth && !pending.empty()) {
          Dispatch(w, std::move(pending.front().client), pending.front().payload);
          pending.pop_front();
        }
      }
    }
    if (items[0].revents & ZMQ_POLLIN) {
      // Drain what is there: a routing-id frame, then the payload frame.
      for (;;) {
        zmq_msg_t id, body;
        zmq_msg_init(&id);
        if (zmq_msg_recv(&id, router, ZMQ_DONTWAIT) < 0) {
          zmq_msg_close(&id);
          if (errno == EAGAIN) break;
          Die("zmq_msg_recv");
        }
        zmq_msg_init(&body);
        if (zmq_msg_recv(&body, router, 0) < 0) Die("zmq_msg_recv body");
        std::string client(static_cast<char*>(zmq_msg_data(&id)), zmq_msg_size(&id));
        std::string payload(static_cast<char*>(zmq_msg_data(&body)), zmq_msg_size(&body));
        zmq_msg_close(&id);
        zmq_msg_close(&body);
        if (WorkerProc* w = LeastLoaded(workers, depth)) {
          Dispatch(*w, std::move(client), payload);
        } else {
          pending.push_back({std::move(client), std::move(payload)});
        }
      }
    }
  }
}

// ---- client ------------------------------------------------------------------

// CPU of this client, the relay and its workers (the relay's children).
class CpuMeter {
 public:
  explicit CpuMeter(long relay_pid) : relay_(relay_pid) {
    if (relay_ > 0) {
      std::ifstream f("/proc/" + std::to_string(relay_) + "/task/" + std::to_string(relay_) +
                      "/children");
      long pid = 0;
      while (f >> pid) workers_.push_back(pid);
    }
    start_ = Now();
  }
  std::string PerTask(std::size_t tasks) const {
    const Sample now = Now();
    const double n = static_cast<double>(tasks);
    char buf[160];
    if (relay_ > 0) {
      std::snprintf(buf, sizeof buf,
                    " client_cpu_us=%.1f server_cpu_us=%.1f workers_cpu_us=%.1f",
                    (now.client - start_.client) * 1e6 / n, (now.server - start_.server) * 1e6 / n,
                    (now.workers - start_.workers) * 1e6 / n);
    } else {
      std::snprintf(buf, sizeof buf, " client_cpu_us=%.1f", (now.client - start_.client) * 1e6 / n);
    }
    return buf;
  }

 private:
  struct Sample {
    double client = 0, server = 0, workers = 0;
  };
  Sample Now() const {
    Sample s;
    s.client = SelfCpuSeconds();
    if (relay_ > 0) s.server = ProcCpuSeconds(relay_);
    for (long pid : workers_) s.workers += ProcCpuSeconds(pid);
    return s;
  }
  long relay_;
  std::vector<long> workers_;
  Sample start_;
};

struct ClientSocket {
  void* ctx;
  void* dealer;
};

ClientSocket Connect(const std::string& endpoint) {
  ClientSocket s{zmq_ctx_new(), nullptr};
  s.dealer = zmq_socket(s.ctx, ZMQ_DEALER);
  const int unlimited = 0;
  zmq_setsockopt(s.dealer, ZMQ_SNDHWM, &unlimited, sizeof unlimited);
  zmq_setsockopt(s.dealer, ZMQ_RCVHWM, &unlimited, sizeof unlimited);
  if (zmq_connect(s.dealer, endpoint.c_str()) != 0) Die("zmq_connect " + endpoint);
  return s;
}

void Send(void* dealer, std::int64_t x) {
  if (zmq_send(dealer, &x, sizeof x, 0) != sizeof x) Die("zmq_send");
}

std::int64_t Recv(void* dealer) {
  std::int64_t y = 0;
  if (zmq_recv(dealer, &y, sizeof y, 0) != sizeof y) Die("zmq_recv");
  return y;
}

void Expect(std::int64_t got, std::int64_t want) {
  if (got != want) {
    std::fprintf(stderr, "tq-floor: got %lld, expected %lld\n", static_cast<long long>(got),
                 static_cast<long long>(want));
    std::exit(1);
  }
}

void Latency(void* dealer, std::size_t n, std::size_t warmup, long relay_pid) {
  for (std::size_t i = 0; i < warmup; ++i) {
    Send(dealer, static_cast<std::int64_t>(i));
    Expect(Recv(dealer), static_cast<std::int64_t>(i) + 1);
  }
  std::vector<double> us;
  us.reserve(n);
  CpuMeter cpu(relay_pid);
  const auto start = Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    Send(dealer, static_cast<std::int64_t>(i));
    const std::int64_t y = Recv(dealer);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    Expect(y, static_cast<std::int64_t>(i) + 1);
  }
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const std::string cpu_per_task = cpu.PerTask(n);
  std::sort(us.begin(), us.end());
  std::printf(
      "impl=floor row=latency n=%zu p50_us=%.1f p90_us=%.1f p99_us=%.1f "
      "mean_us=%.1f min_us=%.1f max_us=%.1f wall_s=%.3f%s\n",
      n, Percentile(us, 0.50), Percentile(us, 0.90), Percentile(us, 0.99),
      std::accumulate(us.begin(), us.end(), 0.0) / static_cast<double>(n), us.front(),
      us.back(), wall, cpu_per_task.c_str());
}

// Keeps at most `window` requests unanswered. Replies come back in any
// order (two workers), so they are counted and their sum checked.
double Pipelined(void* dealer, std::size_t n, std::size_t window) {
  std::size_t sent = 0, received = 0;
  std::int64_t sum = 0;
  const auto start = Clock::now();
  while (received < n) {
    while (sent < n && sent - received < window) Send(dealer, static_cast<std::int64_t>(sent++));
    sum += Recv(dealer);
    ++received;
  }
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const auto nn = static_cast<std::int64_t>(n);
  Expect(sum, nn * (nn - 1) / 2 + nn);
  return wall;
}

void Throughput(void* dealer, std::size_t n, std::size_t window, std::size_t warmup,
                long relay_pid) {
  if (warmup > 0) Pipelined(dealer, warmup, window);
  CpuMeter cpu(relay_pid);
  const double wall = Pipelined(dealer, n, window);
  std::printf("impl=floor row=throughput window=%zu n=%zu wall_s=%.3f tasks_per_s=%.0f%s\n",
              window, n, wall, static_cast<double>(n) / wall, cpu.PerTask(n).c_str());
}

// ---- calibrate -------------------------------------------------------------------

// The two costs every relay pays per request, measured on this machine: a
// trivial system call, and a 1-byte round trip between two processes over
// pipes (two writes, two reads, two wake-ups).
int Calibrate() {
  constexpr int kCalls = 200000, kTrips = 20000;
  auto start = Clock::now();
  for (int i = 0; i < kCalls; ++i) (void)getppid();
  const double syscall_ns =
      std::chrono::duration<double, std::nano>(Clock::now() - start).count() / kCalls;
  int ping[2], pong[2];
  if (pipe(ping) != 0 || pipe(pong) != 0) Die("pipe");
  const pid_t child = fork();
  if (child < 0) Die("fork");
  char c = 'x';
  if (child == 0) {
    for (int i = 0; i < kTrips; ++i) {
      if (!ReadFull(ping[0], &c, 1)) _exit(1);
      WriteFull(pong[1], &c, 1);
    }
    _exit(0);
  }
  start = Clock::now();
  for (int i = 0; i < kTrips; ++i) {
    WriteFull(ping[1], &c, 1);
    if (!ReadFull(pong[0], &c, 1)) Die("pipe round trip");
  }
  const double rtt_us =
      std::chrono::duration<double, std::micro>(Clock::now() - start).count() / kTrips;
  waitpid(child, nullptr, 0);
  std::printf("impl=machine row=calibrate syscall_ns=%.0f pipe_rtt_us=%.1f\n", syscall_ns,
              rtt_us);
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: tq-floor relay --endpoint E [--workers N] [--depth D]\n"
               "       tq-floor calibrate\n"
               "       tq-floor latency --endpoint E [--n N] [--warmup W] [--relay-pid P]\n"
               "       tq-floor throughput --endpoint E [--window W] [--n N] [--warmup W] "
               "[--relay-pid P]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string mode = argv[1];
  if (mode == "worker") return Worker();
  if (mode == "calibrate") return Calibrate();
  std::string endpoint;
  std::size_t n = 0, warmup = 1000, window = 1000;
  int workers = 2;
  std::size_t depth = 1;
  long relay_pid = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--endpoint") {
      endpoint = value;
    } else if (flag == "--n") {
      n = std::stoul(value);
    } else if (flag == "--warmup") {
      warmup = std::stoul(value);
    } else if (flag == "--window") {
      window = std::max<std::size_t>(1, std::stoul(value));
    } else if (flag == "--workers") {
      workers = std::stoi(value);
    } else if (flag == "--depth") {
      depth = std::max<std::size_t>(1, std::stoul(value));
    } else if (flag == "--relay-pid") {
      relay_pid = std::stol(value);
    } else {
      return Usage();
    }
  }
  if (endpoint.empty()) return Usage();
  if (mode == "relay") return Relay(endpoint, workers, depth);
  ClientSocket s = Connect(endpoint);
  if (mode == "latency") {
    Latency(s.dealer, n == 0 ? 5000 : n, warmup, relay_pid);
  } else if (mode == "throughput") {
    Throughput(s.dealer, n == 0 ? 200000 : n, window, warmup, relay_pid);
  } else {
    return Usage();
  }
  zmq_close(s.dealer);
  zmq_ctx_term(s.ctx);
  return 0;
}
