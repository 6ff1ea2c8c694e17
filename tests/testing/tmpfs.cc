// Tmpfs.
#include "testing/tmpfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace tq::testing {

std::unique_ptr<Tmpfs> Tmpfs::Mount(const std::string& path, std::size_t bytes,
                                    std::string* why_not) {
  if (::geteuid() != 0) {
    *why_not = "mounting a tmpfs needs root; this test runs as uid " +
               std::to_string(::geteuid());
    return nullptr;
  }
  if (::mkdir(path.c_str(), 0700) < 0 && errno != EEXIST) {
    *why_not = "mkdir " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
  if (::mount("tmpfs", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) < 0) {
    *why_not = "mount -t tmpfs -o " + options + " tmpfs " + path + ": " +
               std::strerror(errno) + " (no CAP_SYS_ADMIN in this container?)";
    return nullptr;
  }
  return std::unique_ptr<Tmpfs>(new Tmpfs(path));
}

Tmpfs::~Tmpfs() { ::umount2(path_.c_str(), MNT_DETACH); }

bool Tmpfs::Fill(std::string* error) {
  const std::string filler = path_ + "/filler";
  const int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "open " + filler + ": " + std::strerror(errno);
    return false;
  }
  // Whole pages first, then single bytes for a partly used last page.
  const std::vector<char> page(4096, 'x');
  bool ok = true;
  for (std::size_t chunk : {page.size(), std::size_t{1}}) {
    for (;;) {
      const ssize_t n = ::write(fd, page.data(), chunk);
      if (n > 0) continue;
      if (n < 0 && errno == ENOSPC) break;
      *error = "write " + filler + ": " + (n < 0 ? std::strerror(errno) : "wrote 0 bytes");
      ok = false;
      break;
    }
    if (!ok) break;
  }
  ::close(fd);
  return ok;
}

void Tmpfs::Unfill() { ::unlink((path_ + "/filler").c_str()); }

bool Tmpfs::RemountReadOnly(std::string* error) {
  if (::mount(nullptr, path_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) < 0) {
    *error = "remount " + path_ + " read-only: " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace tq::testing
