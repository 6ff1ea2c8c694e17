// NotifyListener.
#include "notify_listener.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tq::testing {

NotifyListener::NotifyListener(std::string path)
    : path_(std::move(path)),
      fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (!fd_ || path_.empty() || path_.size() >= sizeof address.sun_path) {
    throw std::runtime_error("NotifyListener: bad path or no socket: " + path_);
  }
  std::memcpy(address.sun_path, path_.data(), path_.size());
  socklen_t size = offsetof(sockaddr_un, sun_path) + path_.size();
  if (path_[0] == '@') {
    address.sun_path[0] = '\0';
  } else {
    ++size;
  }
  if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), size) < 0) {
    throw std::runtime_error("NotifyListener: bind " + path_ + ": " +
                             std::strerror(errno));
  }
}

bool NotifyListener::Receive(std::chrono::milliseconds timeout) {
  pollfd p{fd_.get(), POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
  char buf[4096];
  const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0) return false;
  messages_.emplace_back(buf, static_cast<std::size_t>(n));
  return true;
}

void NotifyListener::Drain() {
  while (Receive(std::chrono::milliseconds(0))) {
  }
}

bool NotifyListener::WaitForLine(std::string_view line,
                                 std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  std::size_t seen = 0;
  for (;;) {
    for (; seen < messages_.size(); ++seen) {
      if (HasLine(messages_[seen], line)) return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    Receive(left);
  }
}

std::size_t NotifyListener::Count(std::string_view line) const {
  std::size_t n = 0;
  for (const std::string& m : messages_) n += HasLine(m, line) ? 1 : 0;
  return n;
}

int NotifyListener::Find(std::string_view line, std::size_t from) const {
  for (std::size_t i = from; i < messages_.size(); ++i) {
    if (HasLine(messages_[i], line)) return static_cast<int>(i);
  }
  return -1;
}

std::string NotifyListener::Dump() const {
  std::string out;
  for (const std::string& m : messages_) out += "[" + m + "]\n";
  return out;
}

namespace {

std::vector<std::string_view> Lines(std::string_view message) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= message.size()) {
    std::size_t end = message.find('\n', start);
    if (end == std::string_view::npos) end = message.size();
    lines.push_back(message.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace

bool HasLine(std::string_view message, std::string_view line) {
  for (std::string_view l : Lines(message)) {
    if (l == line) return true;
  }
  return false;
}

std::string Field(std::string_view message, std::string_view name) {
  for (std::string_view l : Lines(message)) {
    if (l.size() > name.size() && l.substr(0, name.size()) == name &&
        l[name.size()] == '=') {
      return std::string(l.substr(name.size() + 1));
    }
  }
  return {};
}

}  // namespace tq::testing
