// tq::Pool: a group of one client's tasks with multiprocessing.Pool's
// lifecycle, against tqd's shared workers.
//
//   {
//     tq::Pool pool(client);
//     auto r = pool.apply_async<int>("square", 7);
//     std::vector<int> v = pool.map<int>("square", inputs);
//     pool.close();   // no more submits
//     pool.join();    // waits for every task of this pool
//   }                 // without join(), the destructor terminate()s
//
// apply, apply_async, map, map_items, starmap, starmap_items, imap and
// imap_unordered are Client's, for tasks that belong to the pool.
// terminate() cancels every task of this pool, queued and running, and no
// other task of the client. A submit after close() or terminate() throws
// std::logic_error, as Python raises ValueError. Thread-safe; the client
// must outlive the pool. Included by tq/client.h.
#pragma once

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string_view>

#include "tq/client.h"

namespace tq {

class Pool {
 public:
  explicit Pool(Client& client) : client_(client), group_(std::make_shared<TaskGroup>()) {}
  // terminate() unless join() returned.
  ~Pool() {
    if (!joined()) terminate();
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  template <typename R, typename... Args>
  AsyncResult<R> apply_async(std::string_view fn, const Args&... args) {
    return apply_async<R>(SubmitOptions{}, fn, args...);
  }
  template <typename R, typename... Args>
  AsyncResult<R> apply_async(SubmitOptions options, std::string_view fn, const Args&... args) {
    CheckOpen();
    options.group = group_;
    return client_.apply_async<R>(options, fn, args...);
  }
  template <typename R, typename... Args>
  R apply(std::string_view fn, const Args&... args) {
    return apply_async<R>(fn, args...).get();
  }

  template <typename R, typename Range>
  std::vector<R> map(std::string_view fn, Range&& inputs, MapOptions options = {}) {
    return client_.map<R>(fn, std::forward<Range>(inputs), Own(std::move(options)));
  }
  template <typename R, typename Range>
  std::vector<MapItem<R>> map_items(std::string_view fn, Range&& inputs, MapOptions options = {}) {
    return client_.map_items<R>(fn, std::forward<Range>(inputs), Own(std::move(options)));
  }
  template <typename R, typename Range>
  std::vector<R> starmap(std::string_view fn, Range&& inputs, MapOptions options = {}) {
    return client_.starmap<R>(fn, std::forward<Range>(inputs), Own(std::move(options)));
  }
  template <typename R, typename Range>
  std::vector<MapItem<R>> starmap_items(std::string_view fn, Range&& inputs,
                                        MapOptions options = {}) {
    return client_.starmap_items<R>(fn, std::forward<Range>(inputs), Own(std::move(options)));
  }
  template <typename R, typename Range>
  auto imap(std::string_view fn, Range&& inputs, MapOptions options = {}) {
    return client_.imap<R>(fn, std::forward<Range>(inputs), Own(std::move(options)));
  }
  template <typename R, typename Range>
  auto imap_unordered(std::string_view fn, Range&& inputs, MapOptions options = {}) {
    return client_.imap_unordered<R>(fn, std::forward<Range>(inputs), Own(std::move(options)));
  }

  // No more tasks may be submitted; those submitted run on.
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  // Waits for every task of the pool. std::logic_error before close() or
  // terminate(), as in Python.
  void join() {
    {
      std::lock_guard lock(mu_);
      if (!closed_) throw std::logic_error("Pool::join() before close() or terminate()");
    }
    group_->WaitAll();
    std::lock_guard lock(mu_);
    joined_ = true;
  }
  // Cancels every task of the pool that has not ended, queued or running,
  // and waits for tqd to confirm; closes the pool.
  void terminate() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    (void)group_->CancelAll();
  }
  // Tasks of the pool that have not ended.
  std::size_t unfinished() const { return group_->unfinished(); }

 private:
  void CheckOpen() const {
    std::lock_guard lock(mu_);
    if (closed_) throw std::logic_error("the pool is closed: no more tasks may be submitted");
  }
  bool joined() const {
    std::lock_guard lock(mu_);
    return joined_;
  }
  MapOptions Own(MapOptions options) const {
    CheckOpen();
    options.submit.group = group_;
    return options;
  }

  Client& client_;
  std::shared_ptr<TaskGroup> group_;
  mutable std::mutex mu_;
  bool closed_ = false;  // guarded by mu_
  bool joined_ = false;
};

}  // namespace tq
