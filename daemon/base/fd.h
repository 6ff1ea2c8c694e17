// Fd: sole owner of one file descriptor, closed on destruction.
//
// Move-only. Helpers turn failing system calls into Status values at the
// call site, with what was being done.
#pragma once

#include <utility>

#include "tq/proto/status.h"

namespace tq::base {

using proto::Result;
using proto::Status;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Close(); }
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Close();
      fd_ = other.Release();
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  [[nodiscard]] int Release() { return std::exchange(fd_, -1); }
  void Close();

 private:
  int fd_ = -1;
};

Status SetNonBlocking(int fd);

// Both ends of a pipe2(O_CLOEXEC) pipe.
struct Pipe {
  Fd read;
  Fd write;
  static Result<Pipe> Create();
};

}  // namespace tq::base
