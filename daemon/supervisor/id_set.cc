// IdSet.
#include "id_set.h"

namespace tq::daemon {
namespace {
constexpr std::uint64_t kBits = 64;
}  // namespace

bool IdSet::insert(std::uint64_t id) {
  const std::uint64_t word_base = id - id % kBits;
  if (words_.empty()) {
    base_ = word_base;
    words_.push_back(0);
  }
  while (word_base < base_) {  // an old id, e.g. a retry: grow downwards
    words_.push_front(0);
    base_ -= kBits;
  }
  const std::uint64_t w = (word_base - base_) / kBits;
  if (w >= words_.size()) words_.resize(w + 1, 0);
  std::uint64_t& word = words_[w];
  const std::uint64_t bit = std::uint64_t{1} << (id % kBits);
  if (word & bit) return false;
  word |= bit;
  ++size_;
  return true;
}

bool IdSet::erase(std::uint64_t id) {
  if (!contains(id)) return false;
  words_[(id - base_) / kBits] &= ~(std::uint64_t{1} << (id % kBits));
  --size_;
  while (!words_.empty() && words_.front() == 0) {
    words_.pop_front();
    base_ += kBits;
  }
  while (!words_.empty() && words_.back() == 0) words_.pop_back();
  return true;
}

bool IdSet::contains(std::uint64_t id) const {
  if (id < base_) return false;
  const std::uint64_t w = (id - base_) / kBits;
  return w < words_.size() && (words_[w] >> (id % kBits)) & 1;
}

}  // namespace tq::daemon
