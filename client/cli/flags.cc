// Checks of tq's flags and operands.
#include "flags.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>

namespace tq::cli {
namespace {

std::string Quoted(std::string_view text) {
  std::string out(1, '\'');
  out += text;
  return out += '\'';
}

}  // namespace

std::string CheckSeconds(std::string_view text, bool positive) {
  const std::string s(text);
  char* end = nullptr;
  // strtod would skip leading blanks: a value is the number alone.
  const bool blank = s.empty() || std::isspace(static_cast<unsigned char>(s[0]));
  const double v = blank ? NAN : std::strtod(s.c_str(), &end);
  const char* kind = positive ? "a number of seconds > 0" : "a number of seconds >= 0";
  if (blank || end != s.c_str() + s.size() || !std::isfinite(v) || v < 0 ||
      (positive && v == 0)) {
    return Quoted(text) + " is not " + kind;
  }
  if (v > kMaxSeconds) {
    return Quoted(text) + " is more than a year; give " + kind + " up to " +
           std::to_string(static_cast<long long>(kMaxSeconds));
  }
  return "";
}

std::string CheckInteger(std::string_view text, long long min, long long max) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < min ||
      v > max) {
    return Quoted(text) + " is not a whole number from " + std::to_string(min) + " to " +
           std::to_string(max);
  }
  return "";
}

std::optional<std::uint64_t> ParseTaskId(std::string_view text, std::string* error) {
  std::uint64_t v = 0;
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (!digits || ec != std::errc() || end != text.data() + text.size() || v == 0) {
    *error = "task id " + Quoted(text) + " is not a whole number from 1 to 18446744073709551615";
    return std::nullopt;
  }
  return v;
}

std::optional<std::vector<std::pair<std::string, std::string>>> ExecEnvironment(
    const std::vector<std::string>& flags, bool all, char** environ_, std::string* error) {
  std::map<std::string, std::string> env;  // sorted: the same request every time
  if (all) {
    for (char** e = environ_; e != nullptr && *e != nullptr; ++e) {
      const std::string_view entry(*e);
      const auto eq = entry.find('=');
      if (eq == std::string_view::npos || eq == 0) continue;
      env[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
    }
  }
  for (const std::string& flag : flags) {
    const auto eq = flag.find('=');
    const std::string name = flag.substr(0, eq);
    if (name.empty()) {
      *error = "--env " + Quoted(flag) + ": give NAME or NAME=VALUE";
      return std::nullopt;
    }
    if (eq != std::string::npos) {
      env[name] = flag.substr(eq + 1);
      continue;
    }
    std::optional<std::string> value;
    for (char** e = environ_; e != nullptr && *e != nullptr; ++e) {
      const std::string_view entry(*e);
      if (entry.size() > name.size() && entry.substr(0, name.size()) == name &&
          entry[name.size()] == '=') {
        value = std::string(entry.substr(name.size() + 1));
      }
    }
    if (!value) {
      *error = "--env " + name + ": " + name + " is not set here (give --env " + name +
               "=VALUE to set it)";
      return std::nullopt;
    }
    env[name] = *value;
  }
  return std::vector<std::pair<std::string, std::string>>(env.begin(), env.end());
}

std::string AbsoluteDir(const std::string& dir, const std::string& cwd) {
  return (std::filesystem::path(cwd) / dir).lexically_normal().string();
}

}  // namespace tq::cli
