// FitWithin and the file helpers of thumbnail.h.
#include "thumbnail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <tq/worker/task.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

namespace tq::thumbnails {

Dimensions FitWithin(Dimensions image, int box) {
  if (box >= image.width && box >= image.height) return image;
  // PIL 9's preserve_aspect_ratio(), step for step, so that both produce
  // the same sizes.
  const double aspect = static_cast<double>(image.width) / image.height;
  const double x = box;
  const double y = box;
  auto round_aspect = [](double number, auto key) {
    const double lo = std::floor(number);
    const double hi = std::ceil(number);
    return std::max(static_cast<int>(key(hi) < key(lo) ? hi : lo), 1);
  };
  if (x / y >= aspect) {
    return {round_aspect(y * aspect,
                         [&](double n) { return std::abs(aspect - n / y); }),
            box};
  }
  return {box, round_aspect(x / aspect, [&](double n) {
            return n == 0 ? 0 : std::abs(aspect - x / n);
          })};
}

namespace {

[[noreturn]] void ThrowFileError(const char* what, const std::string& path,
                                 int error) {
  throw worker::TaskError(kFileError, std::string("cannot ") + what + " '" +
                                          path + "': " + std::strerror(error));
}

// Closes a descriptor on every path out of a function.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }
  // Closes now, returning close()'s errno (0 on success).
  int Close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

}  // namespace

std::string ReadFile(const std::string& path) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) ThrowFileError("read", path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) ThrowFileError("read", path, errno);
  if (S_ISDIR(st.st_mode)) ThrowFileError("read", path, EISDIR);
  // One byte more than the size, so that the read that finds the end needs
  // no second buffer; files that grow meanwhile are read whole too.
  std::string bytes;
  bytes.resize(st.st_size > 0 ? static_cast<std::size_t>(st.st_size) + 1 : 1);
  std::size_t done = 0;
  for (;;) {
    if (done == bytes.size()) bytes.resize(bytes.size() * 2);
    const ssize_t n =
        ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowFileError("read", path, errno);
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

std::int64_t WriteFile(const std::string& path, std::string_view bytes) {
  ScopedFd fd(
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (fd.get() < 0) ThrowFileError("write", path, errno);
  std::string_view rest = bytes;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd.get(), rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowFileError("write", path, errno);
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (const int error = fd.Close(); error != 0) {
    ThrowFileError("write", path, error);
  }
  return static_cast<std::int64_t>(bytes.size());
}

}  // namespace tq::thumbnails
