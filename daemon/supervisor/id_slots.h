// IdSlots<T>: values by 64-bit id, kept in place in chunks of 64
// consecutive ids. tqd hands out task ids in increasing order and holds
// mostly a run of recent ones, so a chunk is mostly full and a value costs
// its size plus about a byte; in an unordered_map it also costs a node
// link, a copy of its key, an allocation header and its buckets, 40 bytes
// and more (bench: RSS per queued task). A chunk is freed when its last
// value goes, so a long-lived value keeps its chunk's 64 slots.
//
// Values never move: a pointer to one stays valid until it is erased.
// Not thread-safe.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <unordered_map>
#include <utility>

namespace tq::daemon {

template <typename T>
class IdSlots {
 public:
  IdSlots() = default;
  IdSlots(const IdSlots&) = delete;
  IdSlots& operator=(const IdSlots&) = delete;
  ~IdSlots() { clear(); }

  // The value for `id`, value-initialised if there was none.
  T& operator[](std::uint64_t id) {
    std::unique_ptr<Chunk>& c = chunks_[id / kSlots];
    if (c == nullptr) c.reset(new Chunk);  // slots left uninitialised
    const std::uint64_t bit = std::uint64_t{1} << (id % kSlots);
    T* slot = c->at(id % kSlots);
    if ((c->live & bit) == 0) {
      ::new (static_cast<void*>(slot)) T();
      c->live |= bit;
      ++size_;
    }
    return *slot;
  }

  // The value for `id`, or null.
  T* find(std::uint64_t id) const {
    auto it = chunks_.find(id / kSlots);
    if (it == chunks_.end()) return nullptr;
    Chunk& c = *it->second;
    if ((c.live >> (id % kSlots) & 1) == 0) return nullptr;
    return c.at(id % kSlots);
  }

  // Destroys the value for `id`. False if there was none.
  bool erase(std::uint64_t id) {
    auto it = chunks_.find(id / kSlots);
    if (it == chunks_.end()) return false;
    Chunk& c = *it->second;
    const std::uint64_t bit = std::uint64_t{1} << (id % kSlots);
    if ((c.live & bit) == 0) return false;
    c.at(id % kSlots)->~T();
    c.live &= ~bit;
    --size_;
    if (c.live == 0) chunks_.erase(it);
    return true;
  }

  // Calls f(T&) for every value, in no particular order. f must not add
  // or erase values.
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& [index, chunk] : chunks_) {
      for (std::uint64_t live = chunk->live; live != 0; live &= live - 1) {
        f(*chunk->at(static_cast<std::size_t>(std::countr_zero(live))));
      }
    }
  }

  void clear() {
    for (auto& [index, chunk] : chunks_) {
      for (std::uint64_t live = chunk->live; live != 0; live &= live - 1) {
        chunk->at(static_cast<std::size_t>(std::countr_zero(live)))->~T();
      }
    }
    chunks_.clear();
    size_ = 0;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Chunks allocated: how much memory the values hold, in 64-slot units.
  std::size_t chunks() const { return chunks_.size(); }

 private:
  static constexpr std::size_t kSlots = 64;
  struct Chunk {
    std::uint64_t live = 0;  // bit i: slot i holds a value
    alignas(T) std::byte bytes[kSlots * sizeof(T)];
    T* at(std::size_t i) {
      return std::launder(reinterpret_cast<T*>(bytes + i * sizeof(T)));
    }
  };

  // By id / kSlots. Ids restored with gaps, or far apart, cost a chunk
  // each, not the span between them.
  std::unordered_map<std::uint64_t, std::unique_ptr<Chunk>> chunks_;
  std::size_t size_ = 0;
};

}  // namespace tq::daemon
