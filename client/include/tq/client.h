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
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "tq/errors.h"
#include "tq/raw_client.h"

namespace tq {

namespace detail {

template <typename... Args>
std::string PackArgs(const Args&... args) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_array(sizeof...(Args));
  (pk.pack(args), ...);
  return std::string(buf.data(), buf.size());
}

template <typename Tuple>
std::string PackTuple(const Tuple& t) {
  return std::apply([](const auto&... a) { return PackArgs(a...); }, t);
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
  // Most tasks submitted and not yet finished at any time; bounds memory
  // on both sides, and lets the input be a lazily produced range.
  std::size_t window = 1000;
  // Applied to every task of the map (its key, if any, is ignored).
  SubmitOptions submit;
};

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
        submit_(std::move(options.submit)),
        queue_(std::make_shared<detail::CompletionQueue>()) {
    submit_.key.clear();  // one key cannot name many tasks
  }
  // Iterators point at their ImapUnordered: neither copy nor move it once
  // iteration has begun (returning it from imap_unordered is fine).
  ImapUnordered(const ImapUnordered&) = delete;
  ImapUnordered& operator=(const ImapUnordered&) = delete;

  // The next finished item, or nullopt when every input is done. Throws
  // the item's error (RemoteError etc.) if it failed; later calls go on
  // with the remaining items.
  std::optional<Completed<R>> next() {
    Fill();
    if (in_flight_ == 0) return std::nullopt;
    const std::size_t tag = queue_->Pop();
    --in_flight_;
    RawResult call = std::move(calls_[tag]);
    calls_[tag] = RawResult();
    free_.push_back(tag);
    const Outcome& o = call.outcome();
    const std::size_t index = indexes_[tag];
    Fill();
    return Completed<R>{index, detail::Value<R>(o)};
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

 private:
  void Fill() {
    while (in_flight_ < window_ && next_ != last_) {
      std::size_t tag;
      if (free_.empty()) {
        tag = calls_.size();
        calls_.emplace_back();
        indexes_.push_back(0);
      } else {
        tag = free_.back();
        free_.pop_back();
      }
      indexes_[tag] = submitted_++;
      calls_[tag] = raw_.Submit(fn_, pack_(*next_), submit_, queue_, tag);
      ++next_;
      ++in_flight_;
    }
  }

  RawClient& raw_;
  std::string fn_;
  Range inputs_;
  decltype(std::begin(std::declval<Range&>())) next_;
  decltype(std::end(std::declval<Range&>())) last_;
  Pack pack_;
  std::size_t window_;
  SubmitOptions submit_;
  std::shared_ptr<detail::CompletionQueue> queue_;
  std::vector<RawResult> calls_;       // by tag; tags are reused
  std::vector<std::size_t> indexes_;   // by tag: input position
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
    auto pack = [](const auto& t) { return detail::PackTuple(t); };
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
    auto pack = [](const auto& x) { return detail::PackArgs(x); };
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
