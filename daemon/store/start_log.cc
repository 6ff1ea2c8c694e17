// StartLog.
#include "store/start_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tq::store {

using proto::ErrorCode;
using proto::Status;

namespace {

constexpr std::size_t kEntryBytes = 16;
// The check word: the id and attempt mixed, so that bytes that are not an
// entry (a file cut short and grown again) are not taken for one.
std::uint32_t Check(std::uint64_t id, std::uint32_t attempt) {
  return static_cast<std::uint32_t>(id ^ (id >> 32)) ^ (attempt * 0x9e3779b9u) ^ 0x7451u;
}

void Put(unsigned char* out, std::uint64_t id, std::uint32_t attempt) {
  const std::uint32_t check = Check(id, attempt);
  std::memcpy(out, &id, 8);
  std::memcpy(out + 8, &attempt, 4);
  std::memcpy(out + 12, &check, 4);
}

Status Failed(const std::string& what, const std::string& path) {
  return Status(ErrorCode::kIo, "cannot " + what + " " + path + ": " + std::strerror(errno));
}

// Writes all of `bytes`, or fails with errno set.
bool WriteAll(int fd, const unsigned char* bytes, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

proto::Result<std::set<StartLog::Entry>> StartLog::Read(const std::string& dir) {
  const std::string path = dir + "/started";
  std::set<Entry> entries;
  base::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return entries;
    return Failed("read", path);
  }
  unsigned char buf[kEntryBytes * 512];
  std::size_t have = 0;
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf + have, sizeof buf - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Failed("read", path);
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
    std::size_t at = 0;
    for (; at + kEntryBytes <= have; at += kEntryBytes) {
      std::uint64_t id;
      std::uint32_t attempt, check;
      std::memcpy(&id, buf + at, 8);
      std::memcpy(&attempt, buf + at + 8, 4);
      std::memcpy(&check, buf + at + 12, 4);
      if (check == Check(id, attempt)) entries.emplace(id, attempt);
    }
    std::memmove(buf, buf + at, have - at);
    have -= at;
  }
  return entries;
}

proto::Result<StartLog> StartLog::Create(const std::string& dir) {
  const std::string path = dir + "/started";
  base::Fd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) return Failed("create", path);
  return StartLog(path, std::move(fd));
}

Status StartLog::Append(std::uint64_t id, std::uint32_t attempt) {
  unsigned char entry[kEntryBytes];
  Put(entry, id, attempt);
  // 16 bytes with O_APPEND: whole, or (a full disk) not at all.
  const ssize_t n = ::write(fd_.get(), entry, sizeof entry);
  if (n != static_cast<ssize_t>(sizeof entry)) {
    if (n >= 0) {
      // Cut short: take the partial entry back so the next one is aligned.
      (void)!::ftruncate(fd_.get(), ::lseek(fd_.get(), 0, SEEK_END) - n);
      errno = ENOSPC;
    }
    return Failed("append to", path_);
  }
  bytes_ += sizeof entry;
  return Status::Ok();
}

Status StartLog::Rewrite(const std::vector<Entry>& keep) {
  const std::string fresh = path_ + ".new";
  base::Fd fd(::open(fresh.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) return Failed("create", fresh);
  std::vector<unsigned char> bytes(keep.size() * kEntryBytes);
  for (std::size_t i = 0; i < keep.size(); ++i) {
    Put(bytes.data() + i * kEntryBytes, keep[i].first, keep[i].second);
  }
  if (!WriteAll(fd.get(), bytes.data(), bytes.size())) {
    const Status s = Failed("write", fresh);
    ::unlink(fresh.c_str());
    return s;
  }
  // No fsync: like every append, it must outlive tqd, not the machine.
  if (::rename(fresh.c_str(), path_.c_str()) != 0) {
    const Status s = Failed("rename " + fresh + " to", path_);
    ::unlink(fresh.c_str());
    return s;
  }
  fd_ = std::move(fd);
  bytes_ = bytes.size();
  return Status::Ok();
}

}  // namespace tq::store
