// ParsePrometheus: a strict reader of Prometheus' text exposition format
// (0.0.4), for the tests of tqd's /metrics page: what a scraper would
// reject, it rejects, with the line and why.
//
// Checked: every line is a comment, blank, or a sample; HELP and TYPE come
// once per family and before its samples; names and label names are valid;
// label values use only the format's escapes (\\, \", \n) and are
// unescaped here; values are numbers (or +Inf, -Inf, NaN); no sample
// appears twice; a histogram has only _bucket (each with le), _sum and
// _count samples, its buckets never decrease as le grows, and its +Inf
// bucket equals its _count.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tq::testing {

using Labels = std::map<std::string, std::string>;

struct PromSample {
  std::string name;  // with its suffix (_bucket, _sum, _count)
  Labels labels;
  double value = 0;
};

struct PromFamily {
  std::string type;  // counter, gauge, histogram, summary, untyped
  std::string help;
  std::vector<PromSample> samples;
};

struct PromPage {
  std::map<std::string, PromFamily> families;
  // The value of sample `name` with exactly `labels`, if there is one.
  std::optional<double> Value(const std::string& name, const Labels& labels = {}) const;
};

// The page, or nullopt with *error saying which line is wrong and why.
std::optional<PromPage> ParsePrometheus(std::string_view text, std::string* error);

}  // namespace tq::testing
