// ServiceNotifier: what tqd tells systemd about itself, over the notification
// protocol of sd_notify(3): READY=1 once it serves, STATUS= with its queue and
// workers, WATCHDOG=1 from the loop, RELOADING=1 and READY=1 around a reload,
// STOPPING=1 when it drains.
//
// FromEnvironment() takes NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID out of
// the environment once, at start, so that no worker and no exec task
// inherits them. Without NOTIFY_SOCKET (tqd not run by systemd) the notifier
// is inert: every call does nothing and NextDeadline() is nullopt.
//
// Messages go out with one non-blocking sendto() each and are never retried:
// a message systemd could not take is logged (once) and dropped, so a gone or
// slow service manager never stalls the loop. STATUS= is sent when the
// counts change, at most once per second (the change that arrives sooner
// waits, and NextDeadline() wakes the loop for it); WATCHDOG=1 every half
// WATCHDOG_USEC, from Tick(), so only a loop that turns keeps tqd alive.
// Not thread-safe: it lives on the loop's thread.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/fd.h"

namespace tq::daemon {

// What STATUS= reports.
struct ServiceCounts {
  enum class Phase : std::uint8_t { kStarting, kServing, kStopping };
  Phase phase = Phase::kStarting;
  int workers = 0;         // the pool's size
  std::size_t ready = 0;   // workers that said hello: idle or busy
  std::size_t busy = 0;    // workers running a task
  std::size_t queued = 0;  // tasks waiting for a worker
  bool operator==(const ServiceCounts&) const = default;
};

// The STATUS= line: "4 workers (1 busy, 3 idle), 12 tasks queued".
std::string ServiceStatusText(const ServiceCounts& counts);

class ServiceNotifier {
 public:
  // At most one STATUS= per this long.
  static constexpr auto kStatusInterval = std::chrono::seconds(1);

  // Reads NOTIFY_SOCKET (a path, or @name in the abstract namespace) and, if
  // WATCHDOG_PID is unset or names this process, WATCHDOG_USEC; removes all
  // three from the environment. `clock` must outlive the notifier. An
  // unusable NOTIFY_SOCKET is logged and leaves the notifier inert.
  static ServiceNotifier FromEnvironment(const base::Clock& clock);

  // Inert.
  ServiceNotifier() = default;
  ServiceNotifier(ServiceNotifier&&) noexcept = default;
  ServiceNotifier& operator=(ServiceNotifier&&) noexcept = default;

  bool enabled() const { return static_cast<bool>(socket_); }
  // Half of WATCHDOG_USEC: how often WATCHDOG=1 goes out; nullopt if systemd
  // asked for no watchdog.
  std::optional<base::Duration> watchdog_interval() const {
    return watchdog_interval_;
  }

  // READY=1 and the status. Once tqd serves; again after a reload.
  void Ready(const ServiceCounts& counts);
  // RELOADING=1 (with MONOTONIC_USEC=, which systemd 253's Type=notify-reload
  // wants), if READY=1 was sent: a reload during start-up is no reload to
  // systemd. Reloaded() then sends READY=1.
  void Reloading();
  void Reloaded(const ServiceCounts& counts);
  // STOPPING=1 and the status.
  void Stopping(const ServiceCounts& counts);
  // Every loop turn: WATCHDOG=1 when it is due, STATUS= when `counts` differ
  // from what was last sent and the rate limit allows.
  void Tick(const ServiceCounts& counts);
  // When Tick() next has something to send: the poll must wake by then.
  std::optional<base::TimePoint> NextDeadline() const;

 private:
  ServiceNotifier(const base::Clock& clock, base::Fd socket,
                  sockaddr_un address, socklen_t address_size,
                  std::optional<base::Duration> watchdog);
  void Send(std::string_view message);
  void SendStatus(std::string prefix, const ServiceCounts& counts);

  const base::Clock* clock_ = nullptr;
  base::Fd socket_;  // AF_UNIX datagram, unconnected; empty when inert
  sockaddr_un address_{};
  socklen_t address_size_ = 0;
  std::optional<base::Duration> watchdog_interval_;
  base::TimePoint next_ping_{};
  bool ready_sent_ = false;
  bool reloading_ = false;
  std::optional<ServiceCounts> status_sent_;  // the counts of the last STATUS=
  base::TimePoint status_sent_at_{};
  bool pending_status_ = false;  // counts changed; waiting for the rate limit
  bool send_failed_ = false;     // a send failed; logged once
};

}  // namespace tq::daemon
