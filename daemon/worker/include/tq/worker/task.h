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
#pragma once

#include <msgpack.hpp>

#include <cstddef>
#include <functional>
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
  virtual ~Host() = default;
  // done out of total (total 0: unknown), and a short sentence.
  virtual void Progress(double done, double total, std::string_view message) = 0;
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
  msgpack::object_handle oh;
  try {
    oh = msgpack::unpack(args.data(), args.size(), nullptr, nullptr,
                         ArgsLimit(args.size()));
  } catch (const std::exception& e) {
    throw TaskError("tq.BadArguments",
                    std::string("arguments are not valid msgpack: ") + e.what());
  }
  const msgpack::object& o = oh.get();
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
