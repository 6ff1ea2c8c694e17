// Buffer: a growable byte string that encoders append to.
//
// It has the write(const char*, size_t) member msgpack's packer expects, so
// encoders pack straight into it, and it is reused across messages to keep
// allocations off the hot path. Not thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tq::proto {

class Buffer {
 public:
  void write(const char* data, std::size_t n) { bytes_.append(data, n); }
  void clear() { bytes_.clear(); }
  void reserve(std::size_t n) { bytes_.reserve(n); }

  const char* data() const { return bytes_.data(); }
  char* data() { return bytes_.data(); }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  std::string_view view() const { return bytes_; }
  std::string Take() { return std::move(bytes_); }

 private:
  std::string bytes_;
};

}  // namespace tq::proto
