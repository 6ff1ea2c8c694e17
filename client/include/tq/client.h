// libtq: submit tasks to tqd from C++, the way Python's multiprocessing.Pool
// is used, against a shared, supervised pool.
//
//   tq::Client client;                                // $TQ_ENDPOINT or default
//   int y = client.apply<int>("square", 7);           // blocks: 49
//   auto r = client.apply_async<int>("square", 8);    // returns at once
//   r.on_done([](const tq::AsyncResult<int>& r) { ... });
//   int z = r.get(std::chrono::seconds(5));           // 64, or throws
//   std::vector<int> v = client.map<int>("square", std::vector{1, 2, 3});
//   for (auto& item : client.imap_unordered<int>("square", inputs))
//     if (item.ok()) use(item.index, item.value());   // every input, failed or not
//
// Arguments and results are converted with msgpack-c: anything it packs
// (numbers, strings, std::vector, std::map, std::tuple, std::optional,
// MSGPACK_DEFINE types) can be passed and returned.
//
// Errors (all derive from tq::Error, see tq/errors.h): a task that throws,
// dies or is cancelled raises RemoteError from get() with the remote type
// and message; get(timeout) raises TimeoutError; an unreachable or lost tqd
// ConnectionError; a refused request RejectedError (QueueFullError when the
// queue is full); a value of another type than asked ResultTypeError.
// Bulk calls give each input its own outcome (tq::MapItem, tq/map_item.h);
// only map() and starmap() throw, at the first failure they see.
//
// Threading: a Client may be shared by any number of threads. Callbacks run
// on the client's callback thread; they may block or call the client, and
// an exception thrown by one goes to ClientOptions::on_callback_error
// without disturbing other results. AsyncResult may outlive its Client.
//
// Building: link the CMake target tq::tq (find_package(tq)), or use
// pkg-config's tq: both bring MSGPACK_NO_BOOST, which every translation
// unit of a program that includes msgpack.hpp should agree on.
#pragma once

#include <msgpack.hpp>

#include <charconv>
#include <chrono>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "tq/chunk_sizer.h"
#include "tq/errors.h"
#include "tq/export.h"
#include "tq/map_item.h"
#include "tq/map_options.h"
#include "tq/raw_client.h"

namespace tq {

namespace detail {

// A msgpack packer's stream that appends to a string: small arguments
// then cost no allocation at all (msgpack::sbuffer starts at 8 KiB).
struct StringSink {
  std::string* out;
  void write(const char* data, std::size_t n) { out->append(data, n); }
};

// Appends the argument array [args...] to out.
template <typename... Args>
void PackArgsInto(std::string& out, const Args&... args) {
  StringSink sink{&out};
  msgpack::packer<StringSink> pk(sink);
  pk.pack_array(sizeof...(Args));
  (pk.pack(args), ...);
}

template <typename... Args>
std::string PackArgs(const Args&... args) {
  std::string out;
  PackArgsInto(out, args...);
  return out;
}

// Appends the argument array of a tuple's elements to out.
template <typename Tuple>
void PackTupleInto(std::string& out, const Tuple& t) {
  std::apply([&out](const auto&... a) { PackArgsInto(out, a...); }, t);
}

// A msgpack value in a few words: "int 42", "str \"abc\"", "array of 3".
inline std::string DescribeValue(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return "nil";
    case msgpack::type::BOOLEAN: return o.via.boolean ? "bool true" : "bool false";
    case msgpack::type::POSITIVE_INTEGER: return "int " + std::to_string(o.via.u64);
    case msgpack::type::NEGATIVE_INTEGER: return "int " + std::to_string(o.via.i64);
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: {
      char buf[32];  // the shortest text that reads back as the same double
      const auto end = std::to_chars(buf, buf + sizeof buf, o.via.f64).ptr;
      return "float " + std::string(buf, end);
    }
    case msgpack::type::STR: {
      constexpr std::size_t kShown = 40;
      const std::string_view s(o.via.str.ptr, o.via.str.size);
      return "str \"" + std::string(s.substr(0, kShown)) +
             (s.size() > kShown ? "\"..." : "\"");
    }
    case msgpack::type::BIN: return "bin of " + std::to_string(o.via.bin.size) + " bytes";
    case msgpack::type::ARRAY: return "array of " + std::to_string(o.via.array.size);
    case msgpack::type::MAP: return "map of " + std::to_string(o.via.map.size);
    case msgpack::type::EXT: return "ext type " + std::to_string(o.via.ext.type());
  }
  return "a msgpack value";
}

// o converted to R, or ResultTypeError naming `what` ("task 12"), R and
// what came instead. `what` is a string, or a function making one, called
// only on failure: a map converts every item of a chunk.
template <typename R, typename What>
R As(const msgpack::object& o, const What& what) {
  std::string why;
  try {
    return o.as<R>();
  } catch (const msgpack::type_error&) {
  } catch (const std::exception& e) {
    why = std::string(" (") + e.what() + ")";
  } catch (...) {
  }
  std::string named;
  if constexpr (std::is_invocable_v<const What&>) {
    named = what();
  } else {
    named = what;
  }
  throw ResultTypeError(named + ": expected " + TypeName(typeid(R)) + ", got " +
                        DescribeValue(o) + why);
}

// Converts a task's msgpack value to R, or throws ResultTypeError.
template <typename R>
R Unpack(const Outcome& o) {
  // An object call's answer has no task.
  const std::string what =
      o.task_id != 0 ? "task " + std::to_string(o.task_id) : std::string("tqd's answer");
  msgpack::object_handle oh;
  try {
    oh = msgpack::unpack(o.value.data(), o.value.size());
  } catch (const std::exception& e) {
    throw ProtocolError(what + ": its value is not msgpack: " + e.what());
  }
  return As<R>(oh.get(), what);
}

// One value, msgpack-encoded (a key, a value, a pipe message).
template <typename T>
std::string PackValue(const T& value) {
  std::string out;
  StringSink sink{&out};
  msgpack::packer<StringSink> pk(sink);
  pk.pack(value);
  return out;
}

// `bytes`, one msgpack value, as a T; ResultTypeError naming `what` if it
// is not one.
template <typename T>
T UnpackValue(std::string_view bytes, const std::string& what) {
  msgpack::object_handle oh;
  try {
    oh = msgpack::unpack(bytes.data(), bytes.size());
  } catch (const std::exception& e) {
    throw ProtocolError(what + " is not msgpack: " + e.what());
  }
  return As<T>(oh.get(), what);
}

template <typename R>
R Value(const Outcome& o) {
  o.ThrowIfError();
  if constexpr (!std::is_void_v<R>) return Unpack<R>(o);
}

// The outcome of a task that ran `count` inputs, the first of them input
// `first`, as one MapItem per input appended to `out`: one input per task
// (chunked false), or a chunk, whose value holds each input's outcome
// (PROTOCOL.md §4.9). A task that failed as a whole fails each of its
// inputs alike.
template <typename R, typename Out>
void SplitOutcome(const Outcome& o, bool chunked, std::size_t first, std::size_t count,
                  Out& out) {
  auto fail_all = [&](std::size_t from, std::exception_ptr e) {
    const Error* error = ErrorIn(e);
    for (std::size_t i = from; i < count; ++i) {
      out.push_back(MapItem<R>::Failure(first + i, e, error));
    }
  };
  auto task = [&o] { return "task " + std::to_string(o.task_id); };
  if (!chunked) {
    try {
      out.push_back(MapItem<R>::Value(first, Value<R>(o)));
    } catch (...) {
      fail_all(0, std::current_exception());
    }
    return;
  }
  try {
    o.ThrowIfError();
  } catch (...) {
    fail_all(0, std::current_exception());
    return;
  }
  std::size_t i = 0;
  try {
    msgpack::object_handle oh = msgpack::unpack(o.value.data(), o.value.size());
    const msgpack::object& all = oh.get();
    if (all.type != msgpack::type::ARRAY || all.via.array.size != count) {
      throw ProtocolError(task() + ": a chunk of " + std::to_string(count) +
                          " items came back malformed");
    }
    for (; i < count; ++i) {
      const msgpack::object& item = all.via.array.ptr[i];
      if (item.type != msgpack::type::ARRAY || item.via.array.size < 2) {
        throw ProtocolError(task() + ": a malformed item in a chunk");
      }
      const msgpack::object* f = item.via.array.ptr;
      if (f[0].as<int>() == 0) {
        try {
          out.push_back(MapItem<R>::Value(
              first + i, As<R>(f[1], [&] { return "item " + std::to_string(first + i) + " of " + task(); })));
        } catch (const ResultTypeError&) {
          out.push_back(MapItem<R>::Failure(first + i, std::current_exception()));
        }
        continue;
      }
      if (item.via.array.size < 3) {
        throw ProtocolError(task() + ": a malformed failed item in a chunk");
      }
      out.push_back(MapItem<R>::Failure(
          first + i, std::make_exception_ptr(RemoteError(
                         o.task_id, TaskState::kFailed, o.attempts, f[1].as<std::string>(),
                         f[2].as<std::string>(), {}))));
    }
  } catch (const ProtocolError&) {
    fail_all(i, std::current_exception());
  } catch (const std::exception& e) {
    fail_all(i, std::make_exception_ptr(ProtocolError(task() + ": a chunk's value: " + e.what())));
  }
}

}  // namespace detail

// The future of one task, like multiprocessing's AsyncResult.
template <typename R>
class AsyncResult {
 public:
  AsyncResult() = default;
  explicit AsyncResult(RawResult raw) : raw_(std::move(raw)) {}

  // Waits for the task and returns its value or throws (see file comment).
  R get() const { return detail::Value<R>(raw_.outcome()); }
  // As get(), but throws TimeoutError if the task has not ended in time.
  R get(std::chrono::milliseconds timeout) const {
    if (!raw_.wait_for(timeout)) {
      const std::uint64_t id = raw_.task_id();
      throw TimeoutError((id != 0 ? "task " + std::to_string(id) : std::string("a task")) +
                         " did not finish within " + std::to_string(timeout.count()) +
                         " ms");
    }
    return get();
  }
  void wait() const { raw_.wait(); }
  // True if the task ended within the timeout.
  bool wait(std::chrono::milliseconds timeout) const {
    return raw_.wait_for(timeout);
  }
  bool ready() const { return raw_.ready(); }
  // Whether the task ended with a value. Throws std::logic_error if it has
  // not ended yet (as Python raises ValueError).
  bool successful() const {
    if (!ready()) throw std::logic_error("successful() called before ready()");
    return raw_.outcome().ok();
  }
  // The id tqd gave the task, to find it again (Client::status, wait,
  // cancel; tq status ID). Right after apply_async the id may still be on
  // its way: this blocks until tqd accepted the task (one round trip), and
  // returns 0 if it never will (refused, or tqd unreachable: get() says
  // why).
  std::uint64_t task_id() const { return raw_.wait_accepted(); }
  // The task's latest progress report (tq::progress() in the task), if any.
  std::optional<Progress> progress() const { return raw_.progress(); }
  // Calls fn with every progress report from now on, on the callback thread.
  void on_progress(std::function<void(const Progress&)> fn) const {
    raw_.on_progress(std::move(fn));
  }
  // Asks tqd to cancel the task (see RawResult::cancel); get() then throws
  // RemoteError with state() == TaskState::kCancelled. Returns at once.
  bool cancel() const { return raw_.cancel(); }
  // Stops waiting without cancelling the task (see RawResult::forget);
  // get() then throws ForgottenError. Returns at once.
  bool forget() const { return raw_.forget(); }
  // The raw outcome (waits): state, error type and message without throwing.
  const Outcome& outcome() const { return raw_.outcome(); }

  // Calls fn(*this) on the client's callback thread when the task ends
  // (immediately if it has). fn may call get().
  void on_done(std::function<void(const AsyncResult&)> fn) const {
    AsyncResult self = *this;
    raw_.on_done([self, fn = std::move(fn)] { fn(self); });
  }

  const RawResult& raw() const { return raw_; }

 private:
  RawResult raw_;
};

namespace detail {

// Runs fn over a range of inputs, a window at a time, and hands out each
// input's MapItem in the order the tasks finish. The engine of map,
// map_items, imap and imap_unordered.
//
// Range is an lvalue reference (the caller's inputs, which must outlive
// this) or a value (a temporary the caller passed, now owned here). At most
// `window` inputs are in flight: submitted, and not yet Returned().
template <typename R, typename Range, typename Pack>
class MapEngine {
 public:
  MapEngine(RawClient& raw, std::string fn, Range&& inputs, Pack pack, MapOptions options)
      : raw_(raw), fn_(std::move(fn)), inputs_(std::forward<Range>(inputs)),
        next_(std::begin(inputs_)), last_(std::end(inputs_)),
        pack_(std::move(pack)),
        input_count_(InputCount()),
        chunksize_(ChunkSize(options, input_count_)),
        window_(Window(options, chunksize_)),
        chunked_(chunksize_ != 1),
        sizer_(window_),
        submit_(std::move(options.submit)),
        queue_(std::make_shared<CompletionQueue>()) {
    submit_.key.clear();  // one key cannot name many tasks
    // Nothing here hands out task ids: a message per task saved (a Pool's
    // map, whose group cancels by id, is still acknowledged).
    submit_.ack = false;
  }
  MapEngine(const MapEngine&) = delete;
  MapEngine& operator=(const MapEngine&) = delete;

  // The next input whose task ended, or nullopt once every input's item
  // has been handed out. Blocks while none has ended.
  std::optional<MapItem<R>> NextFinished() {
    for (;;) {
      if (split_head_ < split_.size()) {
        return std::optional<MapItem<R>>(std::in_place, std::move(split_[split_head_++]));
      }
      split_.clear();
      split_head_ = 0;
      Fill();
      if (tasks_in_flight_ == 0) return std::nullopt;
      std::chrono::steady_clock::time_point finished;
      const std::size_t tag = queue_->Pop(&finished);
      --tasks_in_flight_;
      RawResult call = std::move(calls_[tag]);
      calls_[tag] = RawResult();
      free_.push_back(tag);
      if (chunksize_ == 0 && call.outcome().ok()) Measure(counts_[tag], submitted_at_[tag], finished);
      SplitOutcome<R>(call.outcome(), chunked_, indexes_[tag], counts_[tag], split_);
    }
  }
  // One item NextFinished gave was handed to the caller: its input no
  // longer counts against the window.
  void Returned() { --inputs_in_flight_; }

  // How many inputs there are, if the range knows (std::ranges::size).
  std::optional<std::size_t> size() const { return input_count_; }

 private:
  // Submits chunks while the window has room for a whole one (and, when
  // sizing chunks as it goes, while few enough tasks are in flight).
  void Fill() {
    while (next_ != last_) {
      std::size_t size = chunksize_;
      if (size == 0) {
        if (tasks_in_flight_ >= sizer_.MaxTasksInFlight()) break;
        size = sizer_.Next(*input_count_ - submitted_);
      }
      if (inputs_in_flight_ != 0 && inputs_in_flight_ + size > window_) break;
      std::size_t tag;
      if (free_.empty()) {
        tag = calls_.size();
        calls_.emplace_back();
        indexes_.push_back(0);
        counts_.push_back(0);
        submitted_at_.emplace_back();
      } else {
        tag = free_.back();
        free_.pop_back();
      }
      indexes_[tag] = submitted_;
      args_.clear();
      std::size_t count = 0;
      if (chunked_) {
        BeginChunk(args_);
        // Bounded in bytes too, far below tqd's args limit (48 MiB).
        constexpr std::size_t kMaxChunkBytes = std::size_t{1} << 20;
        for (; count < size && next_ != last_ && args_.size() < kMaxChunkBytes;
             ++count, ++next_) {
          pack_(args_, *next_);
        }
        EndChunk(args_, count);
      } else {
        pack_(args_, *next_);
        ++next_;
        count = 1;
      }
      counts_[tag] = count;
      submitted_ += count;
      inputs_in_flight_ += count;
      submitted_at_[tag] = std::chrono::steady_clock::now();
      calls_[tag] = raw_.Submit(fn_, args_, submit_, queue_, tag,
                                chunked_ ? ArgsShape::kChunk : ArgsShape::kCall);
      ++tasks_in_flight_;
    }
  }

  // Tells the sizer how long a chunk took. At the first, asks tqd how many
  // workers it runs (it has just answered, so this is one round trip).
  void Measure(std::size_t count, std::chrono::steady_clock::time_point submitted,
               std::chrono::steady_clock::time_point finished) {
    if (!workers_asked_) {
      workers_asked_ = true;
      try {
        sizer_.SetWorkers(raw_.Ping().workers);
      } catch (const Error&) {
        // Sized as for one worker: only the tail balances less well.
      }
    }
    sizer_.Finished(count, submitted, finished);
  }

  std::optional<std::size_t> InputCount() {
    if constexpr (std::ranges::sized_range<std::remove_reference_t<Range>>) {
      return static_cast<std::size_t>(std::ranges::size(inputs_));
    } else {
      return std::nullopt;
    }
  }

  RawClient& raw_;
  std::string fn_;
  Range inputs_;
  decltype(std::begin(std::declval<Range&>())) next_;
  decltype(std::end(std::declval<Range&>())) last_;
  Pack pack_;
  std::optional<std::size_t> input_count_;
  std::size_t chunksize_;  // 0: each chunk sized by sizer_ (input_count_ known)
  std::size_t window_;  // inputs, >= chunksize_
  bool chunked_;  // tasks carry ArgsShape::kChunk args
  ChunkSizer sizer_;
  bool workers_asked_ = false;
  SubmitOptions submit_;
  std::shared_ptr<CompletionQueue> queue_;
  std::vector<RawResult> calls_;       // by tag; tags are reused
  std::vector<std::size_t> indexes_;   // by tag: input position (of the first)
  std::vector<std::size_t> counts_;    // by tag: inputs in the task
  std::vector<std::chrono::steady_clock::time_point> submitted_at_;  // by tag
  // A task's items, handed out from split_head_ on. A vector, reused, not
  // a deque: a chunk's thousands of items cost no allocation.
  std::vector<MapItem<R>> split_;
  std::size_t split_head_ = 0;
  std::string args_;                   // reused for every submit
  std::vector<std::size_t> free_;      // unused tags
  std::size_t tasks_in_flight_ = 0;
  std::size_t inputs_in_flight_ = 0;   // submitted, not yet Returned()
  std::size_t submitted_ = 0;
};

// An input iterator over an Owner's next(), for range-for.
template <typename Owner, typename Item>
class ItemIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = Item;
  using difference_type = std::ptrdiff_t;
  using pointer = Item*;
  using reference = Item&;

  ItemIterator() = default;
  explicit ItemIterator(Owner* owner) : owner_(owner) { ++*this; }
  reference operator*() const { return *current_; }
  pointer operator->() const { return &*current_; }
  ItemIterator& operator++() {
    current_ = owner_->next();
    if (!current_) owner_ = nullptr;
    return *this;
  }
  void operator++(int) { ++*this; }
  bool operator==(const ItemIterator& o) const { return owner_ == o.owner_; }

 private:
  Owner* owner_ = nullptr;
  mutable std::optional<Item> current_;
};

}  // namespace detail

// The items of imap_unordered, in the order their tasks finish; see Client.
template <typename R, typename Range, typename Pack>
class ImapUnordered {
 public:
  ImapUnordered(RawClient& raw, std::string fn, Range&& inputs, Pack pack,
                MapOptions options)
      : engine_(raw, std::move(fn), std::forward<Range>(inputs), std::move(pack),
                std::move(options)) {}
  // Iterators point at their ImapUnordered: neither copy nor move it once
  // iteration has begun (returning it from imap_unordered is fine).
  ImapUnordered(const ImapUnordered&) = delete;
  ImapUnordered& operator=(const ImapUnordered&) = delete;

  // The next finished input's item (failed or not), or nullopt when every
  // input has been handed out. Blocks while none has finished.
  std::optional<MapItem<R>> next() {
    std::optional<MapItem<R>> item = engine_.NextFinished();
    if (item) engine_.Returned();
    return item;
  }

  using iterator = detail::ItemIterator<ImapUnordered, MapItem<R>>;
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

  // How many inputs there are, if the range knows (std::ranges::size).
  std::optional<std::size_t> size() const { return engine_.size(); }

 private:
  detail::MapEngine<R, Range, Pack> engine_;
};

// The items of imap, in input order; see Client.
template <typename R, typename Range, typename Pack>
class Imap {
 public:
  Imap(RawClient& raw, std::string fn, Range&& inputs, Pack pack, MapOptions options)
      : engine_(raw, std::move(fn), std::forward<Range>(inputs), std::move(pack),
                std::move(options)) {}
  Imap(const Imap&) = delete;
  Imap& operator=(const Imap&) = delete;

  // The next input's item (failed or not), in input order, or nullopt when
  // every input has been handed out. Blocks until that input's task ends;
  // inputs that finish before it wait here, within the window.
  std::optional<MapItem<R>> next() {
    for (;;) {
      if (!waiting_.empty() && waiting_.front()) {
        MapItem<R> item = std::move(*waiting_.front());
        waiting_.pop_front();
        ++head_;
        engine_.Returned();
        return item;
      }
      std::optional<MapItem<R>> item = engine_.NextFinished();
      if (!item) return std::nullopt;
      const std::size_t slot = item->index - head_;
      if (waiting_.size() <= slot) waiting_.resize(slot + 1);
      waiting_[slot].emplace(std::move(*item));
    }
  }

  using iterator = detail::ItemIterator<Imap, MapItem<R>>;
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

  std::optional<std::size_t> size() const { return engine_.size(); }

 private:
  detail::MapEngine<R, Range, Pack> engine_;
  std::size_t head_ = 0;  // index of the next item to hand out
  std::deque<std::optional<MapItem<R>>> waiting_;  // [i]: input head_ + i
};

template <typename K, typename V>
class Dict;
template <typename T>
class List;
template <typename T>
class Queue;
class Lock;
class Semaphore;
class Event;
class Process;
class Channel;
struct ProcessOptions;

class Client {
 public:
  // Connects to options.endpoint (empty: the default, see ClientOptions)
  // and starts the client's I/O thread, which alone owns its ZeroMQ socket;
  // a callback thread starts with the first callback. Does not wait for
  // tqd: if none answers, calls fail with ConnectionError (within a second
  // when an ipc:// socket file is missing, else after connect_timeout).
  // Throws ConnectionError if the endpoint is malformed ("tcp://x") or the
  // client's sockets cannot be made. The destructor ends calls still in
  // flight with ConnectionError("client closed") and joins both threads.
  explicit Client(ClientOptions options = {}) : raw_(std::move(options)) {}
  explicit Client(std::string endpoint) : raw_(WithEndpoint(std::move(endpoint))) {}

  // Submits fn(args...) and returns at once (unless max_in_flight tasks of
  // this client are unfinished: then it waits for one to end).
  template <typename R, typename... Args>
  AsyncResult<R> apply_async(std::string_view fn, const Args&... args) {
    return AsyncResult<R>(raw_.Submit(fn, detail::PackArgs(args...)));
  }

  // Runs fn(args...) and returns its value; throws as AsyncResult::get().
  template <typename R, typename... Args>
  R apply(std::string_view fn, const Args&... args) {
    return apply_async<R>(fn, args...).get();
  }

  // The same with options: priority, timeout, delay, retries, key.
  //   client.apply_async<int>({.priority = 5, .timeout = 2s}, "fn", x);
  template <typename R, typename... Args>
  AsyncResult<R> apply_async(const SubmitOptions& options, std::string_view fn,
                             const Args&... args) {
    return AsyncResult<R>(raw_.Submit(fn, detail::PackArgs(args...), options));
  }
  template <typename R, typename... Args>
  R apply(const SubmitOptions& options, std::string_view fn, const Args&... args) {
    return apply_async<R>(options, fn, args...).get();
  }

  // A task by id, also one submitted by another client or process, while
  // tqd keeps its result (result_ttl): get() waits for it.
  template <typename R>
  AsyncResult<R> wait(std::uint64_t task_id) {
    return AsyncResult<R>(raw_.Wait(task_id));
  }
  // What tqd knows of a task; cancel a queued or running task; requeue a
  // buried one. Blocking; RejectedError NOT_FOUND for an unknown id.
  TaskInfo status(std::uint64_t task_id) { return raw_.Status(task_id); }
  TaskInfo cancel(std::uint64_t task_id) { return raw_.Cancel(task_id); }
  TaskInfo kick(std::uint64_t task_id) { return raw_.Kick(task_id); }
  // The pool and the queue, now.
  std::vector<WorkerStatus> workers() { return raw_.Workers(); }
  QueueStats stats() { return raw_.Stats(); }
  std::vector<FunctionInfo> functions() { return raw_.Functions(); }

  // Bulk calls. Each runs fn(x) for every x of `inputs`, which are read
  // lazily, at most options.window in flight (MapOptions: window,
  // chunksize). A temporary range is kept alive by the call or the object
  // it returns; a named one must outlive it.

  // The values in input order, like Pool.map. Throws the first failure it
  // sees (in completion order); tasks already submitted still run. To get
  // every input's outcome instead, use map_items.
  template <typename R, typename Range>
  std::vector<R> map(std::string_view fn, Range&& inputs, MapOptions options = {}) {
    return Values<R>(imap_unordered<R>(fn, std::forward<Range>(inputs), options));
  }
  // Every input's MapItem (value or error), in input order. Never throws
  // for an input's failure: a broken input is an item with !ok().
  template <typename R, typename Range>
  std::vector<MapItem<R>> map_items(std::string_view fn, Range&& inputs,
                                    MapOptions options = {}) {
    return Items<R>(imap_unordered<R>(fn, std::forward<Range>(inputs), options));
  }

  // As map and map_items, for functions of several arguments: each input
  // is a tuple (or pair) unpacked into the call, as Python's starmap.
  template <typename R, typename Range>
  std::vector<R> starmap(std::string_view fn, Range&& inputs, MapOptions options = {}) {
    ImapUnordered<R, Range, TuplePack> items(raw_, std::string(fn),
                                             std::forward<Range>(inputs), {}, options);
    return Values<R>(items);
  }
  template <typename R, typename Range>
  std::vector<MapItem<R>> starmap_items(std::string_view fn, Range&& inputs,
                                        MapOptions options = {}) {
    ImapUnordered<R, Range, TuplePack> items(raw_, std::string(fn),
                                             std::forward<Range>(inputs), {}, options);
    return Items<R>(items);
  }

  // Each input's MapItem, lazily, in input order (Python's imap), as a
  // range (for (auto& item : ...)) or through next().
  template <typename R, typename Range>
  auto imap(std::string_view fn, Range&& inputs, MapOptions options = {}) {
    return Imap<R, Range, ArgPack>(raw_, std::string(fn), std::forward<Range>(inputs), {},
                                   options);
  }
  // Each input's MapItem, lazily, in the order the tasks finish (Python's
  // imap_unordered).
  template <typename R, typename Range>
  auto imap_unordered(std::string_view fn, Range&& inputs, MapOptions options = {}) {
    return ImapUnordered<R, Range, ArgPack>(raw_, std::string(fn),
                                            std::forward<Range>(inputs), {}, options);
  }

  // Named objects hosted by tqd (tq/objects.h), shared with every client
  // and task that names them: handles, cheap to make, that must not
  // outlive this client. The first call that changes an object creates it.
  template <typename K, typename V>
  Dict<K, V> dict(std::string name) {
    return Dict<K, V>(raw_, std::move(name));
  }
  template <typename T>
  List<T> list(std::string name) {
    return List<T>(raw_, std::move(name));
  }
  // capacity: of a queue this handle creates (0: unbounded); put waits
  // while a bounded queue is full.
  template <typename T>
  Queue<T> queue(std::string name, std::uint64_t capacity = 0) {
    return Queue<T>(raw_, std::move(name), capacity);
  }
  Lock lock(std::string name);
  Semaphore semaphore(std::string name, std::uint64_t initial = 1);
  Event event(std::string name);

  // A Process (tq/process.h): one task, started by Process::start(), as
  // multiprocessing.Process runs target(*args).
  template <typename... Args>
  Process process(std::string_view fn, const Args&... args);
  template <typename... Args>
  Process process(const ProcessOptions& options, std::string_view fn, const Args&... args);
  // The same, with a pipe between this client and the running task
  // (Python's Pipe(), one end passed to the Process).
  template <typename... Args>
  std::pair<Process, Channel> process_with_pipe(std::string_view fn, const Args&... args);
  template <typename... Args>
  std::pair<Process, Channel> process_with_pipe(const ProcessOptions& options,
                                                std::string_view fn, const Args&... args);

  // Who is serving: throws ConnectionError if nobody answers.
  ServerInfo ping() { return raw_.Ping(); }
  const std::string& endpoint() const { return raw_.endpoint(); }
  // The untyped client underneath, for msgpack bytes in and out.
  RawClient& raw() { return raw_; }

 private:
  // How an input becomes a task's argument array.
  struct ArgPack {
    template <typename T>
    void operator()(std::string& out, const T& x) const { detail::PackArgsInto(out, x); }
  };
  struct TuplePack {
    template <typename T>
    void operator()(std::string& out, const T& t) const { detail::PackTupleInto(out, t); }
  };

  static ClientOptions WithEndpoint(std::string endpoint) {
    ClientOptions o;
    o.endpoint = std::move(endpoint);
    return o;
  }

  template <typename R, typename Results>
  static std::vector<R> Values(Results&& results) {
    if constexpr (std::is_default_constructible_v<R>) {
      // Straight into place: a million results cost one allocation.
      if (const std::optional<std::size_t> n = results.size()) {
        std::vector<R> out(*n);
        while (auto item = results.next()) {
          if (item->index >= out.size()) out.resize(item->index + 1);
          out[item->index] = std::move(*item).value();  // throws a failure
        }
        return out;
      }
    }
    std::vector<std::optional<R>> slots;
    while (auto item = results.next()) {
      if (item->index >= slots.size()) slots.resize(item->index + 1);
      slots[item->index].emplace(std::move(*item).value());
    }
    std::vector<R> out;
    out.reserve(slots.size());
    for (auto& s : slots) out.push_back(std::move(*s));
    return out;
  }

  template <typename R, typename Results>
  static std::vector<MapItem<R>> Items(Results&& results) {
    std::vector<std::optional<MapItem<R>>> slots;
    if (const std::optional<std::size_t> n = results.size()) slots.reserve(*n);
    while (auto item = results.next()) {
      if (item->index >= slots.size()) slots.resize(item->index + 1);
      slots[item->index].emplace(std::move(*item));
    }
    std::vector<MapItem<R>> out;
    out.reserve(slots.size());
    for (auto& s : slots) out.push_back(std::move(*s));
    return out;
  }

  RawClient raw_;
};

}  // namespace tq

// The handles the Client makes: named objects, processes, pools.
#include "tq/objects.h"  // IWYU pragma: export
#include "tq/pool.h"     // IWYU pragma: export
#include "tq/process.h"  // IWYU pragma: export
