// Helpers of the codec tests (codec_test.cc, agent_codec_test.cc): msgpack
// packed by hand, maps built field by field so tests can send what Encode
// never would, and the checks every codec test makes (an error's code and
// sentence, a round trip through Encode and a Decoder method).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <msgpack.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "tq/proto/codec.h"

namespace tq::proto::testutil {

using Packer = msgpack::packer<msgpack::sbuffer>;

// One msgpack value, packed by `fn`.
inline std::string Packed(const std::function<void(Packer&)>& fn) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  fn(pk);
  return std::string(buf.data(), buf.size());
}
inline std::string PackedUint(std::uint64_t v) {
  return Packed([&](Packer& pk) { pk.pack_uint64(v); });
}
inline std::string PackedStr(std::string_view s) {
  return Packed([&](Packer& pk) {
    pk.pack_str(static_cast<std::uint32_t>(s.size()));
    pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
  });
}
inline std::string PackedBin(std::string_view b) {
  return Packed([&](Packer& pk) {
    pk.pack_bin(static_cast<std::uint32_t>(b.size()));
    pk.pack_bin_body(b.data(), static_cast<std::uint32_t>(b.size()));
  });
}

inline std::string PackedMap(
    const std::vector<std::pair<std::string, std::string>>& kv) {
  std::string out = Packed(
      [&](Packer& pk) { pk.pack_map(static_cast<std::uint32_t>(kv.size())); });
  for (const auto& [k, v] : kv) out += PackedStr(k) + v;
  return out;
}

// A msgpack map built field by field, so tests can send what Encode never
// would: wrong types, missing, extra or duplicate fields.
class RawMap {
 public:
  // Replaces `key`'s value, or appends the field. `packed` is msgpack.
  RawMap& Set(const std::string& key, std::string packed) {
    for (auto& [k, v] : fields_) {
      if (k == key) {
        v = std::move(packed);
        return *this;
      }
    }
    return Add(key, std::move(packed));
  }
  // Appends the field even if `key` is already present.
  RawMap& Add(const std::string& key, std::string packed) {
    fields_.emplace_back(key, std::move(packed));
    return *this;
  }
  RawMap& Erase(const std::string& key) {
    std::erase_if(fields_, [&](const auto& f) { return f.first == key; });
    return *this;
  }
  std::string Build() const { return PackedMap(fields_); }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// A valid message of `kind` with its header fields, for tests to spoil.
inline RawMap Message(std::string_view kind) {
  return RawMap().Set("v", PackedUint(1)).Set("kind", PackedStr(kind));
}

// Success iff `r` failed with `code` and a message containing `substr`.
template <typename T>
::testing::AssertionResult IsError(const Result<T>& r, ErrorCode code,
                                   std::string_view substr = "") {
  if (r.ok()) {
    return ::testing::AssertionFailure()
           << "decoded successfully; expected " << ErrorCodeName(code);
  }
  const Status s = r.status();
  if (s.code() != code || s.message().find(substr) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "got " << s.ToString() << "; expected " << ErrorCodeName(code)
           << " mentioning '" << substr << "'";
  }
  return ::testing::AssertionSuccess();
}

// Encodes `in` into *frame and decodes it back with `decode`. The result
// holds views into *frame. Fails the test and returns nullopt on error.
template <typename M, typename R>
std::optional<M> RoundTrip(const M& in,
                           Result<R> (Decoder::*decode)(std::string_view),
                           Buffer* frame) {
  Encode(in, *frame);
  Decoder decoder;
  Result<R> r = (decoder.*decode)(frame->view());
  if (!r.ok()) {
    ADD_FAILURE() << r.status().ToString();
    return std::nullopt;
  }
  if constexpr (std::is_same_v<M, R>) {
    return r.value();
  } else {
    const M* m = std::get_if<M>(&r.value());
    if (m == nullptr) ADD_FAILURE() << "decoded as another message type";
    return m ? std::optional<M>(*m) : std::nullopt;
  }
}

}  // namespace tq::proto::testutil
