// Tmpfs: a small tmpfs mounted on a test's directory, to make a real full
// or read-only file system. Needs root (CAP_SYS_ADMIN); a test without it
// skips, saying why.
//
// The mount is undone in the destructor by path, whatever the test's
// outcome (a failed ASSERT returns through it); declare it after the
// TempDir that holds its mount point, so it goes first.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace tq::testing {

class Tmpfs {
 public:
  // Mounts a tmpfs of `bytes` on `path` (created if missing). Null, with
  // the reason in *why_not, when this process may not mount.
  static std::unique_ptr<Tmpfs> Mount(const std::string& path, std::size_t bytes,
                                      std::string* why_not);
  // umount2(path, MNT_DETACH): also when a file in it is still open.
  ~Tmpfs();
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  const std::string& path() const { return path_; }

  // Writes path()/filler until the file system is full (ENOSPC). Returns
  // false, with errno's text in *error, on any other failure.
  bool Fill(std::string* error);
  // Removes the filler: the space is free again.
  void Unfill();
  // Remounts read-only (writes then fail with EROFS). False on failure.
  bool RemountReadOnly(std::string* error);

 private:
  explicit Tmpfs(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace tq::testing
