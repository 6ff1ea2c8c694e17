// FakeSpawner and FakeWorker.
#include "fake_worker.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "tq/proto/codec.h"
#include "tq/proto/framing.h"

namespace tq::daemon::testing {
namespace {

class FakeProcess final : public WorkerProcess {
 public:
  explicit FakeProcess(std::shared_ptr<FakeWorker> w) : w_(std::move(w)) {}
  pid_t pid() const override { return w_->pid; }
  void Signal(int signal) override {
    if (w_->reaped) return;
    w_->signals.push_back(signal);
    if (signal == SIGKILL || (signal == SIGTERM && w_->dies_on_term)) w_->Kill(signal);
  }
  std::optional<base::ExitStatus> TryReap() override {
    if (!w_->exit || w_->reaped) return std::nullopt;
    w_->reaped = true;
    return w_->exit;
  }
  std::uint64_t RssBytes() const override { return w_->exit ? 0 : w_->rss_bytes; }

 private:
  std::shared_ptr<FakeWorker> w_;
};

template <typename Message>
void WriteFrame(FakeWorker& w, const Message& m) {
  proto::Buffer out;
  const std::size_t start = proto::BeginFrame(out);
  proto::Encode(m, out);
  proto::EndFrame(out, start);
  w.WriteRaw(out.view());
}

}  // namespace

void FakeWorker::Hello(const std::vector<std::string>& functions) {
  proto::WorkerHello hello;
  hello.pid = static_cast<std::uint32_t>(pid);
  for (const std::string& f : functions) hello.functions.push_back(f);
  hello.prefetch = prefetch;
  WriteFrame(*this, hello);
}

void FakeWorker::Dropped(std::uint64_t task_id) {
  WriteFrame(*this, proto::TaskDropped{task_id});
}

void FakeWorker::Result(std::uint64_t task_id, std::string_view value) {
  proto::WorkerResult r;
  r.task_id = task_id;
  r.value = value;
  WriteFrame(*this, r);
}

void FakeWorker::Fail(std::uint64_t task_id, std::string_view type,
                      std::string_view message) {
  proto::WorkerResult r;
  r.task_id = task_id;
  r.state = proto::TaskState::kFailed;
  r.error.type = type;
  r.error.message = message;
  WriteFrame(*this, r);
}

void FakeWorker::Progress(std::uint64_t task_id, double done, double total) {
  WriteFrame(*this, proto::TaskProgress{0, task_id, done, total, ""});
}

void FakeWorker::WriteRaw(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(results.get(), bytes.data(), bytes.size());
    if (n <= 0) return;  // closed by the pool: a real worker gets EPIPE
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::optional<std::uint64_t> FakeWorker::ReadTask() {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(tasks.get(), buf, sizeof buf);
    if (n <= 0) break;
    pending_.append(buf, static_cast<std::size_t>(n));
  }
  for (;;) {
    proto::FrameReader reader(proto::Limits{}.max_message_bytes);
    reader.Append(pending_);
    std::string_view frame;
    if (reader.Pop(&frame) != proto::FrameReader::Next::kFrame) return std::nullopt;
    proto::Decoder decoder;
    auto m = decoder.DecodeToWorker(frame);
    pending_.erase(0, proto::kFrameHeaderBytes + frame.size());
    if (!m.ok()) return std::nullopt;
    if (const auto* drop = std::get_if<proto::TaskDrop>(&*m)) {
      drops.push_back(drop->task_id);
      continue;
    }
    const auto* task = std::get_if<proto::TaskAssignment>(&*m);
    if (task == nullptr) return std::nullopt;
    return task->task_id;
  }
}

bool FakeWorker::InputClosed() {
  char c;
  return tasks && ::read(tasks.get(), &c, 1) == 0;
}

void FakeWorker::ClosePipes() {
  tasks.Close();
  results.Close();
}

void FakeWorker::Exit(int code) {
  ClosePipes();
  exit = base::ExitStatus{.signaled = false, .code = code};
}

void FakeWorker::Kill(int signal) {
  ClosePipes();
  exit = base::ExitStatus{.signaled = true, .signal = signal};
}

proto::Result<SpawnedWorker> FakeSpawner::Spawn(const WorkerCommand& command) {
  commands.push_back(command);
  if (fail_with) return proto::Status(proto::ErrorCode::kConfig, *fail_with);
  auto tasks = base::Pipe::Create();
  auto results = base::Pipe::Create();
  if (!tasks.ok() || !results.ok()) return proto::Status(proto::ErrorCode::kConfig, "pipe");
  (void)base::SetNonBlocking(tasks->write.get());
  (void)base::SetNonBlocking(results->read.get());
  (void)base::SetNonBlocking(tasks->read.get());  // ReadTask never blocks
  auto w = std::make_shared<FakeWorker>();
  w->pid = next_pid_++;
  w->tasks = std::move(tasks->read);
  w->results = std::move(results->write);
  spawned.push_back(w);
  return SpawnedWorker{std::make_unique<FakeProcess>(w), std::move(tasks->write),
                       std::move(results->read)};
}

}  // namespace tq::daemon::testing
