// JSON <-> msgpack with nlohmann::json.
#include "json_msgpack.h"
#include "stats_fields.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "user_name.h"

namespace tq::cli {
namespace {

using Json = nlohmann::json;

std::string ToMsgpack(const Json& j) {
  std::string out;
  Json::to_msgpack(j, nlohmann::detail::output_adapter<char>(out));
  return out;
}

std::string Dump(const Json& j) {
  // Replace invalid UTF-8 rather than fail: the value is shown, not parsed.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// nlohmann's DOM builder, refusing the numbers it would change: an integer
// beyond 64 bits arrives here as a double (its text has no '.', 'e' or 'E').
class StrictNumbers : public nlohmann::detail::json_sax_dom_parser<Json> {
 public:
  using json_sax_dom_parser::json_sax_dom_parser;
  bool number_float(double value, const std::string& text) {
    if (text.find_first_of(".eE") == std::string::npos) {
      throw std::out_of_range("the integer " + text +
                              " does not fit in 64 bits (write it as a float, e.g. " +
                              text + ".0, to round it)");
    }
    return json_sax_dom_parser::number_float(value, text);
  }
};

// `text` as JSON; throws std::out_of_range for numbers out of range and
// nlohmann's parse_error for anything that is not JSON.
Json Parse(std::string_view text) {
  Json j;
  StrictNumbers sax(j);
  try {
    Json::sax_parse(text, &sax);
  } catch (const Json::out_of_range& e) {  // 1e400 and the like
    throw std::out_of_range("a number is beyond the range of a double");
  }
  return j;
}

// "argument 2 ([1,) is not JSON; ..." for the text of a bad value.
std::string Shown(std::string_view text) {
  constexpr std::size_t kMax = 60;
  return text.size() <= kMax ? std::string(text) : std::string(text.substr(0, kMax)) + "...";
}

bool IsUtf8(const std::string& s) {
  try {
    (void)Json(s).dump();  // strict: throws on invalid UTF-8
    return true;
  } catch (const Json::type_error&) {
    return false;
  }
}

// Replaces every binary inside j with text (see MsgpackToJson).
void BinToText(Json& j) {
  auto text = [](const Json::binary_t& b, bool* base64) {
    std::string bytes(b.begin(), b.end());
    *base64 = !IsUtf8(bytes);
    return *base64 ? Base64(bytes) : bytes;
  };
  if (j.is_binary()) {
    bool base64 = false;
    std::string t = text(j.get_binary(), &base64);
    j = base64 ? Json{{"base64", std::move(t)}} : Json(std::move(t));
  } else if (j.is_array()) {
    for (Json& e : j) BinToText(e);
  } else if (j.is_object()) {
    std::vector<std::string> flagged;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it->is_binary()) {
        bool base64 = false;
        *it = text(it->get_binary(), &base64);
        if (base64) flagged.push_back(it.key() + "_base64");
      } else {
        BinToText(*it);
      }
    }
    for (const std::string& key : flagged) j[key] = true;
  }
}

}  // namespace

std::optional<std::string> JsonArgsToMsgpack(const std::vector<std::string>& json_args,
                                             std::string* error) {
  Json array = Json::array();
  for (std::size_t i = 0; i < json_args.size(); ++i) {
    const std::string what = "argument " + std::to_string(i + 1) + " (" + Shown(json_args[i]) + ")";
    try {
      array.push_back(Parse(json_args[i]));
    } catch (const Json::parse_error&) {
      *error = what + " is not JSON; quote strings, e.g. '\"text\"'";
      return std::nullopt;
    } catch (const std::out_of_range& e) {
      *error = what + " is out of range: " + e.what();
      return std::nullopt;
    }
  }
  return ToMsgpack(array);
}

std::optional<std::string> JsonToMsgpack(std::string_view text, std::string* error) {
  try {
    return ToMsgpack(Parse(text));
  } catch (const Json::parse_error&) {
    *error = "'" + Shown(text) + "' is not JSON; quote strings, e.g. '\"text\"'";
  } catch (const std::out_of_range& e) {
    *error = "'" + Shown(text) + "' is out of range: " + e.what();
  }
  return std::nullopt;
}

std::string KeyToMsgpack(std::string_view text) {
  try {
    return ToMsgpack(Parse(text));
  } catch (const std::exception&) {
    return ToMsgpack(Json(std::string(text)));  // a bare word: the string itself
  }
}

std::optional<std::string> JsonLineToArgs(std::string_view line, std::string* error) {
  try {
    return ToMsgpack(Json::array({Parse(line)}));
  } catch (const Json::parse_error& e) {
    *error = std::string("is not JSON: ") + e.what();
  } catch (const std::out_of_range& e) {
    *error = std::string("is out of range: ") + e.what();
  }
  return std::nullopt;
}

std::string MsgpackToJson(std::string_view msgpack) {
  try {
    Json j = Json::from_msgpack(msgpack);
    BinToText(j);
    return Dump(j);
  } catch (const Json::exception& e) {
    return Json({{"tq_undecodable_value", e.what()}}).dump();
  }
}

namespace {

// submitter_uid, submitter_pid and user (the uid's name), when known.
void AddSubmitter(Json& j, std::int64_t uid, std::uint32_t pid) {
  if (uid >= 0) {
    j["submitter_uid"] = uid;
    j["user"] = UserName(uid);
  }
  if (pid != 0) j["submitter_pid"] = pid;
}

}  // namespace

std::string TaskInfoToJson(const TaskInfo& t) {
  Json j = {
      {"task", t.task_id},
      {"state", std::string(TaskStateName(t.state))},
      {"fn", t.fn},
      {"priority", t.priority},
      {"attempts", t.attempts},
      {"worker_pid", t.worker_pid},
      {"queued_at_ms", t.queued_at_ms},
      {"started_at_ms", t.started_at_ms},
      {"finished_at_ms", t.finished_at_ms},
  };
  if (!t.name.empty()) j["name"] = t.name;
  if (t.error_type) {
    Json e = {{"type", *t.error_type}, {"message", t.error_message}};
    if (!t.error.cause.empty()) e["cause"] = t.error.cause;
    if (t.error.pid != 0) e["pid"] = t.error.pid;
    if (t.error.exit_code) e["exit_code"] = *t.error.exit_code;
    if (t.error.signal) e["signal"] = *t.error.signal;
    if (t.error.rss_bytes != 0) e["rss_bytes"] = t.error.rss_bytes;
    if (t.error.timeout_ms != 0) e["timeout_ms"] = t.error.timeout_ms;
    if (!t.error.stack.empty()) e["stack"] = t.error.stack;
    j["error"] = std::move(e);
  }
  AddSubmitter(j, t.submitter_uid, t.submitter_pid);
  return Dump(j);
}

std::string WorkersToJson(const std::vector<WorkerStatus>& workers) {
  Json a = Json::array();
  for (const WorkerStatus& w : workers) {
    Json one = {{"slot", w.slot}, {"pid", w.pid}, {"state", w.state},
                {"task", w.task_id}, {"fn", w.fn}, {"tasks_done", w.tasks_done},
                {"uptime_ms", w.uptime_ms}, {"rss_bytes", w.rss_bytes},
                {"task_ms", w.task_ms}};
    if (!w.name.empty()) one["name"] = w.name;
    AddSubmitter(one, w.submitter_uid, w.submitter_pid);
    one["host"] = w.host.empty() ? "local" : w.host;
    if (!w.host.empty()) one["beat_age_ms"] = w.beat_age_ms;
    a.push_back(std::move(one));
  }
  return Dump(a);
}

std::string FunctionsToJson(const std::vector<FunctionInfo>& functions) {
  Json a = Json::array();
  for (const FunctionInfo& f : functions) {
    a.push_back({{"name", f.name}, {"origin", f.origin.empty() ? Json() : Json(f.origin)}});
  }
  return Dump(a);
}

std::string StatsToJson(const QueueStats& s) {
  Json recent = Json::array();
  for (const TaskInfo& t : s.recent) {
    recent.push_back({{"task", t.task_id}, {"fn", t.fn},
                      {"state", std::string(TaskStateName(t.state))},
                      {"attempts", t.attempts}, {"queued_at_ms", t.queued_at_ms},
                      {"finished_at_ms", t.finished_at_ms}});
  }
  Json j = {{"queued", s.queued}, {"running", s.running}, {"workers", s.workers},
            {"recent", recent}};
  for (const auto& [name, n] : kStateCountFields) j[name] = s.since_start.ended.*n;
  j["store"] = {{"path", s.store_path},
                {"bytes", s.store_bytes},
                {"tasks", s.tasks},
                {"durable_tasks", s.durable_tasks},
                {"error", s.store_error.empty() ? Json() : Json(s.store_error)}};
  return Dump(j);
}

namespace {

// {"done": 3, "failed": 1, ...}
template <typename T, std::size_t N>
Json CountsJson(const T& counts, const CountField<T> (&fields)[N]) {
  Json j = Json::object();
  for (const auto& [name, n] : fields) j[name] = counts.*n;
  return j;
}

Json DurationsJson(const DurationStats& d) {
  return {{"count", d.count},          {"sum_us", d.sum.count()}, {"p50_us", d.p50.count()},
          {"p90_us", d.p90.count()},   {"p99_us", d.p99.count()}, {"max_us", d.max.count()}};
}

Json WindowJson(const WindowStats& w) {
  const auto per_second = [&](std::uint64_t n) {
    return w.span.count() > 0 ? static_cast<double>(n) * 1000 / static_cast<double>(w.span.count())
                              : 0.0;
  };
  return {{"span_ms", w.span.count()},
          {"submitted", w.submitted},
          {"submitted_per_s", per_second(w.submitted)},
          {"ended", CountsJson(w.ended, kStateCountFields)},
          {"ended_per_s", per_second(w.ended.total())},
          {"restarts", CountsJson(w.restarts, kRestartCountFields)},
          {"queue_wait", DurationsJson(w.queue_wait)},
          {"run_time", DurationsJson(w.run_time)}};
}

}  // namespace

std::string StatsReportToJson(const QueueStats& s) {
  Json functions = Json::array();
  for (const FunctionStats& f : s.functions) {
    functions.push_back({{"fn", f.fn}, {"submitted", f.submitted}, {"ended", CountsJson(f.ended, kStateCountFields)}});
  }
  Json j = {{"queued", s.queued},
            {"running", s.running},
            {"workers", {{"total", s.workers}, {"starting", s.starting}, {"idle", s.idle},
                         {"busy", s.busy}, {"stopping", s.stopping}}},
            {"since_start", WindowJson(s.since_start)},
            {"last_minute", WindowJson(s.last_minute)},
            {"functions", functions}};
  if (!s.hosts.empty()) {
    Json hosts = Json::array();
    for (const QueueStats::Host& h : s.hosts) {
      hosts.push_back({{"host", h.host}, {"workers", h.workers}, {"busy", h.busy},
                       {"tasks_done", h.tasks_done}});
    }
    j["hosts"] = hosts;
  }
  return Dump(j);
}

std::string OutcomeToJson(std::uint64_t task_id, const std::string& fn, const Outcome& o) {
  Json j = {{"task", task_id}, {"fn", fn}};
  switch (o.kind) {
    case Outcome::Kind::kValue:
      j["state"] = std::string(TaskStateName(o.state));
      j["value"] = Json::parse(MsgpackToJson(o.value));
      break;
    case Outcome::Kind::kTaskError:
      j["state"] = std::string(TaskStateName(o.state));
      j["error"] = {{"type", o.error_type}, {"message", o.message}};
      if (!o.details.cause.empty()) j["error"]["cause"] = o.details.cause;
      break;
    default:  // refused, or no answer: tq says why on stderr
      j["error"] = {{"type", o.error_type}, {"message", o.message}};
      break;
  }
  return Dump(j);
}

std::string ExecArgs(const ExecSpec& spec) {
  Json exec = {{"argv", spec.argv}};
  if (!spec.cwd.empty()) exec["cwd"] = spec.cwd;
  if (!spec.env.empty()) {
    Json env = Json::object();
    for (const auto& [name, value] : spec.env) env[name] = value;
    exec["env"] = std::move(env);
  }
  if (spec.timeout_ms != 0) exec["timeout_ms"] = spec.timeout_ms;
  return ToMsgpack(Json::array({exec}));
}

std::optional<ExecResult> DecodeExecResult(std::string_view msgpack) {
  try {
    const Json j = Json::from_msgpack(msgpack);
    ExecResult r;
    auto bytes = [&](const char* key) {
      const Json& v = j.at(key);
      if (v.is_binary()) {
        const auto& b = v.get_binary();
        return std::string(b.begin(), b.end());
      }
      return v.get<std::string>();
    };
    if (!j.at("exit_code").is_null()) r.exit_code = j.at("exit_code").get<int>();
    if (!j.at("signal").is_null()) r.signal = j.at("signal").get<int>();
    r.timed_out = j.value("timed_out", false);
    r.out = bytes("stdout");
    r.err = bytes("stderr");
    r.out_truncated = j.value("stdout_truncated", false);
    r.err_truncated = j.value("stderr_truncated", false);
    r.wall_ms = j.value("wall_ms", 0.0);
    return r;
  } catch (const Json::exception&) {
    return std::nullopt;
  }
}

std::string Base64(std::string_view bytes) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 |
                       static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += {kDigits[v >> 18], kDigits[v >> 12 & 63], kDigits[v >> 6 & 63], kDigits[v & 63]};
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kDigits[v >> 18];
    out += kDigits[v >> 12 & 63];
    out += rest == 2 ? kDigits[v >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace tq::cli
