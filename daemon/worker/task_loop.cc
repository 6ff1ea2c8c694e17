// TaskLoop.
#include "task_loop.h"

#include <cxxabi.h>
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
      decoder_(limits_) {}

void TaskLoop::Progress(double done, double total, std::string_view message) {
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
    if (int rc = RunFrames(); rc >= 0) return rc;
  }
}

bool TaskLoop::SayHello() {
  const std::vector<std::string> names = registry_.names();
  proto::WorkerHello hello;
  hello.pid = static_cast<std::uint32_t>(::getpid());
  hello.functions.assign(names.begin(), names.end());
  for (const std::string& name : names) hello.origins.push_back(registry_.origin(name));
  const std::size_t start = proto::BeginFrame(out_);
  proto::Encode(hello, out_);
  proto::EndFrame(out_, start);
  return Flush();
}

// Runs every complete frame buffered; results are written once no
// further frame is waiting, so a burst costs one write. Returns an exit
// code to stop with, or -1 to keep reading.
int TaskLoop::RunFrames() {
  std::string_view frame;
  for (;;) {
    switch (reader_.Pop(&frame)) {
      case proto::FrameReader::Next::kNeedMore:
        return Flush() ? -1 : 0;
      case proto::FrameReader::Next::kTooLarge:
        std::fprintf(stderr,
                     "tq-worker: task frame of %u bytes is over the limit\n",
                     reader_.rejected_length());
        return 3;
      case proto::FrameReader::Next::kFrame:
        break;
    }
    proto::Result<proto::TaskAssignment> task = decoder_.DecodeTask(frame);
    if (!task.ok()) {
      // tqd and worker disagree on the protocol: nothing sane to answer.
      std::fprintf(stderr, "tq-worker: bad task frame: %s\n",
                   task.status().ToString().c_str());
      return 3;
    }
    RunOne(*task);
  }
}

void TaskLoop::RunOne(const proto::TaskAssignment& task) {
  value_.clear();
  proto::WorkerResult result;
  result.task_id = task.task_id;
  bool failed = true;
  std::string type, message;
  const RawTask* fn = registry_.find(task.fn);
  current_task_ = task.task_id;
  next_progress_ = {};
  if (fn == nullptr) {
    type = "tq.UnknownFunction";
    message = "this worker has no function '" + std::string(task.fn) + "'";
  } else {
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
  }
  current_task_ = 0;
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
  // The whole shape first: a malformed chunk runs nothing.
  bool valid = proto::ReadArrayHeader(args, &pos, &count);
  const std::size_t first = pos;
  for (std::uint32_t i = 0; valid && i < count; ++i) {
    valid = proto::SkipValue(args, &pos);
  }
  if (!valid || pos != args.size()) {
    throw TaskError("tq.BadArguments",
                    "a chunk's args must be one array of argument arrays");
  }
  Output out(&value_);
  msgpack::packer<Output> pk(out);
  pk.pack_array(count);
  pos = first;
  std::string type, message;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t start = pos;
    proto::SkipValue(args, &pos);
    const std::size_t mark = value_.size();
    pk.pack_array(2);
    pk.pack_uint8(0);
    const std::size_t before = value_.size();
    try {
      fn(args.substr(start, pos - start), out);
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
  }
}

bool TaskLoop::Flush() {
  const bool ok = WriteAll(result_fd_, out_.view());
  out_.clear();
  return ok;
}

}  // namespace tq::worker
