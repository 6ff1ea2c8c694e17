// StackCapture.
#include "stack_capture.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "proc_stats.h"
#include "tq/proto/limits.h"

namespace tq::daemon {
namespace {

// Leave room in the 64 KiB error text for the note appended on truncation.
constexpr std::size_t kMaxStackBytes = proto::kMaxErrorTextBytes - 64;

}  // namespace

std::string StackCapture::FindTool() {
  std::string tool = FindOnPath("gdb");
  if (tool.empty()) tool = FindOnPath("eu-stack");
  return tool;
}

proto::Result<StackCapture> StackCapture::Start(const std::string& tool, pid_t pid,
                                                base::TimePoint deadline) {
  auto pipe = base::Pipe::Create();
  if (!pipe.ok()) return pipe.status();
  TQ_RETURN_IF_ERROR(base::SetNonBlocking(pipe->read.get()));
  base::SpawnOptions options;
  const std::string p = std::to_string(pid);
  if (tool.size() >= 8 && tool.compare(tool.size() - 8, 8, "eu-stack") == 0) {
    options.argv = {tool, "-p", p};
  } else {
    options.argv = {tool, "-batch", "-nx", "-q", "-p", p, "-ex", "thread apply all bt"};
  }
  base::Fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  options.fd_map = {{0, null.get()}, {1, pipe->write.get()}, {2, pipe->write.get()}};
  options.close_other_fds = true;
  auto process = base::Subprocess::Spawn(options);
  if (!process.ok()) return process.status();
  return StackCapture(std::move(*process), std::move(pipe->read), deadline);
}

bool StackCapture::ReadSome() {
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(out_.get(), buf, sizeof buf);
    if (n > 0) {
      const std::size_t room = kMaxStackBytes - std::min(text_.size(), kMaxStackBytes);
      text_.append(buf, std::min(static_cast<std::size_t>(n), room));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n == 0 || errno != EAGAIN;
  }
}

std::string StackCapture::TakeText() {
  if (!out_) return {};
  out_.Close();
  if (text_.size() >= kMaxStackBytes) text_ += "\n[truncated]";
  return std::move(text_);
}

}  // namespace tq::daemon
