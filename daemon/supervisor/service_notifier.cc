// ServiceNotifier.
//
// Why the datagram protocol and not libsystemd's sd_notify(): sd_notify()
// reads $NOTIFY_SOCKET from the environment on every call, so it would have
// to stay set for tqd's whole life, and every worker and every command an
// exec task runs would inherit it (and WATCHDOG_*), free to send READY=1 or
// STOPPING=1 in tqd's name wherever NotifyAccess= is not `main`. The protocol
// itself is one datagram of NAME=value lines to that socket, documented as a
// stable interface in sd_notify(3) ("Notes"), which is all this file does;
// systemd learns the sender from the kernel (SO_PASSCRED), not from us. It
// also keeps libsystemd-dev, whose install upgrades the host's systemd to
// its own version, out of the build.
#include "service_notifier.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "take_env.h"

namespace tq::daemon {
namespace {

std::string Plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

}  // namespace

std::string ServiceStatusText(const ServiceCounts& c) {
  using Phase = ServiceCounts::Phase;
  const std::string workers =
      Plural(static_cast<std::size_t>(c.workers), "worker", "workers");
  switch (c.phase) {
    case Phase::kStarting:
      return "starting " + workers + " (" + std::to_string(c.ready) + " ready)";
    case Phase::kStopping:
      return "stopping: " + Plural(c.busy, "task", "tasks") + " still running";
    case Phase::kServing:
      break;
  }
  const std::size_t idle = c.ready > c.busy ? c.ready - c.busy : 0;
  return workers + " (" + std::to_string(c.busy) + " busy, " +
         std::to_string(idle) + " idle), " + Plural(c.queued, "task", "tasks") +
         " queued";
}

ServiceNotifier ServiceNotifier::FromEnvironment(const base::Clock& clock) {
  const std::string path = TakeEnv("NOTIFY_SOCKET");
  const std::string usec = TakeEnv("WATCHDOG_USEC");
  const std::string pid = TakeEnv("WATCHDOG_PID");
  if (path.empty()) return {};

  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  // "@name" is `\0name` in the abstract namespace (no trailing NUL counted);
  // anything else but an absolute path (vsock:, from systemd 253) is not
  // spoken here.
  if ((path[0] != '/' && path[0] != '@') ||
      path.size() >= sizeof address.sun_path) {
    spdlog::warn(
        "NOTIFY_SOCKET={} is not a unix socket path; not notifying systemd",
        path);
    return {};
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  if (path[0] == '@') address.sun_path[0] = '\0';
  const auto size = static_cast<socklen_t>(
      offsetof(sockaddr_un, sun_path) + path.size() + (path[0] == '/' ? 1 : 0));

  base::Fd socket(
      ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!socket) {
    spdlog::warn("cannot notify systemd: socket: {}", std::strerror(errno));
    return {};
  }

  std::optional<base::Duration> watchdog;
  char* end = nullptr;
  const unsigned long long us = std::strtoull(usec.c_str(), &end, 10);
  const bool for_us = pid.empty() || pid == std::to_string(::getpid());
  if (!usec.empty() && *end == '\0' && us > 0 && for_us) {
    watchdog = std::chrono::microseconds(us / 2);
  } else if (!usec.empty() && for_us) {
    spdlog::warn(
        "WATCHDOG_USEC={} is not a positive number of microseconds; no "
        "watchdog",
        usec);
  }
  return ServiceNotifier(clock, std::move(socket), address, size, watchdog);
}

ServiceNotifier::ServiceNotifier(const base::Clock& clock, base::Fd socket,
                                 sockaddr_un address, socklen_t address_size,
                                 std::optional<base::Duration> watchdog)
    : clock_(&clock),
      socket_(std::move(socket)),
      address_(address),
      address_size_(address_size),
      watchdog_interval_(watchdog),
      next_ping_(clock.Now()) {}

void ServiceNotifier::Send(std::string_view message) {
  if (!socket_) return;
  const ssize_t sent =
      ::sendto(socket_.get(), message.data(), message.size(),
               MSG_NOSIGNAL | MSG_DONTWAIT,
               reinterpret_cast<const sockaddr*>(&address_), address_size_);
  if (sent < 0 && !send_failed_) {
    send_failed_ = true;  // once: the loop must not flood the journal
    spdlog::warn(
        "cannot notify systemd ({}): {}; later failures are not logged",
        message.substr(0, message.find('\n')), std::strerror(errno));
  }
}

void ServiceNotifier::SendStatus(std::string prefix,
                                 const ServiceCounts& counts) {
  Send(prefix + "STATUS=" + ServiceStatusText(counts));
  status_sent_ = counts;
  status_sent_at_ = clock_->Now();
  pending_status_ = false;
}

void ServiceNotifier::Ready(const ServiceCounts& counts) {
  if (!socket_) return;
  ready_sent_ = true;
  reloading_ = false;
  SendStatus("READY=1\n", counts);
}

void ServiceNotifier::Reloading() {
  if (!socket_ || !ready_sent_) return;
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const long long usec =
      static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
  reloading_ = true;
  Send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) +
       "\nSTATUS=reloading the configuration");
}

void ServiceNotifier::Reloaded(const ServiceCounts& counts) {
  if (reloading_) Ready(counts);
}

void ServiceNotifier::Stopping(const ServiceCounts& counts) {
  if (!socket_) return;
  SendStatus("STOPPING=1\n", counts);
}

void ServiceNotifier::Tick(const ServiceCounts& counts) {
  if (!socket_) return;
  const base::TimePoint now = clock_->Now();
  if (watchdog_interval_ && now >= next_ping_) {
    Send("WATCHDOG=1");
    next_ping_ = now + *watchdog_interval_;
  }
  // The first status goes at once: `systemctl status` shows the start-up.
  if (status_sent_ && counts == *status_sent_) {
    pending_status_ = false;
    return;
  }
  if (status_sent_ && now < status_sent_at_ + kStatusInterval) {
    pending_status_ = true;
    return;
  }
  SendStatus("", counts);
}

std::optional<base::TimePoint> ServiceNotifier::NextDeadline() const {
  if (!socket_) return std::nullopt;
  std::optional<base::TimePoint> next;
  if (watchdog_interval_) next = next_ping_;
  if (pending_status_) {
    const base::TimePoint at = status_sent_at_ + kStatusInterval;
    if (!next || at < *next) next = at;
  }
  return next;
}

}  // namespace tq::daemon
