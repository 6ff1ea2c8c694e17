// ParsePrometheus.
#include "testing/prometheus_parse.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>
#include <utility>

namespace tq::testing {
namespace {

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

bool IsMetricName(std::string_view s) {
  return !s.empty() && IsNameStart(s[0]) && std::all_of(s.begin(), s.end(), IsNameChar);
}

bool IsLabelName(std::string_view s) {
  return IsMetricName(s) && s.find(':') == std::string_view::npos && s.rfind("__", 0) != 0;
}

std::optional<double> Number(std::string_view s) {
  if (s == "+Inf") return INFINITY;
  if (s == "-Inf") return -INFINITY;
  if (s == "NaN") return NAN;
  if (s.empty()) return std::nullopt;
  const std::string copy(s);
  char* end = nullptr;
  const double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return v;
}

bool Fail(std::string* why, std::string text) {
  *why = std::move(text);
  return false;
}

// The family a sample named `name` belongs to, among those declared.
const std::string* FamilyOf(const std::map<std::string, PromFamily>& families,
                            const std::string& name) {
  if (auto it = families.find(name); it != families.end()) return &it->first;
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      auto it = families.find(name.substr(0, name.size() - suffix.size()));
      if (it != families.end() && (it->second.type == "histogram" || it->second.type == "summary")) {
        return &it->first;
      }
    }
  }
  return nullptr;
}

// Parses `{a="x",b="y"}` at *at; moves *at past it.
bool ParseLabels(std::string_view line, std::size_t* at, Labels* labels, std::string* why) {
  std::size_t i = *at + 1;  // past '{'
  while (i < line.size() && line[i] != '}') {
    const std::size_t name_start = i;
    while (i < line.size() && line[i] != '=') ++i;
    const std::string name(line.substr(name_start, i - name_start));
    if (!IsLabelName(name)) return Fail(why, "bad label name '" + name + "'");
    if (i + 1 >= line.size() || line[i + 1] != '"') return Fail(why, "label value not quoted");
    i += 2;
    std::string value;
    for (;; ++i) {
      if (i >= line.size()) return Fail(why, "unterminated label value");
      if (line[i] == '"') break;
      if (line[i] == '\\') {
        if (i + 1 >= line.size()) return Fail(why, "dangling backslash");
        const char e = line[++i];
        if (e == '\\') value += '\\';
        else if (e == '"') value += '"';
        else if (e == 'n') value += '\n';
        else return Fail(why, std::string("unknown escape \\") + e);
      } else {
        value += line[i];
      }
    }
    ++i;  // past the closing quote
    if (!labels->emplace(name, value).second) return Fail(why, "label '" + name + "' twice");
    if (i < line.size() && line[i] == ',') ++i;
  }
  if (i >= line.size()) return Fail(why, "unterminated label set");
  *at = i + 1;
  return true;
}

bool CheckHistogram(const std::string& name, const PromFamily& f, std::string* why) {
  // By the labels other than le: the buckets, the sum, the count.
  struct Series {
    std::vector<std::pair<double, double>> buckets;  // le, count
    std::optional<double> sum, count;
  };
  std::map<Labels, Series> series;
  for (const PromSample& s : f.samples) {
    Labels key = s.labels;
    if (s.name == name + "_bucket") {
      auto le = key.find("le");
      if (le == key.end()) return Fail(why, s.name + " without le");
      const std::optional<double> bound = Number(le->second);
      if (!bound) return Fail(why, "le=\"" + le->second + "\" is not a number");
      key.erase(le);
      series[key].buckets.emplace_back(*bound, s.value);
    } else if (s.name == name + "_sum") {
      series[key].sum = s.value;
    } else if (s.name == name + "_count") {
      series[key].count = s.value;
    } else {
      return Fail(why, "histogram " + name + " has a sample " + s.name);
    }
  }
  for (auto& [labels, s] : series) {
    std::sort(s.buckets.begin(), s.buckets.end());
    for (std::size_t i = 1; i < s.buckets.size(); ++i) {
      if (s.buckets[i].second < s.buckets[i - 1].second) {
        return Fail(why, name + ": the bucket le=" + std::to_string(s.buckets[i].first) +
                             " holds fewer than the one below it");
      }
    }
    if (s.buckets.empty() || !std::isinf(s.buckets.back().first)) {
      return Fail(why, name + " has no le=\"+Inf\" bucket");
    }
    if (!s.sum || !s.count) return Fail(why, name + " lacks _sum or _count");
    if (s.buckets.back().second != *s.count) {
      return Fail(why, name + ": the +Inf bucket differs from _count");
    }
  }
  return true;
}

}  // namespace

std::optional<double> PromPage::Value(const std::string& name, const Labels& labels) const {
  for (const auto& [family, f] : families) {
    for (const PromSample& s : f.samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
  }
  return std::nullopt;
}

std::optional<PromPage> ParsePrometheus(std::string_view text, std::string* error) {
  PromPage page;
  std::set<std::string> typed, helped;
  std::set<std::pair<std::string, Labels>> seen;
  if (!text.empty() && text.back() != '\n') {
    *error = "the page does not end with a newline";
    return std::nullopt;
  }
  int number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    std::string why;
    const auto fail = [&](const std::string& w) {
      *error = "line " + std::to_string(number) + ": " + w + ": " + std::string(line);
      return std::nullopt;
    };
    if (line.empty()) continue;
    if (line[0] == '#') {
      const bool help = line.rfind("# HELP ", 0) == 0, type = line.rfind("# TYPE ", 0) == 0;
      if (!help && !type) continue;  // a plain comment
      const std::string_view rest = line.substr(7);
      const std::size_t sp = rest.find(' ');
      if (sp == std::string_view::npos) return fail("HELP or TYPE without text");
      const std::string name(rest.substr(0, sp));
      const std::string_view what = rest.substr(sp + 1);
      if (!IsMetricName(name)) return fail("bad metric name");
      PromFamily& f = page.families[name];
      if (!f.samples.empty()) return fail("HELP or TYPE after the family's samples");
      if (help) {
        if (!helped.insert(name).second) return fail("a second HELP");
        f.help = what;
      } else {
        if (!typed.insert(name).second) return fail("a second TYPE");
        static const std::set<std::string_view> kTypes = {"counter", "gauge", "histogram",
                                                         "summary", "untyped"};
        if (!kTypes.contains(what)) return fail("unknown type");
        f.type = what;
      }
      continue;
    }
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    PromSample s;
    s.name = line.substr(0, i);
    if (!IsMetricName(s.name)) return fail("bad metric name");
    if (i < line.size() && line[i] == '{' && !ParseLabels(line, &i, &s.labels, &why)) {
      return fail(why);
    }
    if (i >= line.size() || line[i] != ' ') return fail("no value");
    std::string_view value = line.substr(i + 1);
    if (const std::size_t sp = value.find(' '); sp != std::string_view::npos) {
      if (!Number(value.substr(sp + 1))) return fail("bad timestamp");
      value = value.substr(0, sp);
    }
    const std::optional<double> v = Number(value);
    if (!v) return fail("bad value");
    s.value = *v;
    const std::string* family = FamilyOf(page.families, s.name);
    if (family == nullptr || !typed.contains(*family)) return fail("a sample before its TYPE");
    if (!seen.emplace(s.name, s.labels).second) return fail("the same sample twice");
    page.families[*family].samples.push_back(std::move(s));
  }
  for (const auto& [name, f] : page.families) {
    std::string why;
    if (f.type == "histogram" && !CheckHistogram(name, f, &why)) {
      *error = why;
      return std::nullopt;
    }
  }
  return page;
}

}  // namespace tq::testing
