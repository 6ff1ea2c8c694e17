// The TOML config file, read with toml++: one key per setting of the table
// in settings.cc, each value checked by the same code as its flag's.
//
//   workers = 4
//   plugins = ["/usr/lib/tq/libmytasks.so"]
//   task_timeout = 30.0          # seconds, or "500ms", "2m"; 0: none
//   max_rss_per_worker = "512MiB"
//   result_ttl = 600
#include <toml++/toml.h>

#include <sstream>

#include "config.h"
#include "setting_values.h"
#include "settings.h"

namespace tq::daemon {
namespace {

using proto::ErrorCode;
using proto::Status;

// "a TOML table", for a value no setting takes.
std::string KindOf(const toml::node& node) {
  std::ostringstream kind;
  kind << "a TOML " << node.type();
  return kind.str();
}

RawValue Raw(const toml::node& node) {
  if (auto v = node.value_exact<std::int64_t>()) return *v;
  if (auto v = node.value_exact<double>()) return *v;
  if (auto v = node.value_exact<bool>()) return *v;
  if (auto v = node.value_exact<std::string>()) return *v;
  if (const toml::array* a = node.as_array()) {
    std::vector<std::string> items;
    for (const toml::node& item : *a) {
      auto v = item.value_exact<std::string>();
      if (!v) return OtherValue{"an array holding " + KindOf(item)};
      items.push_back(*v);
    }
    return items;
  }
  return OtherValue{KindOf(node)};
}

}  // namespace

Status ApplyConfigFile(const std::string& path, Config* config) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return {ErrorCode::kConfig, path + ":" + std::to_string(where.line) + ":" +
                                    std::to_string(where.column) + ": " +
                                    std::string(e.description())};
  }
  Config c = *config;
  for (const auto& [key, node] : table) {
    const std::string where = path + ":" + std::to_string(node.source().begin.line);
    const Setting* setting = FindSetting(key.str());
    if (setting == nullptr) {
      return {ErrorCode::kConfig,
              where + ": unknown setting '" + std::string(key.str()) + "'"};
    }
    auto value = ParseSetting(*setting, Raw(node));
    if (!value.ok()) {
      return {ErrorCode::kConfig,
              where + ": " + std::string(setting->name) + ": " + value.status().message()};
    }
    setting->field.set(c, *value);
  }
  *config = std::move(c);
  return Status::Ok();
}

}  // namespace tq::daemon
