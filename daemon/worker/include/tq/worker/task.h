// The task SDK: how plugins and custom worker programs offer functions to tq.
//
// A plugin is a shared library with one entry point:
//
//   #include <tq/worker/task.h>
//
//   TQ_PLUGIN(registry) {
//     registry.add("square", [](int x) { return x * x; });
//     registry.add("greet", [](std::string name) { return "hello " + name; });
//   }
//
// Start tqd with `--plugin /path/to/libmytasks.so` and every worker loads it.
// Arguments arrive as a msgpack array and are converted to the function's
// parameter types with msgpack-c (anything msgpack-c can convert: numbers,
// strings, std::vector, std::map, std::optional, your MSGPACK_DEFINE types);
// the return value is packed the same way (void becomes nil).
//
// Errors: whatever a task throws becomes a failed result. Throw
// tq::worker::TaskError to choose the error type clients see; any other
// exception reports its demangled C++ type ("std::invalid_argument") and
// what(). Arguments that do not fit the signature fail with type
// "tq.BadArguments" before the function runs.
//
// Tasks run one at a time on the worker's main thread. A Registry is filled
// at start-up and read-only afterwards.
//
// A task started with a pipe (a client's process_with_pipe) talks to its
// client through tq::worker::pipe(). A task that uses tqd's named objects,
// or submits tasks of its own, does it with tq::worker::client(), declared
// in tq/worker/client.h: including that header means linking libtq
// (tq::client); this one needs nothing but msgpack-c.
#pragma once

#include <msgpack.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "tq/proto/msgpack_type_name.h"

namespace tq::worker {

// Throw from a task to fail it with an error type of your choosing.
class TaskError : public std::runtime_error {
 public:
  TaskError(std::string type, const std::string& message)
      : std::runtime_error(message), type_(std::move(type)) {}
  const std::string& type() const { return type_; }

 private:
  std::string type_;
};

// What a task can tell the world while it runs. The worker runtime provides
// it; tasks use tq::progress() rather than this directly.
class Host {
 public:
  // What a pipe call found.
  enum class PipeStatus {
    kOk,       // sent, or a message received
    kClosed,   // the other end closed (or this one, for a send): end of stream
    kTimeout,  // nothing came within the time given
    kNoPipe,   // the task has no pipe, or none is running
  };

  virtual ~Host() = default;
  // done out of total (total 0: unknown), and a short sentence.
  virtual void Progress(double done, double total, std::string_view message) = 0;
  // The id of the task running now; 0 between tasks.
  virtual std::uint64_t CurrentTask() const { return 0; }
  // The running task's pipe: one msgpack message each way.
  virtual PipeStatus PipeSend(std::string_view /*msgpack*/) { return PipeStatus::kNoPipe; }
  // Waits for the next message, without limit or within `timeout`.
  virtual PipeStatus PipeRecv(std::string* /*msgpack*/,
                              std::optional<std::chrono::milliseconds> /*timeout*/) {
    return PipeStatus::kNoPipe;
  }
  // Whether PipeRecv would return at once, waiting up to `timeout`.
  virtual bool PipePoll(std::chrono::milliseconds /*timeout*/) { return true; }
  virtual void PipeClose() {}
};

namespace detail {
// The host of this shared object's tasks: each plugin has its own copy,
// set when it registers (TQ_PLUGIN), and the worker program its own.
inline Host*& CurrentHost() {
  static Host* host = nullptr;
  return host;
}
}  // namespace detail

// Reports how far the running task has got: the submitting client sees it
// (AsyncResult::progress(), the tq CLI's progress display). Cheap to call
// often: the runtime sends at most about 20 updates a second, and always
// the final one (done == total). Does nothing outside a task.
inline void progress(double done, double total, std::string_view message = {}) {
  if (Host* h = detail::CurrentHost()) h->Progress(done, total, message);
}

// The running task's pipe to the client that started it with one
// (client.process_with_pipe; Python's Pipe): msgpack values, in order each
// way. recv returns nullopt at the end of stream: the client closed its
// end or went away. A task that ends closes its end. Use it from the
// task's own threads while the task runs.
class Pipe {
 public:
  // Sends `message`; throws TaskError "tq.PipeClosed" once this end is
  // closed, "tq.NoPipe" in a task started without a pipe.
  template <typename T>
  void send(const T& message);
  // The next message as a T (TaskError "tq.BadMessage" if it is not one);
  // nullopt at the end of stream. Blocks until one comes.
  template <typename T>
  std::optional<T> recv();
  // Whether recv would return at once, waiting up to `timeout`.
  bool poll(std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    Host* h = detail::CurrentHost();
    return h == nullptr || h->PipePoll(timeout);
  }
  // Closes this end: the client's recv then returns nullopt.
  void close() {
    if (Host* h = detail::CurrentHost()) h->PipeClose();
  }
};

inline Pipe pipe() { return Pipe(); }

// Where a task writes its msgpack-encoded return value.
class Output {
 public:
  explicit Output(std::string* bytes) : bytes_(bytes) {}
  void write(const char* data, std::size_t n) { bytes_->append(data, n); }

 private:
  std::string* bytes_;
};

// A task with its conversions done: `args` is the msgpack-encoded argument
// array (possibly empty, meaning []); it packs one value into `out` or
// throws.
using RawTask = std::function<void(std::string_view args, Output& out)>;

namespace detail {

template <typename T>
struct Signature : Signature<decltype(&T::operator())> {};
template <typename R, typename... A>
struct Signature<R (*)(A...)> {
  using Return = R;
  using Args = std::tuple<std::decay_t<A>...>;
};
template <typename R, typename... A>
struct Signature<R(A...)> : Signature<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...) const> : Signature<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...)> : Signature<R (*)(A...)> {};

using ::tq::proto::TypeName;  // "int", "str", ...: one wording everywhere

// Limits for decoding arguments: generous, but a hostile array header
// cannot make the unpacker allocate gigabytes.
inline msgpack::unpack_limit ArgsLimit(std::size_t bytes) {
  const std::size_t n = bytes + 1;
  return msgpack::unpack_limit(n, n, n, n, n, 64);
}

template <typename Args, std::size_t... I>
void Convert(const msgpack::object& array, Args& out,
             std::index_sequence<I...>) {
  std::size_t at = 0;
  auto one = [&](auto& slot) {
    const msgpack::object& o = array.via.array.ptr[at];
    try {
      o.convert(slot);
    } catch (const std::exception&) {
      throw TaskError("tq.BadArguments",
                      "argument " + std::to_string(at + 1) +
                          " has the wrong type (got " + TypeName(o) + ")");
    }
    ++at;
  };
  (one(std::get<I>(out)), ...);
  (void)one;  // unused when the function takes no arguments
}

// Unpacks `args` into the tuple `Args`, or throws tq.BadArguments.
template <typename Args>
Args Unpack(std::string_view args) {
  Args out;
  constexpr std::size_t kArity = std::tuple_size_v<Args>;
  if (args.empty()) {
    if (kArity != 0) {
      throw TaskError("tq.BadArguments", "takes " + std::to_string(kArity) +
                                             " argument(s), got 0");
    }
    return out;
  }
  // One zone per thread, emptied for each call, rather than a fresh one:
  // a zone starts with an 8 KiB block, and its malloc and free were half
  // of a worker's time on a chunk of small calls (bench: map over 1M ints).
  // The arguments are converted into `out` before the zone is used again.
  thread_local msgpack::zone zone;
  zone.clear();
  msgpack::object o;
  try {
    o = msgpack::unpack(zone, args.data(), args.size(), nullptr, nullptr,
                        ArgsLimit(args.size()));
  } catch (const std::exception& e) {
    throw TaskError("tq.BadArguments",
                    std::string("arguments are not valid msgpack: ") + e.what());
  }
  if (o.type != msgpack::type::ARRAY) {
    throw TaskError("tq.BadArguments", "arguments must be an array");
  }
  if (o.via.array.size != kArity) {
    throw TaskError("tq.BadArguments",
                    "takes " + std::to_string(kArity) + " argument(s), got " +
                        std::to_string(o.via.array.size));
  }
  Convert(o, out, std::make_index_sequence<kArity>{});
  return out;
}

template <typename F>
RawTask Wrap(F fn) {
  using Sig = Signature<std::decay_t<F>>;
  using Args = typename Sig::Args;
  using Return = typename Sig::Return;
  return [fn = std::move(fn)](std::string_view args, Output& out) mutable {
    Args a = Unpack<Args>(args);
    msgpack::packer<Output> pk(out);
    if constexpr (std::is_void_v<Return>) {
      std::apply(fn, std::move(a));
      pk.pack_nil();
    } else {
      pk.pack(std::apply(fn, std::move(a)));
    }
  };
}

}  // namespace detail

// The functions a worker offers, by name.
class Registry {
 public:
  // Registers a typed function: a lambda, function pointer or functor with
  // one fixed signature. Replaces an earlier function of the same name.
  template <typename F>
  void add(const std::string& name, F fn) {
    add_raw(name, detail::Wrap(std::move(fn)));
  }
  // Registers a function that does its own (de)serialisation.
  void add_raw(const std::string& name, RawTask fn) {
    tasks_[name] = Entry{std::move(fn), origin_};
  }

  // nullptr when no function has that name.
  const RawTask* find(std::string_view name) const {
    auto it = tasks_.find(name);
    return it == tasks_.end() ? nullptr : &it->second.fn;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(tasks_.size());
    for (const auto& entry : tasks_) out.push_back(entry.first);
    return out;
  }
  // Where `name` came from: the plugin that registered it, "" for one the
  // worker program registered itself (or no such function).
  std::string_view origin(std::string_view name) const {
    auto it = tasks_.find(name);
    return it == tasks_.end() ? std::string_view() : std::string_view(it->second.origin);
  }
  // Functions registered from now on come from `origin` (the worker runtime
  // sets each plugin's path while the plugin registers).
  void set_origin(std::string origin) { origin_ = std::move(origin); }

  // Set by the worker runtime before plugins register.
  Host* host() const { return host_; }
  void set_host(Host* host) {
    host_ = host;
    detail::CurrentHost() = host;
  }

 private:
  struct Entry {
    RawTask fn;
    std::string origin;
  };
  std::map<std::string, Entry, std::less<>> tasks_;
  std::string origin_;
  Host* host_ = nullptr;
};

namespace detail {
inline std::string PackMessage(const auto& message) {
  std::string out;
  Output sink(&out);
  msgpack::packer<Output> pk(sink);
  pk.pack(message);
  return out;
}

[[noreturn]] inline void ThrowPipeStatus(Host::PipeStatus status) {
  if (status == Host::PipeStatus::kNoPipe) {
    throw TaskError("tq.NoPipe", "this task was started without a pipe");
  }
  throw TaskError("tq.PipeClosed", "the pipe is closed");
}
}  // namespace detail

template <typename T>
void Pipe::send(const T& message) {
  Host* h = detail::CurrentHost();
  const Host::PipeStatus status =
      h == nullptr ? Host::PipeStatus::kNoPipe : h->PipeSend(detail::PackMessage(message));
  if (status != Host::PipeStatus::kOk) detail::ThrowPipeStatus(status);
}

template <typename T>
std::optional<T> Pipe::recv() {
  Host* h = detail::CurrentHost();
  std::string bytes;
  const Host::PipeStatus status =
      h == nullptr ? Host::PipeStatus::kNoPipe : h->PipeRecv(&bytes, std::nullopt);
  if (status == Host::PipeStatus::kClosed) return std::nullopt;
  if (status != Host::PipeStatus::kOk) detail::ThrowPipeStatus(status);
  try {
    msgpack::object_handle oh = msgpack::unpack(bytes.data(), bytes.size(), nullptr, nullptr,
                                                detail::ArgsLimit(bytes.size()));
    return oh.get().as<T>();
  } catch (const std::exception& e) {
    throw TaskError("tq.BadMessage", std::string("a pipe message: ") + e.what());
  }
}

// The id of the task running now (0 outside a task).
inline std::uint64_t current_task_id() {
  Host* h = detail::CurrentHost();
  return h == nullptr ? 0 : h->CurrentTask();
}

// Runs the worker loop of a custom worker program (tqd --worker PATH):
// loads --plugin libraries given in argv into `registry`, says hello to tqd
// on fd 4 and serves tasks from fd 3 until tqd closes it. Returns the exit
// code for main().
int Main(int argc, char** argv, Registry& registry);

}  // namespace tq::worker

namespace tq {
using worker::progress;
}  // namespace tq

// Defines a plugin's entry point; the body receives `registry`. It also
// points this plugin's tq::progress() at the worker that loaded it.
#define TQ_PLUGIN(registry)                                                \
  static void tq_plugin_body(::tq::worker::Registry&);                     \
  extern "C" __attribute__((visibility("default"))) void                   \
  tq_plugin_register_v1(::tq::worker::Registry& tq_registry) {             \
    ::tq::worker::detail::CurrentHost() = tq_registry.host();              \
    tq_plugin_body(tq_registry);                                           \
  }                                                                        \
  static void tq_plugin_body(::tq::worker::Registry& registry)
