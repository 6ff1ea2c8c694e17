// StartLog: DIR/started, which durable task attempts tqd handed to a
// worker. One plain write() per start, no fsync.
//
// Why: tqd takes durable tasks from the queue ahead of the workers and
// commits their start ("running") before any of them runs, so a worker
// that frees up finds its next task already on disk instead of waiting for
// an fsync. After a crash such a task reads "running" whether or not it
// was ever handed out. This log tells the two apart: an attempt in it may
// have run (it ends lost, or is retried, as the task says); one that is
// not was only claimed and goes back to the queue as it was.
//
// What it survives: a write() is in the kernel's page cache when it
// returns, so it outlives kill -9 and any crash of tqd, though not a power
// loss or kernel crash (README, Durability). An entry is written before
// the task goes down the worker's pipe.
//
// Entries are 16 bytes (id, attempt, a check word), appended with
// O_APPEND. Rewrite() replaces the file with the entries still needed
// (write a new file, rename over), so it stays small however many tasks
// run. Single-threaded.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/fd.h"
#include "tq/proto/status.h"

namespace tq::store {

class StartLog {
 public:
  using Entry = std::pair<std::uint64_t, std::uint32_t>;  // task id, attempt

  // The entries of DIR/started (none when there is no such file). A last
  // entry cut short is ignored.
  static proto::Result<std::set<Entry>> Read(const std::string& dir);
  // Opens DIR/started for appending, emptied: for after a recovery that
  // read it.
  static proto::Result<StartLog> Create(const std::string& dir);

  // Appends one entry. Fails with the reason (a full disk); the start must
  // then not happen yet.
  proto::Status Append(std::uint64_t id, std::uint32_t attempt);
  // Replaces the file with exactly `keep`.
  proto::Status Rewrite(const std::vector<Entry>& keep);
  // Bytes appended since the last Create() or Rewrite().
  std::uint64_t bytes() const { return bytes_; }

 private:
  StartLog(std::string path, base::Fd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  base::Fd fd_;
  std::uint64_t bytes_ = 0;
};

}  // namespace tq::store
