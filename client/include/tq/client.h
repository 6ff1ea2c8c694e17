// libtq: submit tasks to tqd from C++, the way Python's multiprocessing.Pool
// is used, against a shared, supervised pool.
//
//   tq::Client client;                                // $TQ_ENDPOINT or default
//   int y = client.apply<int>("square", 7);           // blocks: 49
//   auto r = client.apply_async<int>("square", 8);    // returns at once
//   r.on_done([](const tq::AsyncResult<int>& r) { ... });
//   int z = r.get(std::chrono::seconds(5));           // 64, or throws
//   std::vector<int> v = client.map<int>("square", std::vector{1, 2, 3});
//   for (auto& item : client.imap_unordered<int>("square", inputs)) ...
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
//
// Threading: a Client may be shared by any number of threads. Callbacks run
// on the client's callback thread; they may block or call the client, and
// an exception thrown by one goes to ClientOptions::on_callback_error
// without disturbing other results. AsyncResult may outlive its Client.
#pragma once

#include <msgpack.hpp>

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
#include <utility>
#include <vector>

#include "tq/errors.h"
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

// Converts a task's msgpack value to R, or throws ResultTypeError.
template <typename R>
R Unpack(const Outcome& o) {
  try {
    msgpack::object_handle oh = msgpack::unpack(o.value.data(), o.value.size());
    return oh.get().as<R>();
  } catch (const std::exception& e) {
    throw ResultTypeError("the value of task " + std::to_string(o.task_id) +
                          " does not convert to the requested type (" +
                          e.what() + ")");
  }
}

template <typename R>
R Value(const Outcome& o) {
  o.ThrowIfError();
  if constexpr (!std::is_void_v<R>) return Unpack<R>(o);
}

// A chunk's args: room for an array32 header, filled in by EndChunk
// once the count is known (array32 is valid msgpack for any count).
inline void BeginChunk(std::string& args) { args.assign(5, '\xdd'); }
void EndChunk(std::string& args, std::size_t count);

// One item of a chunked map: its value, or why it has none.
template <typename R>
struct ChunkItem {
  std::size_t index;
  std::optional<R> value;
  std::exception_ptr error;
};

// Splits the outcome of a chunk of `count` items, the first of them input
// `first`, into per-item values and errors (PROTOCOL.md §4.9). A chunk that
// failed as a whole fails each of its items alike.
template <typename R, typename Out>
void SplitChunk(const Outcome& o, std::size_t first, std::size_t count, Out& out) {
  auto fail_all = [&](std::size_t from, std::exception_ptr e) {
    for (std::size_t i = from; i < count; ++i) out.push_back({first + i, std::nullopt, e});
  };
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
      throw ProtocolError("task " + std::to_string(o.task_id) + ": a chunk of " +
                          std::to_string(count) + " items came back malformed");
    }
    for (; i < count; ++i) {
      const msgpack::object& item = all.via.array.ptr[i];
      if (item.type != msgpack::type::ARRAY || item.via.array.size < 2) {
        throw ProtocolError("task " + std::to_string(o.task_id) +
                            ": a malformed item in a chunk");
      }
      const msgpack::object* f = item.via.array.ptr;
      if (f[0].as<int>() == 0) {
        std::optional<R> value;
        try {
          value = f[1].as<R>();
        } catch (const std::exception& e) {
          out.push_back({first + i, std::nullopt,
                         std::make_exception_ptr(ResultTypeError(
                             "the value of item " + std::to_string(first + i) + " of task " +
                             std::to_string(o.task_id) +
                             " does not convert to the requested type (" + e.what() + ")"))});
          continue;
        }
        out.push_back({first + i, std::move(value), nullptr});
      } else {
        if (item.via.array.size < 3) {
          throw ProtocolError("task " + std::to_string(o.task_id) +
                              ": a malformed failed item in a chunk");
        }
        out.push_back({first + i, std::nullopt,
                       std::make_exception_ptr(RemoteError(
                           o.task_id, TaskState::kFailed, o.attempts, f[1].as<std::string>(),
                           f[2].as<std::string>(), {}))});
      }
    }
  } catch (const ProtocolError&) {
    fail_all(i, std::current_exception());
  } catch (const std::exception& e) {
    fail_all(i, std::make_exception_ptr(ProtocolError(
                    "task " + std::to_string(o.task_id) + ": a chunk's value: " + e.what())));
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
      throw TimeoutError("task " + std::to_string(raw_.task_id()) +
                         " did not finish within " +
                         std::to_string(timeout.count()) + " ms");
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
  // The id tqd gave the task; 0 until tqd accepted it.
  std::uint64_t task_id() const { return raw_.task_id(); }
  // The task's latest progress report (tq::progress() in the task), if any.
  std::optional<Progress> progress() const { return raw_.progress(); }
  // Calls fn with every progress report from now on, on the callback thread.
  void on_progress(std::function<void(const Progress&)> fn) const {
    raw_.on_progress(std::move(fn));
  }
  // Asks tqd to cancel the task (see RawResult::cancel); get() then throws
  // RemoteError with state() == TaskState::kCancelled. Returns at once.
  bool cancel() const { return raw_.cancel(); }
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

struct MapOptions {
  // Most tasks (chunks, when chunking) submitted and not yet finished at
  // any time; bounds memory on both sides, and lets the input be a lazily
  // produced range.
  std::size_t window = 1000;
  // Inputs per task, as Python's chunksize: one task runs fn on each input
  // of its chunk in turn, which saves the round trip per input when fn is
  // quick. Each item still gets its own value or error; but the task's
  // options (timeout, retries) apply to the whole chunk, and a worker that
  // dies fails every item of its chunk.
  //   0 (auto): one input per task if submit.timeout is set or the range
  //             has no size(), else size() / 128, between 1 and 8192.
  //   1:        one input per task.
  std::size_t chunksize = 0;
  // Applied to every task of the map (its key, if any, is ignored).
  SubmitOptions submit;
};

namespace detail {
// MapOptions::chunksize's auto rule, for n inputs (nullopt: unknown).
std::size_t ChunkSize(const MapOptions& options, std::optional<std::size_t> n);
}  // namespace detail

// One result of imap_unordered: the input's position and the value.
template <typename R>
struct Completed {
  std::size_t index;
  R value;
};

// The results of imap_unordered, in completion order; see Client.
// Range is an lvalue reference (the caller's inputs, which must outlive
// this) or a value (a temporary the caller passed, now owned here).
template <typename R, typename Range, typename Pack>
class ImapUnordered {
 public:
  ImapUnordered(RawClient& raw, std::string fn, Range&& inputs, Pack pack,
                MapOptions options)
      : raw_(raw), fn_(std::move(fn)), inputs_(std::forward<Range>(inputs)),
        next_(std::begin(inputs_)), last_(std::end(inputs_)),
        pack_(std::move(pack)),
        window_(options.window == 0 ? 1 : options.window),
        input_count_(InputCount()),
        chunksize_(detail::ChunkSize(options, input_count_)),
        submit_(std::move(options.submit)),
        queue_(std::make_shared<detail::CompletionQueue>()) {
    submit_.key.clear();  // one key cannot name many tasks
    submit_.chunk = chunksize_ > 1;
  }
  // Iterators point at their ImapUnordered: neither copy nor move it once
  // iteration has begun (returning it from imap_unordered is fine).
  ImapUnordered(const ImapUnordered&) = delete;
  ImapUnordered& operator=(const ImapUnordered&) = delete;

  // The next finished item, or nullopt when every input is done. Throws
  // the item's error (RemoteError etc.) if it failed; later calls go on
  // with the remaining items.
  std::optional<Completed<R>> next() {
    for (;;) {
      if (!split_.empty()) {
        detail::ChunkItem<R> item = std::move(split_.front());
        split_.pop_front();
        if (item.error) std::rethrow_exception(item.error);
        return Completed<R>{item.index, std::move(*item.value)};
      }
      Fill();
      if (in_flight_ == 0) return std::nullopt;
      const std::size_t tag = queue_->Pop();
      --in_flight_;
      RawResult call = std::move(calls_[tag]);
      calls_[tag] = RawResult();
      free_.push_back(tag);
      const Outcome& o = call.outcome();
      const std::size_t index = indexes_[tag];
      if (!submit_.chunk) {
        Fill();
        return Completed<R>{index, detail::Value<R>(o)};
      }
      detail::SplitChunk<R>(o, index, counts_[tag], split_);
      Fill();
    }
  }

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Completed<R>;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    iterator() = default;
    explicit iterator(ImapUnordered* owner) : owner_(owner) { ++*this; }
    reference operator*() const { return *current_; }
    pointer operator->() const { return &*current_; }
    iterator& operator++() {
      current_ = owner_->next();
      if (!current_) owner_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(const iterator& o) const { return owner_ == o.owner_; }

   private:
    ImapUnordered* owner_ = nullptr;
    std::optional<Completed<R>> current_;
  };
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

  // How many inputs there are, if the range knows (std::ranges::size).
  std::optional<std::size_t> size() const { return input_count_; }

 private:
  void Fill() {
    while (in_flight_ < window_ && next_ != last_) {
      std::size_t tag;
      if (free_.empty()) {
        tag = calls_.size();
        calls_.emplace_back();
        indexes_.push_back(0);
        counts_.push_back(0);
      } else {
        tag = free_.back();
        free_.pop_back();
      }
      indexes_[tag] = submitted_;
      args_.clear();
      if (submit_.chunk) {
        detail::BeginChunk(args_);
        std::size_t count = 0;
        // Bounded in bytes too, far below tqd's args limit (48 MiB).
        constexpr std::size_t kMaxChunkBytes = std::size_t{1} << 20;
        for (; count < chunksize_ && next_ != last_ && args_.size() < kMaxChunkBytes;
             ++count, ++next_) {
          pack_(args_, *next_);
        }
        detail::EndChunk(args_, count);
        counts_[tag] = count;
        submitted_ += count;
      } else {
        pack_(args_, *next_);
        ++submitted_;
        ++next_;
      }
      calls_[tag] = raw_.Submit(fn_, args_, submit_, queue_, tag);
      ++in_flight_;
    }
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
  std::size_t window_;
  std::optional<std::size_t> input_count_;
  std::size_t chunksize_;
  SubmitOptions submit_;
  std::shared_ptr<detail::CompletionQueue> queue_;
  std::vector<RawResult> calls_;       // by tag; tags are reused
  std::vector<std::size_t> indexes_;   // by tag: input position (of the first)
  std::vector<std::size_t> counts_;    // by tag: inputs in the chunk
  std::deque<detail::ChunkItem<R>> split_;  // a chunk's items not yet returned
  std::string args_;                   // reused for every submit
  std::vector<std::size_t> free_;      // unused tags
  std::size_t in_flight_ = 0;
  std::size_t submitted_ = 0;
};

class Client {
 public:
  explicit Client(ClientOptions options = {}) : raw_(std::move(options)) {}
  explicit Client(std::string endpoint) : raw_(WithEndpoint(std::move(endpoint))) {}

  // Submits fn(args...) and returns at once.
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

  // fn(x) for every x of `inputs`, results in input order. At most
  // options.window tasks are in flight. The first failure (in completion
  // order) is thrown once seen; tasks already submitted still run.
  template <typename R, typename Range>
  std::vector<R> map(std::string_view fn, Range&& inputs,
                     MapOptions options = {}) {
    return Collect<R>(
        imap_unordered<R>(fn, std::forward<Range>(inputs), options));
  }

  // Like map, for functions of several arguments: each input is a tuple
  // (or pair) unpacked into the call, as Python's starmap.
  template <typename R, typename Range>
  std::vector<R> starmap(std::string_view fn, Range&& inputs,
                         MapOptions options = {}) {
    auto pack = [](std::string& out, const auto& t) { detail::PackTupleInto(out, t); };
    ImapUnordered<R, Range, decltype(pack)> results(
        raw_, std::string(fn), std::forward<Range>(inputs), pack, options);
    return Collect<R>(results);
  }

  // fn(x) for every x of `inputs`, yielded as {index, value} in the order
  // they finish. Inputs are read lazily, window at a time. A temporary
  // range is kept alive by the returned object; a named one must outlive
  // it.
  template <typename R, typename Range>
  auto imap_unordered(std::string_view fn, Range&& inputs,
                      MapOptions options = {}) {
    auto pack = [](std::string& out, const auto& x) { detail::PackArgsInto(out, x); };
    return ImapUnordered<R, Range, decltype(pack)>(
        raw_, std::string(fn), std::forward<Range>(inputs), pack, options);
  }

  // Who is serving: throws ConnectionError if nobody answers.
  ServerInfo ping() { return raw_.Ping(); }
  const std::string& endpoint() const { return raw_.endpoint(); }
  // The untyped client underneath, for msgpack bytes in and out.
  RawClient& raw() { return raw_; }

 private:
  static ClientOptions WithEndpoint(std::string endpoint) {
    ClientOptions o;
    o.endpoint = std::move(endpoint);
    return o;
  }

  template <typename R, typename Results>
  static std::vector<R> Collect(Results&& results) {
    if constexpr (std::is_default_constructible_v<R>) {
      // Straight into place: a million results cost one allocation.
      if (const std::optional<std::size_t> n = results.size()) {
        std::vector<R> out(*n);
        while (auto item = results.next()) {
          if (item->index >= out.size()) out.resize(item->index + 1);
          out[item->index] = std::move(item->value);
        }
        return out;
      }
    }
    std::vector<std::optional<R>> slots;
    while (auto item = results.next()) {
      if (item->index >= slots.size()) slots.resize(item->index + 1);
      slots[item->index] = std::move(item->value);
    }
    std::vector<R> out;
    out.reserve(slots.size());
    for (auto& s : slots) out.push_back(std::move(*s));
    return out;
  }

  RawClient raw_;
};

}  // namespace tq
