// TaskLoop.
#include "task_loop.h"

#include <cxxabi.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <typeinfo>
#include <vector>

#include "tq/proto/msgpack_walk.h"
#include "tq/proto/utf8.h"

namespace tq::worker {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

std::string Demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> name(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), &std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(mangled);
}

// The type of the exception being handled, for catch (...) blocks.
std::string CurrentExceptionType() {
  const std::type_info* t = abi::__cxa_current_exception_type();
  return t == nullptr ? std::string("unknown") : Demangle(t->name());
}

// Error texts travel as msgpack str, which readers expect to be UTF-8:
// each byte that does not begin a well-formed character becomes '?', and a
// long text is cut at a character boundary.
std::string CleanText(std::string_view in) {
  constexpr std::size_t kMax = proto::kMaxErrorTextBytes - 16;
  std::string out;
  out.reserve(std::min(in.size(), kMax));
  while (!in.empty()) {
    const std::string_view valid = in.substr(0, proto::Utf8ValidPrefix(in));
    if (out.size() + valid.size() > kMax) {
      std::size_t cut = kMax - out.size();
      while (cut > 0 && (static_cast<unsigned char>(valid[cut]) & 0xc0) == 0x80) --cut;
      out.append(valid.substr(0, cut));
      out += " [truncated]";
      return out;
    }
    out.append(valid);
    in.remove_prefix(valid.size());
    if (in.empty()) break;
    if (out.size() + 1 > kMax) {
      out += " [truncated]";
      break;
    }
    out += '?';
    in.remove_prefix(1);
  }
  return out;
}

// The type and message of the exception being handled, for a failed
// result: TaskError's own type, else the demangled type of what was thrown.
void DescribeCurrentException(std::string* type, std::string* message) {
  try {
    throw;
  } catch (const TaskError& e) {
    *type = e.type();
    *message = e.what();
  } catch (const std::exception& e) {
    *type = CurrentExceptionType();
    *message = e.what();
  } catch (...) {
    *type = CurrentExceptionType();
    *message = "exception of non-standard type " + *type;
  }
}

// Writes all of `bytes` to the result pipe; false when tqd is gone.
bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

TaskLoop::TaskLoop(const Registry& registry, const proto::Limits& limits,
                   int task_fd, int result_fd)
    : registry_(registry),
      limits_(limits),
      task_fd_(task_fd),
      result_fd_(result_fd),
      reader_(limits_.max_message_bytes),
      decoder_(limits_),
      task_reader_(limits_.max_message_bytes),
      pipe_decoder_(limits_) {}

void TaskLoop::Progress(double done, double total, std::string_view message) {
  std::lock_guard lock(out_mu_);
  if (current_task_ == 0) return;
  const auto now = std::chrono::steady_clock::now();
  const bool last = total > 0 && done >= total;
  if (!last && now < next_progress_) return;
  next_progress_ = now + std::chrono::milliseconds(50);
  const std::string text = CleanText(message);
  const std::size_t start = proto::BeginFrame(out_);
  proto::Encode(proto::TaskProgress{0, current_task_, done, total, text}, out_);
  proto::EndFrame(out_, start);
  (void)Flush();  // a dead tqd shows up at the next read
}

int TaskLoop::Run() {
  if (!SayHello()) return 0;
  for (;;) {
    // A pipe task's own frames follow it: it reads them itself (FillInbox).
    const bool pipe_next = !queue_.empty() && queue_.front().pipe;
    if (!pipe_next) {
      // Wait for work when none is queued; else only take what has come,
      // drops included, before the next task starts.
      if (int rc = ReadTasks(queue_.empty()); rc >= 0) return rc;
      if (queue_.empty()) continue;
    }
    // What is answered reaches tqd before the next task starts: tqd counts
    // the first task it has no result of as the running one, and when a
    // worker dies only that one is lost (the ones behind it are queued
    // again).
    if (!Flush()) return 0;
    const QueuedTask task = std::move(queue_.front());
    queue_.pop_front();
    RunOne(proto::TaskAssignment{task.task_id, task.fn, task.args, task.chunk, task.pipe});
  }
}

int TaskLoop::ReadTasks(bool block) {
  if (block && !Flush()) return 0;  // a dead tqd shows up at the read too
  for (;;) {
    if (!block) {
      // The same call tells whether tqd is gone (our result pipe has no
      // reader): then no task it sent ahead starts, as it can no longer
      // hear of it.
      pollfd p[2] = {{task_fd_, POLLIN, 0}, {result_fd_, 0, 0}};
      const int ready = ::poll(p, 2, 0);
      if (ready < 0 && errno == EINTR) continue;
      if (ready > 0 && (p[1].revents & POLLERR) != 0) return 0;
      if (ready <= 0 || (p[0].revents & POLLIN) == 0) break;
    }
    std::size_t capacity = 0;
    char* space = reader_.Prepare(kReadChunk, &capacity);
    const ssize_t n = ::read(task_fd_, space, capacity);
    if (n == 0) return 0;  // tqd closed our pipe: time to go
    if (n < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "tq-worker: read: %s\n", std::strerror(errno));
      return 1;
    }
    reader_.Commit(static_cast<std::size_t>(n));
    // A read that did not fill the space found the pipe empty.
    if (static_cast<std::size_t>(n) < capacity) break;
    block = false;
  }
  return TakeFrames();
}

// Moves every complete frame buffered into queue_, acting on drops; stops
// after a pipe task, whose own frames it reads. Returns an exit code to
// stop with, or -1 to go on.
int TaskLoop::TakeFrames() {
  std::string_view frame;
  for (;;) {
    switch (reader_.Pop(&frame)) {
      case proto::FrameReader::Next::kNeedMore:
        return -1;
      case proto::FrameReader::Next::kTooLarge:
        std::fprintf(stderr,
                     "tq-worker: task frame of %u bytes is over the limit\n",
                     reader_.rejected_length());
        return 3;
      case proto::FrameReader::Next::kFrame:
        break;
    }
    proto::Result<proto::ToWorkerMessage> message = decoder_.DecodeToWorker(frame);
    if (!message.ok()) {
      // tqd and worker disagree on the protocol: nothing sane to answer.
      std::fprintf(stderr, "tq-worker: bad task frame: %s\n",
                   message.status().ToString().c_str());
      return 3;
    }
    if (const auto* task = std::get_if<proto::TaskAssignment>(&*message)) {
      queue_.push_back({task->task_id, std::string(task->fn), std::string(task->args),
                        task->chunk, task->pipe});
      if (task->pipe) return -1;
    } else if (const auto* drop = std::get_if<proto::TaskDrop>(&*message)) {
      // Not queued: it has started (or ended), and its result tells tqd so.
      const auto it = std::find_if(queue_.begin(), queue_.end(), [&](const QueuedTask& t) {
        return t.task_id == drop->task_id;
      });
      if (it != queue_.end()) {
        queue_.erase(it);
        const std::size_t start = proto::BeginFrame(out_);
        proto::Encode(proto::TaskDropped{drop->task_id}, out_);
        proto::EndFrame(out_, start);
      }
    }
    // Pipe frames between tasks are for one that has ended: dropped.
  }
}

Host::PipeStatus TaskLoop::PipeSend(std::string_view msgpack) {
  std::lock_guard lock(out_mu_);
  if (current_task_ == 0 || !has_pipe_) return PipeStatus::kNoPipe;
  if (!task_end_open_) return PipeStatus::kClosed;
  const std::size_t start = proto::BeginFrame(out_);
  proto::Encode(proto::PipeMessage{0, current_task_, msgpack, false}, out_);
  proto::EndFrame(out_, start);
  return Flush() ? PipeStatus::kOk : PipeStatus::kClosed;
}

void TaskLoop::PipeClose() {
  std::lock_guard lock(out_mu_);
  if (current_task_ == 0 || !has_pipe_ || !task_end_open_) return;
  task_end_open_ = false;
  const std::size_t start = proto::BeginFrame(out_);
  proto::Encode(proto::PipeMessage{0, current_task_, {}, true}, out_);
  proto::EndFrame(out_, start);
  (void)Flush();
}

bool TaskLoop::TakePipeFrame(proto::FrameReader& reader) {
  std::string_view frame;
  for (;;) {
    const auto next = reader.Pop(&frame);
    if (next != proto::FrameReader::Next::kFrame) return false;
    auto m = pipe_decoder_.DecodeToWorker(frame);
    // Only pipe frames of this task can come while it runs; anything else
    // (a stale frame of an earlier task's pipe) is not for it.
    const auto* pipe = m.ok() ? std::get_if<proto::PipeMessage>(&*m) : nullptr;
    if (pipe == nullptr || pipe->task_id != current_task_) continue;
    if (pipe->close) {
      client_closed_ = true;
    } else {
      inbox_.emplace_back(pipe->data);
    }
    return true;
  }
}

void TaskLoop::FillInbox(std::optional<std::chrono::steady_clock::time_point> deadline) {
  while (inbox_.empty() && !client_closed_) {
    // First what the loop's reader already holds behind the task's frame.
    if (!reading_task_reader_) {
      if (TakePipeFrame(reader_)) continue;
      // The rest of a frame begun there continues in the task's reader.
      task_reader_ = proto::FrameReader(limits_.max_message_bytes);
      task_reader_.Append(reader_.TakeRest());
      reading_task_reader_ = true;
    }
    if (TakePipeFrame(task_reader_)) continue;
    int wait_ms = -1;
    if (deadline) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(
          *deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      wait_ms = static_cast<int>(std::min<std::int64_t>(left.count(), 1 << 30));
    }
    pollfd p{task_fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return;
    std::size_t capacity = 0;
    char* space = task_reader_.Prepare(kReadChunk, &capacity);
    const ssize_t n = ready < 0 ? -1 : ::read(task_fd_, space, capacity);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // tqd closed our pipe (the task is being stopped): end of stream.
      client_closed_ = true;
      return;
    }
    task_reader_.Commit(static_cast<std::size_t>(n));
    if (task_reader_.buffered() > limits_.max_message_bytes + proto::kFrameHeaderBytes) {
      client_closed_ = true;  // an over-long frame: the stream is lost
    }
  }
}

Host::PipeStatus TaskLoop::PipeRecv(std::string* msgpack,
                                    std::optional<std::chrono::milliseconds> timeout) {
  std::lock_guard lock(read_mu_);
  if (current_task_ == 0 || !has_pipe_) return PipeStatus::kNoPipe;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (timeout) deadline = std::chrono::steady_clock::now() + *timeout;
  FillInbox(deadline);
  if (!inbox_.empty()) {
    *msgpack = std::move(inbox_.front());
    inbox_.pop_front();
    return PipeStatus::kOk;
  }
  return client_closed_ ? PipeStatus::kClosed : PipeStatus::kTimeout;
}

bool TaskLoop::PipePoll(std::chrono::milliseconds timeout) {
  std::lock_guard lock(read_mu_);
  if (current_task_ == 0 || !has_pipe_) return true;  // recv fails at once
  FillInbox(std::chrono::steady_clock::now() + timeout);
  return !inbox_.empty() || client_closed_;
}

bool TaskLoop::SayHello() {
  const std::vector<std::string> names = registry_.names();
  proto::WorkerHello hello;
  hello.pid = static_cast<std::uint32_t>(::getpid());
  hello.prefetch = true;
  hello.functions.assign(names.begin(), names.end());
  for (const std::string& name : names) hello.origins.push_back(registry_.origin(name));
  const std::size_t start = proto::BeginFrame(out_);
  proto::Encode(hello, out_);
  proto::EndFrame(out_, start);
  return Flush();
}

void TaskLoop::RunOne(const proto::TaskAssignment& task) {
  value_.clear();
  proto::WorkerResult result;
  result.task_id = task.task_id;
  bool failed = true;
  std::string type, message;
  const RawTask* fn = registry_.find(task.fn);
  {
    std::scoped_lock lock(out_mu_, read_mu_);
    current_task_ = task.task_id;
    has_pipe_ = task.pipe;
    task_end_open_ = task.pipe;
    client_closed_ = false;
    inbox_.clear();
  }
  next_progress_ = {};
  if (fn == nullptr) {
    type = "tq.UnknownFunction";
    message = "this worker has no function '" + std::string(task.fn) + "'";
  } else {
    const auto began = std::chrono::steady_clock::now();
    try {
      if (task.chunk) {
        RunChunk(*fn, task.args);
      } else {
        Output out(&value_);
        (*fn)(task.args, out);
      }
      failed = false;
    } catch (...) {
      DescribeCurrentException(&type, &message);
    }
    // tqd's estimate of what the function costs (what it may send ahead).
    const auto ran = std::chrono::steady_clock::now() - began;
    result.run_ns = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(
               std::chrono::duration_cast<std::chrono::nanoseconds>(ran).count()));
  }
  std::scoped_lock lock(out_mu_, read_mu_);
  current_task_ = 0;
  has_pipe_ = false;
  inbox_.clear();
  if (reading_task_reader_) {
    // The task's frame is done with: the task's reader, holding whatever
    // came after it, is the loop's from now on.
    reader_ = std::move(task_reader_);
    task_reader_ = proto::FrameReader(limits_.max_message_bytes);
    reading_task_reader_ = false;
  }
  if (!failed && value_.size() > limits_.max_result_bytes) {
    failed = true;
    type = "tq.ResultTooLarge";
    message = "result is " + std::to_string(value_.size()) +
              " bytes; the limit is " +
              std::to_string(limits_.max_result_bytes);
  }
  if (!failed) {
    if (value_.empty()) value_.assign(1, '\xc0');  // a raw task that wrote nothing: nil
    result.state = proto::TaskState::kDone;
    result.value = value_;
  } else {
    if (type.empty()) type = "tq.TaskError";
    type = CleanText(type);
    message = CleanText(message);
    result.state = proto::TaskState::kFailed;
    result.error = {type, message};
  }
  const std::size_t start = proto::BeginFrame(out_);
  proto::Encode(result, out_);
  proto::EndFrame(out_, start);
}

// A chunk (PROTOCOL.md §4.9): fn once per argument array of args, each
// item's outcome packed as [0, value] or [1, type, message], so that one
// item's exception does not cost the others their results.
void TaskLoop::RunChunk(const RawTask& fn, std::string_view args) {
  std::size_t pos = 0;
  std::uint32_t count = 0;
  // The whole shape first: a malformed chunk runs nothing. Where each
  // item ends is kept, so the calls below do not walk the chunk again.
  bool valid = proto::ReadArrayHeader(args, &pos, &count);
  std::size_t start = pos;  // of the first item
  item_ends_.clear();
  for (std::uint32_t i = 0; valid && i < count; ++i) {
    valid = proto::SkipValue(args, &pos);
    item_ends_.push_back(pos);
  }
  if (!valid || pos != args.size()) {
    throw TaskError("tq.BadArguments",
                    "a chunk's args must be one array of argument arrays");
  }
  Output out(&value_);
  msgpack::packer<Output> pk(out);
  pk.pack_array(count);
  std::string type, message;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t end = item_ends_[i];
    const std::size_t mark = value_.size();
    pk.pack_array(2);
    pk.pack_uint8(0);
    const std::size_t before = value_.size();
    try {
      fn(args.substr(start, end - start), out);
      if (value_.size() == before) {
        pk.pack_nil();  // a raw task that wrote nothing
      }
    } catch (...) {
      DescribeCurrentException(&type, &message);
      value_.resize(mark);
      pk.pack_array(3);
      pk.pack_uint8(1);
      pk.pack(CleanText(type));
      pk.pack(CleanText(message));
    }
    start = end;
  }
}

bool TaskLoop::Flush() {
  const bool ok = WriteAll(result_fd_, out_.view());
  out_.clear();
  return ok;
}

}  // namespace tq::worker
