// Parsing, range checks and formatting of setting values.
#include "setting_values.h"

#include <charconv>
#include <cmath>
#include <iterator>
#include <optional>
#include <string_view>

namespace tq::daemon {
namespace {

using proto::ErrorCode;
using proto::Result;
using proto::Status;

struct Unit {
  std::string_view name;
  std::uint64_t factor;  // bytes, or ms
};
// Largest first: formatting picks the first that divides a value.
constexpr Unit kByteUnits[] = {
    {"TiB", std::uint64_t{1} << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20},
    {"KiB", 1 << 10}, {"TB", 1'000'000'000'000}, {"GB", 1'000'000'000},
    {"MB", 1'000'000}, {"KB", 1'000}, {"B", 1}, {"", 1}};
constexpr Unit kDurationUnits[] = {
    {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000},
    {"ms", 1}, {"", 1'000}};  // a bare number is seconds

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The whole of `text` as a decimal integer.
std::optional<std::uint64_t> WholeNumber(std::string_view text) {
  text = Trim(text);
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return n;
}

enum class Quantity { kOk, kMalformed, kTooBig };

// "512MiB", "1.5 GiB", "500ms": a number >= 0 times the factor of the unit
// after it, rounded to a whole number of the smallest unit. Exact for whole
// numbers, so a byte count of 2^64 - 1 survives.
template <std::size_t N>
Quantity ParseQuantity(std::string_view text, const Unit (&units)[N], std::uint64_t* out) {
  text = Trim(text);
  const char* begin = text.data();
  const char* end = begin + text.size();
  double number = 0;
  const auto parsed = std::from_chars(begin, end, number, std::chars_format::fixed);
  if (parsed.ec == std::errc::result_out_of_range) return Quantity::kTooBig;
  if (parsed.ec != std::errc() || !std::isfinite(number) || number < 0) {
    return Quantity::kMalformed;
  }
  const std::string_view unit = Trim(std::string_view(parsed.ptr, end - parsed.ptr));
  for (const Unit& u : units) {
    if (u.name != unit) continue;
    std::uint64_t whole = 0;
    const auto exact = std::from_chars(begin, parsed.ptr, whole);
    if (exact.ec == std::errc() && exact.ptr == parsed.ptr) {
      if (whole > UINT64_MAX / u.factor) return Quantity::kTooBig;
      *out = whole * u.factor;
      return Quantity::kOk;
    }
    const double value = std::round(number * static_cast<double>(u.factor));
    if (value >= 18446744073709551616.0) return Quantity::kTooBig;  // 2^64
    *out = static_cast<std::uint64_t>(value);
    return Quantity::kOk;
  }
  return Quantity::kMalformed;
}

std::string Describe(const RawValue& raw) {
  struct {
    std::string operator()(const OtherValue& v) const { return v.what; }
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const {
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof buf, v);
      return std::string(buf, r.ptr);
    }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::string& v) const { return "'" + v + "'"; }
    std::string operator()(const std::vector<std::string>&) const { return "an array"; }
  } describe;
  return std::visit(describe, raw);
}

std::string Join(const std::vector<std::string_view>& words, std::string_view last) {
  std::string s;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) s += i + 1 == words.size() ? last : ", ";
    s += words[i];
  }
  return s;
}

bool IsNumeric(SettingType t) {
  return t == SettingType::kCount || t == SettingType::kBytes ||
         t == SettingType::kDuration;
}

std::string FormatNumber(const Setting& s, std::uint64_t n) {
  switch (s.type) {
    case SettingType::kBytes:
      return FormatBytes(n);
    case SettingType::kDuration:
      return FormatDuration(std::chrono::milliseconds(n));
    default:
      return std::to_string(n);
  }
}

std::uint64_t AsNumber(const SettingValue& v) {
  if (const auto* ms = std::get_if<std::chrono::milliseconds>(&v)) {
    return static_cast<std::uint64_t>(ms->count());
  }
  return std::get<std::uint64_t>(v);
}

SettingValue FromNumber(const Setting& s, std::uint64_t n) {
  if (s.type == SettingType::kDuration) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(n));
  }
  return n;
}

bool InRange(const Setting& s, std::uint64_t n) {
  if (n == 0 && !s.zero_means.empty()) return true;
  return n >= s.min && n <= s.max_value();
}

// The range, with its upper end when it is a limit of its own, a
// duration's, or `show_max` (the value went past what the field holds).
std::string Range(const Setting& s, bool show_max) {
  if (s.type == SettingType::kChoice) return Expectation(s);
  if (!IsNumeric(s.type)) return "";
  show_max = show_max || s.max.has_value() || s.type == SettingType::kDuration;
  std::string range;
  if (s.min > 0 && show_max) {
    range = FormatNumber(s, s.min) + " to " + FormatNumber(s, s.max_value());
  } else if (s.min > 0) {
    range = "at least " + FormatNumber(s, s.min);
  } else if (show_max) {
    range = "at most " + FormatNumber(s, s.max_value());
  }
  if (s.zero_means.empty()) return range;
  if (s.min > 0) return "0 (" + std::string(s.zero_means) + ") or " + range;
  if (AsNumber(s.field.get(Config{})) == 0) return range;  // the default says it
  return range + (range.empty() ? "" : "; ") + "0 means " + std::string(s.zero_means);
}

Status Bad(std::string what, const std::string& got) {
  return {ErrorCode::kConfig, "must be " + what + ", got " + got};
}

Status OutOfRange(const Setting& s, bool past_field, const std::string& got) {
  std::string range = Range(s, past_field);
  return Bad(range.empty() ? Expectation(s) : range, got);
}

// The number a count, size or duration raw value gives, unchecked.
Result<std::uint64_t> ParseNumber(const Setting& s, const RawValue& raw) {
  const auto wrong = [&] { return Bad(Expectation(s), Describe(raw)); };
  const auto too_big = [&] { return OutOfRange(s, true, Describe(raw)); };
  const std::uint64_t scale = s.type == SettingType::kDuration ? 1000 : 1;
  if (const auto* i = std::get_if<std::int64_t>(&raw)) {
    if (*i < 0) return OutOfRange(s, false, Describe(raw));
    const auto n = static_cast<std::uint64_t>(*i);
    if (n > UINT64_MAX / scale) return too_big();
    return n * scale;
  }
  if (const auto* d = std::get_if<double>(&raw); d && s.type == SettingType::kDuration) {
    if (*d < 0) return OutOfRange(s, false, Describe(raw));
    if (!(*d * 1000 < 18446744073709551616.0)) return too_big();
    return static_cast<std::uint64_t>(std::round(*d * 1000));
  }
  const auto* text = std::get_if<std::string>(&raw);
  if (text == nullptr) return wrong();
  // "-1" is a number, like TOML's -1, out of every range.
  if (std::string_view t = Trim(*text); t.starts_with('-')) {
    return ParseNumber(s, std::string(t.substr(1))).ok()
               ? OutOfRange(s, false, Describe(raw))
               : wrong();
  }
  std::uint64_t n = 0;
  Quantity q = Quantity::kOk;
  switch (s.type) {
    case SettingType::kCount:
      if (auto whole = WholeNumber(*text)) return *whole;
      q = Quantity::kMalformed;
      break;
    case SettingType::kBytes:
      q = ParseQuantity(*text, kByteUnits, &n);
      break;
    default:
      q = ParseQuantity(*text, kDurationUnits, &n);
      break;
  }
  if (q == Quantity::kTooBig) return too_big();
  if (q == Quantity::kMalformed) return wrong();
  return n;
}

constexpr SettingTypeText kTypeTexts[] = {
    {"count", "N", "a whole number"},
    {"size", "SIZE",
     "a size (bytes, or a number with a unit B, KiB, MiB, GiB, TiB, KB, MB, GB "
     "or TB, like 512MiB)"},
    {"duration", "DURATION",
     "a duration (seconds, or a number with a unit ms, s, m, h or d, like 500ms)"},
    {"true or false", "", "true or false"},
    {"string", "TEXT", "a string"},
    {"list of strings", "TEXT", "an array of strings"},
    {"", "", ""},
};
static_assert(std::size(kTypeTexts) == static_cast<std::size_t>(SettingType::kChoice) + 1,
              "one entry per SettingType, in its order");

}  // namespace

const SettingTypeText& TextOf(SettingType type) {
  return kTypeTexts[static_cast<std::size_t>(type)];
}

std::string Expectation(const Setting& s) {
  if (s.type == SettingType::kChoice) return Join(s.choices, " or ");
  return std::string(TextOf(s.type).expectation);
}

Result<SettingValue> ParseSetting(const Setting& s, const RawValue& raw) {
  const auto wrong = [&] { return Bad(Expectation(s), Describe(raw)); };
  switch (s.type) {
    case SettingType::kCount:
    case SettingType::kBytes:
    case SettingType::kDuration: {
      Result<std::uint64_t> n = ParseNumber(s, raw);
      if (!n.ok()) return n.status();
      if (!InRange(s, *n)) return OutOfRange(s, *n > s.max_value(), Describe(raw));
      return FromNumber(s, *n);
    }
    case SettingType::kBool:
      if (const bool* b = std::get_if<bool>(&raw)) return SettingValue(*b);
      return wrong();
    case SettingType::kString:
      if (const auto* text = std::get_if<std::string>(&raw)) return SettingValue(*text);
      return wrong();
    case SettingType::kChoice:
      if (const auto* text = std::get_if<std::string>(&raw)) {
        for (std::string_view c : s.choices) {
          if (c == *text) return SettingValue(*text);
        }
      }
      return wrong();
    case SettingType::kStringList:
      if (const auto* list = std::get_if<std::vector<std::string>>(&raw)) {
        return SettingValue(*list);
      }
      return wrong();
  }
  return wrong();
}

Status CheckRange(const Setting& s, const SettingValue& value) {
  if (!IsNumeric(s.type)) return Status::Ok();
  const std::uint64_t n = AsNumber(value);
  if (InRange(s, n)) return Status::Ok();
  return OutOfRange(s, n > s.max_value(), FormatNumber(s, n));
}

std::string FormatBytes(std::uint64_t bytes) {
  for (const Unit& u : kByteUnits) {
    if (u.name.ends_with("iB") && bytes != 0 && bytes % u.factor == 0) {
      return std::to_string(bytes / u.factor) + std::string(u.name);
    }
  }
  return std::to_string(bytes);
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  const auto ms = static_cast<std::uint64_t>(duration.count());
  if (ms == 0) return "0";
  for (const Unit& u : kDurationUnits) {
    if (!u.name.empty() && ms % u.factor == 0) {
      return std::to_string(ms / u.factor) + std::string(u.name);
    }
  }
  return std::to_string(ms) + "ms";
}

std::string FormatValue(const Setting& s, const SettingValue& value) {
  if (IsNumeric(s.type)) return FormatNumber(s, AsNumber(value));
  if (const bool* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  std::string list;
  for (const std::string& item : std::get<std::vector<std::string>>(value)) {
    list += (list.empty() ? "" : ", ") + item;
  }
  return list;
}

std::string RangeText(const Setting& s) { return Range(s, false); }

std::string DefaultText(const Setting& s) {
  if (!s.default_text.empty()) return std::string(s.default_text);
  const SettingValue value = s.field.get(Config{});
  std::string text = FormatValue(s, value);
  if (text.empty()) return "none";
  if (IsNumeric(s.type) && AsNumber(value) == 0 && !s.zero_means.empty()) {
    text += " (" + std::string(s.zero_means) + ")";
  }
  return text;
}

}  // namespace tq::daemon
