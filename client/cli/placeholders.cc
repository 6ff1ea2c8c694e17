// Replacement strings.
#include "placeholders.h"

#include <array>
#include <string_view>

namespace tq::cli {
namespace {

std::string Basename(const std::string& s) {
  const auto slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

std::string Dirname(const std::string& s) {
  const auto slash = s.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return s.substr(0, slash);
}

// Drops the extension of the last path component ("a.b/c" keeps its dot).
std::string NoExtension(const std::string& s) {
  const auto dot = s.rfind('.');
  const auto slash = s.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) ||
      dot == 0 || (slash != std::string::npos && dot == slash + 1)) {
    return s;
  }
  return s.substr(0, dot);
}

// Longest first, so "{/.}" is not read as "{/}" followed by ".}".
constexpr std::array<std::string_view, 6> kTokens = {"{//}", "{/.}", "{/}",
                                                     "{.}",  "{#}",  "{}"};

std::string Expand(const std::string& word, const std::string& item, std::size_t job) {
  std::string out;
  for (std::size_t i = 0; i < word.size();) {
    bool matched = false;
    for (std::string_view t : kTokens) {
      if (word.compare(i, t.size(), t) != 0) continue;
      if (t == "{}") out += item;
      else if (t == "{/}") out += Basename(item);
      else if (t == "{.}") out += NoExtension(item);
      else if (t == "{/.}") out += NoExtension(Basename(item));
      else if (t == "{//}") out += Dirname(item);
      else out += std::to_string(job);
      i += t.size();
      matched = true;
      break;
    }
    if (!matched) out += word[i++];
  }
  return out;
}

}  // namespace

bool HasPlaceholder(const std::vector<std::string>& command) {
  for (const std::string& word : command) {
    for (std::string_view t : kTokens) {
      if (word.find(t) != std::string::npos) return true;
    }
  }
  return false;
}

std::vector<std::string> ExpandCommand(const std::vector<std::string>& command,
                                       const std::string& item, std::size_t job) {
  std::vector<std::string> argv;
  argv.reserve(command.size() + 1);
  for (const std::string& word : command) argv.push_back(Expand(word, item, job));
  if (!HasPlaceholder(command)) argv.push_back(item);
  return argv;
}

}  // namespace tq::cli
