// The TOML config file, read with toml++.
//
//   workers = 4
//   plugins = ["/usr/lib/tq/libmytasks.so"]
//   task_timeout = 30.0          # seconds; 0: none
//   max_rss_per_worker = "512MiB"
//   result_ttl = 600
#include <toml++/toml.h>

#include <cctype>
#include <functional>
#include <map>

#include "config.h"

namespace tq::daemon {
namespace {

using proto::ErrorCode;
using proto::Status;

Status Bad(const std::string& key, const std::string& what) {
  return {ErrorCode::kConfig, "'" + key + "' " + what};
}

// Seconds, as an integer or a float, into milliseconds.
Status Seconds(const toml::node& n, const std::string& key,
               std::chrono::milliseconds* out) {
  std::optional<double> v = n.value<double>();
  if (!v || *v < 0) return Bad(key, "must be a number of seconds >= 0");
  *out = std::chrono::milliseconds(static_cast<long long>(*v * 1000 + 0.5));
  return Status::Ok();
}

template <typename Int>
Status Count(const toml::node& n, const std::string& key, Int* out) {
  std::optional<std::int64_t> v = n.value<std::int64_t>();
  if (!v || *v < 0) return Bad(key, "must be an integer >= 0");
  *out = static_cast<Int>(*v);
  return Status::Ok();
}

// An integer of bytes, or a string like "512MiB", "2GiB", "100KiB".
Status Bytes(const toml::node& n, const std::string& key, std::uint64_t* out) {
  if (auto v = n.value<std::int64_t>()) {
    if (*v < 0) return Bad(key, "must be >= 0");
    *out = static_cast<std::uint64_t>(*v);
    return Status::Ok();
  }
  const std::optional<std::string> s = n.value<std::string>();
  if (!s) return Bad(key, "must be bytes: an integer or a string like \"512MiB\"");
  std::size_t used = 0;
  double number = 0;
  try {
    number = std::stod(*s, &used);
  } catch (const std::exception&) {
    return Bad(key, "'" + *s + "' is not a size like \"512MiB\"");
  }
  std::string unit = s->substr(used);
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.front()))) {
    unit.erase(0, 1);
  }
  static const std::map<std::string, double> kUnits{
      {"", 1}, {"B", 1}, {"KiB", 1024.0}, {"MiB", 1024.0 * 1024},
      {"GiB", 1024.0 * 1024 * 1024}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}};
  auto it = kUnits.find(unit);
  if (it == kUnits.end() || number < 0) {
    return Bad(key, "'" + *s + "' is not a size like \"512MiB\"");
  }
  *out = static_cast<std::uint64_t>(number * it->second);
  return Status::Ok();
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
  using Setter = std::function<Status(const toml::node&, const std::string&)>;
  const std::map<std::string, Setter> setters{
      {"endpoint", [&](const toml::node& n, const std::string& k) {
         auto v = n.value<std::string>();
         if (!v) return Bad(k, "must be a string");
         c.endpoint = *v;
         return Status::Ok();
       }},
      {"workers", [&](const toml::node& n, const std::string& k) { return Count(n, k, &c.workers); }},
      {"worker", [&](const toml::node& n, const std::string& k) {
         auto v = n.value<std::string>();
         if (!v) return Bad(k, "must be a string");
         c.worker_program = *v;
         return Status::Ok();
       }},
      {"plugins", [&](const toml::node& n, const std::string& k) {
         const toml::array* a = n.as_array();
         if (a == nullptr) return Bad(k, "must be an array of paths");
         std::vector<std::string> plugins;
         for (const toml::node& p : *a) {
           auto v = p.value<std::string>();
           if (!v) return Bad(k, "must be an array of paths");
           plugins.push_back(*v);
         }
         c.plugins = std::move(plugins);
         return Status::Ok();
       }},
      {"max_queued", [&](const toml::node& n, const std::string& k) { return Count(n, k, &c.max_queued); }},
      {"shutdown_grace", [&](const toml::node& n, const std::string& k) { return Seconds(n, k, &c.shutdown_grace); }},
      {"task_timeout", [&](const toml::node& n, const std::string& k) { return Seconds(n, k, &c.task_timeout); }},
      {"stop_grace", [&](const toml::node& n, const std::string& k) { return Seconds(n, k, &c.stop_grace); }},
      {"max_tasks_per_worker", [&](const toml::node& n, const std::string& k) { return Count(n, k, &c.max_tasks_per_worker); }},
      {"max_rss_per_worker", [&](const toml::node& n, const std::string& k) { return Bytes(n, k, &c.max_rss_per_worker); }},
      {"bury_after", [&](const toml::node& n, const std::string& k) { return Count(n, k, &c.bury_after); }},
      {"capture_stacks", [&](const toml::node& n, const std::string& k) {
         auto v = n.value<bool>();
         if (!v) return Bad(k, "must be true or false");
         c.capture_stacks = *v;
         return Status::Ok();
       }},
      {"exec", [&](const toml::node& n, const std::string& k) {
         auto v = n.value<std::string>();
         if (!v || (*v != "on" && *v != "off")) {
           return Bad(k, "must be \"on\" or \"off\"");
         }
         c.exec_enabled = *v == "on";
         return Status::Ok();
       }},
      {"exec_allow", [&](const toml::node& n, const std::string& k) {
         const toml::array* a = n.as_array();
         if (a == nullptr) return Bad(k, "must be an array of absolute paths");
         std::vector<std::string> allow;
         for (const toml::node& p : *a) {
           auto v = p.value<std::string>();
           if (!v) return Bad(k, "must be an array of absolute paths");
           allow.push_back(*v);
         }
         c.exec_allow = std::move(allow);
         return Status::Ok();
       }},
      {"result_ttl", [&](const toml::node& n, const std::string& k) { return Seconds(n, k, &c.retention.ttl); }},
      {"max_results", [&](const toml::node& n, const std::string& k) { return Count(n, k, &c.retention.max_results); }},
      {"max_result_store_bytes", [&](const toml::node& n, const std::string& k) {
         std::uint64_t b = 0;
         TQ_RETURN_IF_ERROR(Bytes(n, k, &b));
         c.retention.max_bytes = b;
         return Status::Ok();
       }},
  };
  for (const auto& [key, node] : table) {
    const std::string k(key.str());
    auto it = setters.find(k);
    if (it == setters.end()) {
      return {ErrorCode::kConfig, path + ": unknown setting '" + k + "'"};
    }
    if (Status s = it->second(node, k); !s.ok()) {
      return {ErrorCode::kConfig, path + ": " + s.message()};
    }
  }
  *config = std::move(c);
  return Status::Ok();
}

}  // namespace tq::daemon
