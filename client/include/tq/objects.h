// Typed handles to tqd's named objects: what multiprocessing's Manager
// hands out (dict, list, Queue, Lock, Semaphore, Event), hosted by tqd for
// every client and task that names them.
//
//   auto hits = client.dict<std::string, long>("hits");
//   hits.incr("/index.html");                  // atomic in tqd: one round trip
//   auto jobs = client.queue<Job>("jobs", 100);  // bounded: put waits when full
//   jobs.put(job);
//   std::optional<Job> next = jobs.get(std::chrono::seconds(1));
//   tq::Lock lock = client.lock("db");
//   { std::lock_guard guard(lock); ... }        // released also if we die
//
// Each call is one round trip to tqd and is atomic there (a blocking get,
// put, acquire or wait parks in tqd, never in a thread of yours beyond the
// call). Keys and values convert with msgpack-c like task arguments; keys
// compare as their msgpack bytes (so 1 and 1.0 are different keys). An
// object is created by the first call that changes it; reading one that
// does not exist reads as empty. Objects live in tqd's memory: they are
// lost when tqd stops.
//
// Errors throw: RejectedError with code OBJECT_FULL (a limit of tqd's),
// TOO_MANY_WAITING, NOT_FOUND (a list index out of range), BAD_VALUE (incr
// of a value that is no integer), WRONG_STATE (release of a lock you do
// not hold, a call on an object dropped while it waited); QueueFullError
// from a put whose timeout ran out; ConnectionError when tqd is gone.
//
// A handle refers to its RawClient, which must outlive it; it is cheap to
// copy, and may be used from any thread (each call is its own request).
// Included by tq/client.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tq/client.h"

namespace tq {

namespace detail {

// Waits for an object call and returns its answer, or throws its error.
inline ObjectAnswer Answer(const RawResult& call) {
  call.outcome().ThrowIfError();
  return call.answer();
}

// The handle underneath every typed one: a name, and calls on it.
class ObjectHandle {
 public:
  ObjectHandle(RawClient& raw, ObjectType type, std::string name)
      : raw_(&raw), type_(type), name_(std::move(name)) {}

  const std::string& name() const { return name_; }

  // A call of `op` on this object, to fill in and Send.
  ObjectCall On(std::string op) const {
    ObjectCall c;
    c.type = type_;
    c.name = name_;
    c.op = std::move(op);
    return c;
  }
  RawResult Send(const ObjectCall& c) const { return raw_->Object(c); }
  ObjectAnswer Call(const ObjectCall& c) const { return Answer(Send(c)); }
  // Drops the object: its data, its waiters (answered WRONG_STATE). True
  // if it existed.
  bool Drop() const { return Call(On("drop")).ok.value_or(false); }

  // What a value in this object is called in a ResultTypeError.
  std::string What(const char* part) const {
    return std::string(part) + " of " + KindName() + " '" + name_ + "'";
  }

 private:
  const char* KindName() const {
    switch (type_) {
      case ObjectType::kDict: return "dict";
      case ObjectType::kList: return "list";
      case ObjectType::kQueue: return "queue";
      case ObjectType::kLock: return "lock";
      case ObjectType::kSemaphore: return "semaphore";
      case ObjectType::kEvent: return "event";
    }
    return "object";
  }

  RawClient* raw_;
  ObjectType type_;
  std::string name_;
};

// Most items a call carries or an answer holds (PROTOCOL.md §6).
inline constexpr std::size_t kObjectItemsPerCall = 4096;

}  // namespace detail

// A dict of K to V (Manager().dict()), in insertion order.
template <typename K, typename V>
class Dict {
 public:
  Dict(RawClient& raw, std::string name) : h_(raw, ObjectType::kDict, std::move(name)) {}
  const std::string& name() const { return h_.name(); }

  // The value of `key`, or nullopt when it has none.
  std::optional<V> get(const K& key) const { return get_async(key).get(); }
  V get(const K& key, V fallback) const {
    std::optional<V> v = get(key);
    return v ? std::move(*v) : std::move(fallback);
  }
  AsyncResult<std::optional<V>> get_async(const K& key) const {
    return AsyncResult<std::optional<V>>(h_.Send(Keyed("get", key)));
  }
  void set(const K& key, const V& value) { set_async(key, value).get(); }
  AsyncResult<void> set_async(const K& key, const V& value) {
    ObjectCall c = Keyed("set", key);
    c.value = detail::PackValue(value);
    return AsyncResult<void>(h_.Send(c));
  }
  // Python's setdefault: sets `key` to `value` unless it has one; returns
  // the value it holds now.
  V setdefault(const K& key, const V& value) {
    ObjectCall c = Keyed("setdefault", key);
    c.value = detail::PackValue(value);
    return detail::UnpackValue<V>(*h_.Call(c).value, h_.What("a value"));
  }
  // Removes `key`; its value, or nullopt if it had none (Python's pop).
  std::optional<V> pop(const K& key) {
    ObjectAnswer a = h_.Call(Keyed("del", key));
    if (!a.value) return std::nullopt;
    return detail::UnpackValue<V>(*a.value, h_.What("a value"));
  }
  // Removes `key`; whether it was there.
  bool erase(const K& key) { return h_.Call(Keyed("del", key)).ok.value_or(false); }

  // Adds `by` to the integer `key` holds (a missing key counts as 0) and
  // returns the sum; atomic, unlike Manager's d[k] += 1. BAD_VALUE if it
  // holds something else.
  std::int64_t incr(const K& key, std::int64_t by = 1) { return incr_async(key, by).get(); }
  AsyncResult<std::int64_t> incr_async(const K& key, std::int64_t by = 1) {
    ObjectCall c = Keyed("incr", key);
    c.by = by;
    return AsyncResult<std::int64_t>(h_.Send(c));
  }

  // Sets `key` to `desired` if it holds `expected` (nullopt: if it has no
  // value), atomically; integers compare as numbers, anything else as
  // msgpack bytes. Returns whether it did; if not, *current (when given)
  // gets what the key holds instead.
  bool compare_and_set(const K& key, const std::optional<V>& expected, const V& desired,
                       std::optional<V>* current = nullptr) {
    ObjectCall c = Keyed("cas", key);
    if (expected) c.expect = detail::PackValue(*expected);
    c.value = detail::PackValue(desired);
    ObjectAnswer a = h_.Call(c);
    const bool swapped = a.ok.value_or(false);
    if (!swapped && current != nullptr) {
      current->reset();
      if (a.value) current->emplace(detail::UnpackValue<V>(*a.value, h_.What("a value")));
    }
    return swapped;
  }

  // Every key / item, in insertion order: one round trip per 4096 (a dict
  // changed meanwhile may be read half before, half after).
  std::vector<K> keys() const {
    std::vector<K> out;
    Page("keys", [&](const ObjectAnswer& a) {
      for (const std::string& k : a.keys) out.push_back(detail::UnpackValue<K>(k, h_.What("a key")));
    });
    return out;
  }
  std::vector<std::pair<K, V>> items() const {
    std::vector<std::pair<K, V>> out;
    Page("items", [&](const ObjectAnswer& a) {
      for (std::size_t i = 0; i < a.keys.size() && i < a.values.size(); ++i) {
        out.emplace_back(detail::UnpackValue<K>(a.keys[i], h_.What("a key")),
                         detail::UnpackValue<V>(a.values[i], h_.What("a value")));
      }
    });
    return out;
  }
  std::size_t size() const { return h_.Call(h_.On("size")).size.value_or(0); }

  // Sets every (key, value) of `pairs`: atomically per 4096 pairs.
  template <typename Range>
  void update(const Range& pairs) {
    ObjectCall c = h_.On("update");
    auto flush = [&] {
      if (c.keys.empty()) return;
      (void)h_.Call(c);
      c.keys.clear();
      c.values.clear();
    };
    for (const auto& [k, v] : pairs) {
      c.keys.push_back(detail::PackValue(k));
      c.values.push_back(detail::PackValue(v));
      if (c.keys.size() == detail::kObjectItemsPerCall) flush();
    }
    flush();
  }
  void clear() { (void)h_.Call(h_.On("clear")); }
  bool drop() { return h_.Drop(); }

 private:
  ObjectCall Keyed(const char* op, const K& key) const {
    ObjectCall c = h_.On(op);
    c.key = detail::PackValue(key);
    return c;
  }
  template <typename F>
  void Page(const char* op, F&& each) const {
    ObjectCall c = h_.On(op);
    for (;;) {
      ObjectAnswer a = h_.Call(c);
      each(a);
      if (a.cursor == 0) return;
      c.cursor = a.cursor;
    }
  }

  detail::ObjectHandle h_;
};

// A list of T (Manager().list()).
template <typename T>
class List {
 public:
  List(RawClient& raw, std::string name) : h_(raw, ObjectType::kList, std::move(name)) {}
  const std::string& name() const { return h_.name(); }

  // Appends `item`; returns the new length.
  std::size_t append(const T& item) { return h_.Call(Append(item)).size.value_or(0); }
  AsyncResult<void> append_async(const T& item) { return AsyncResult<void>(h_.Send(Append(item))); }
  // Appends every item of `items`: atomically per 4096.
  template <typename Range>
  void extend(const Range& items) {
    ObjectCall c = h_.On("extend");
    for (const auto& item : items) {
      c.values.push_back(detail::PackValue(item));
      if (c.values.size() == detail::kObjectItemsPerCall) {
        (void)h_.Call(c);
        c.values.clear();
      }
    }
    if (!c.values.empty()) (void)h_.Call(c);
  }
  // The item at `index` (negative: from the end); RejectedError NOT_FOUND
  // when there is none.
  T get(std::int64_t index) const {
    ObjectCall c = h_.On("get");
    c.index = index;
    return detail::UnpackValue<T>(*h_.Call(c).value, h_.What("an item"));
  }
  void set(std::int64_t index, const T& item) {
    ObjectCall c = h_.On("set");
    c.index = index;
    c.value = detail::PackValue(item);
    (void)h_.Call(c);
  }
  // Python's l[start:stop] (stop unset: to the end); one round trip per
  // 4096 items.
  std::vector<T> slice(std::int64_t start = 0, std::optional<std::int64_t> stop = std::nullopt) const {
    std::vector<T> out;
    ObjectCall c = h_.On("slice");
    c.index = start;
    c.stop = stop;
    for (;;) {
      ObjectAnswer a = h_.Call(c);
      for (const std::string& v : a.values) out.push_back(detail::UnpackValue<T>(v, h_.What("an item")));
      if (a.values.size() < detail::kObjectItemsPerCall) return out;
      // Whole pages came: ask for what follows, with the bounds as they
      // stood (counted from the start now, so a shift cannot loop).
      const auto n = static_cast<std::int64_t>(a.size.value_or(0));
      const std::int64_t from = c.index < 0 ? std::max<std::int64_t>(c.index + n, 0) : c.index;
      c.index = from + static_cast<std::int64_t>(a.values.size());
      if (c.stop && *c.stop < 0) c.stop = *c.stop + n;
    }
  }
  std::vector<T> all() const { return slice(0); }
  std::size_t size() const { return h_.Call(h_.On("size")).size.value_or(0); }
  void clear() { (void)h_.Call(h_.On("clear")); }
  bool drop() { return h_.Drop(); }

 private:
  ObjectCall Append(const T& item) const {
    ObjectCall c = h_.On("append");
    c.value = detail::PackValue(item);
    return c;
  }
  detail::ObjectHandle h_;
};

// A FIFO queue of T (multiprocessing.Queue), optionally bounded.
template <typename T>
class Queue {
 public:
  // `capacity` applies when a call of this handle creates the queue.
  Queue(RawClient& raw, std::string name, std::uint64_t capacity = 0)
      : h_(raw, ObjectType::kQueue, std::move(name)), capacity_(capacity) {}
  const std::string& name() const { return h_.name(); }

  // Appends `item`; a full queue waits for room without limit.
  void put(const T& item) { put_async(item).get(); }
  // The same within `timeout`; false if the queue stayed full (0: do not
  // wait).
  bool put(const T& item, std::chrono::milliseconds timeout) {
    try {
      put_async(item, timeout).get();
      return true;
    } catch (const QueueFullError&) {
      return false;
    }
  }
  AsyncResult<void> put_async(const T& item,
                              std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    ObjectCall c = Call("put", timeout);
    c.value = detail::PackValue(item);
    return AsyncResult<void>(h_.Send(c));
  }
  // Takes the first item, waiting for one without limit.
  T get() { return *get_async().get(); }
  // The same within `timeout` (0: only what is there); nullopt if none came.
  std::optional<T> get(std::chrono::milliseconds timeout) { return get_async(timeout).get(); }
  AsyncResult<std::optional<T>> get_async(
      std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    return AsyncResult<std::optional<T>>(h_.Send(Call("get", timeout)));
  }
  // Up to `most` items (at most 4096): those there now, else, within
  // `timeout` (unset: without limit), the first that comes.
  std::vector<T> get_many(std::size_t most,
                          std::optional<std::chrono::milliseconds> timeout = std::chrono::milliseconds(0)) {
    ObjectCall c = Call("get_many", timeout);
    c.count = std::min(most, detail::kObjectItemsPerCall);
    std::vector<T> out;
    for (const std::string& v : h_.Call(c).values) out.push_back(detail::UnpackValue<T>(v, h_.What("an item")));
    return out;
  }
  std::size_t size() const { return h_.Call(h_.On("size")).size.value_or(0); }
  bool empty() const { return size() == 0; }
  void clear() { (void)h_.Call(h_.On("clear")); }
  bool drop() { return h_.Drop(); }

 private:
  ObjectCall Call(const char* op, std::optional<std::chrono::milliseconds> timeout) const {
    ObjectCall c = h_.On(op);
    c.timeout = timeout;
    c.capacity = capacity_;
    return c;
  }

  detail::ObjectHandle h_;
  std::uint64_t capacity_;
};

// What an acquire got: the lock (operator bool), and whether its last
// holder ended holding it (what it guarded may be half-done).
struct Acquired {
  bool acquired = false;
  bool broken = false;
  explicit operator bool() const { return acquired; }
};

// A mutex (multiprocessing.Lock) that only its holder may release, and
// that is released for a holder whose connection or task ends (the next
// holder is told `broken`). Not reentrant. lock()/unlock()/try_lock*()
// make it usable with std::lock_guard and std::unique_lock.
class Lock {
 public:
  Lock(RawClient& raw, std::string name) : h_(raw, ObjectType::kLock, std::move(name)) {}
  const std::string& name() const { return h_.name(); }

  // Waits for the lock without limit, or within `timeout` (0: only if free).
  Acquired acquire(std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    ObjectCall c = h_.On("acquire");
    c.timeout = timeout;
    ObjectAnswer a = h_.Call(c);
    return {a.ok.value_or(false), a.broken};
  }
  // RejectedError WRONG_STATE if this caller does not hold it.
  void release() { (void)h_.Call(h_.On("release")); }
  // Whether anyone holds it now.
  bool locked() const { return h_.Call(h_.On("value")).ok.value_or(false); }
  bool drop() { return h_.Drop(); }

  void lock() { (void)acquire(); }
  void unlock() { release(); }
  bool try_lock() { return acquire(std::chrono::milliseconds(0)).acquired; }
  template <typename Rep, typename Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& d) {
    return acquire(std::chrono::ceil<std::chrono::milliseconds>(d)).acquired;
  }

 private:
  detail::ObjectHandle h_;
};

// A counting semaphore (multiprocessing.Semaphore); permits of a holder
// whose connection or task ends are given back.
class Semaphore {
 public:
  // `initial` applies when a call of this handle creates it.
  Semaphore(RawClient& raw, std::string name, std::uint64_t initial = 1)
      : h_(raw, ObjectType::kSemaphore, std::move(name)), initial_(initial) {}
  const std::string& name() const { return h_.name(); }

  // Takes a permit, waiting without limit or within `timeout`.
  bool acquire(std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    ObjectCall c = Call("acquire");
    c.timeout = timeout;
    return h_.Call(c).ok.value_or(false);
  }
  // Gives a permit back (anyone may, as in Python).
  void release() { (void)h_.Call(Call("release")); }
  // Permits free now.
  std::uint64_t value() const { return h_.Call(Call("value")).size.value_or(0); }
  bool drop() { return h_.Drop(); }

 private:
  ObjectCall Call(const char* op) const {
    ObjectCall c = h_.On(op);
    c.initial = initial_;
    return c;
  }
  detail::ObjectHandle h_;
  std::uint64_t initial_;
};

// An event (multiprocessing.Event).
class Event {
 public:
  Event(RawClient& raw, std::string name) : h_(raw, ObjectType::kEvent, std::move(name)) {}
  const std::string& name() const { return h_.name(); }

  void set() { (void)h_.Call(h_.On("set")); }
  void clear() { (void)h_.Call(h_.On("clear")); }
  bool is_set() const { return h_.Call(h_.On("is_set")).ok.value_or(false); }
  // Waits until it is set, without limit or within `timeout`; whether it is.
  bool wait(std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    ObjectCall c = h_.On("wait");
    c.timeout = timeout;
    return h_.Call(c).ok.value_or(false);
  }
  bool drop() { return h_.Drop(); }

 private:
  detail::ObjectHandle h_;
};

inline Lock Client::lock(std::string name) { return Lock(raw_, std::move(name)); }
inline Semaphore Client::semaphore(std::string name, std::uint64_t initial) {
  return Semaphore(raw_, std::move(name), initial);
}
inline Event Client::event(std::string name) { return Event(raw_, std::move(name)); }

}  // namespace tq
