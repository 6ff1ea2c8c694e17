// Walking encoded msgpack without decoding it: finding where each element
// of an array starts and ends, so its bytes can be handed on as they are.
// Used for chunked tasks (PROTOCOL.md §4.9), whose args are an array of
// argument arrays that the worker passes one by one to the task function.
//
// These never allocate and never recurse, whatever the input claims: a
// header claiming more elements than there are bytes left is refused at
// once, so a hostile 2^32-element array costs nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tq::proto {

// Reads an array header at data[*pos] and advances *pos past it. False
// (and *pos unchanged) if there is none, or it is truncated.
bool ReadArrayHeader(std::string_view data, std::size_t* pos, std::uint32_t* count);

// Advances *pos past one whole value (with everything nested in it). False
// (and *pos unchanged) if the value is truncated or malformed.
bool SkipValue(std::string_view data, std::size_t* pos);

// True if `data` is exactly one msgpack integer (in any encoding) that fits
// an int64, and then *value is it. A float or anything else is no integer.
bool ReadInteger(std::string_view data, std::int64_t* value);

// Appends `value` to *out in msgpack's shortest encoding (what msgpack-c
// writes), so equal integers compare equal as bytes.
void AppendInteger(std::int64_t value, std::string* out);

}  // namespace tq::proto
