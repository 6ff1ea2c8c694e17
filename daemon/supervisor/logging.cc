// Logging: the formatters, the journal test, and the fields of a task's
// lines.
#include "logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>

#include "log_fields.h"

namespace tq::daemon {
namespace {

thread_local const LogFields* current_fields = nullptr;

// syslog's priorities, as journald reads them from a "<N>" prefix.
char Priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical: return '2';
    case spdlog::level::err: return '3';
    case spdlog::level::warn: return '4';
    case spdlog::level::info: return '6';
    default: return '7';  // debug, trace
  }
}

void Append(spdlog::memory_buf_t& dest, std::string_view s) {
  dest.append(s.data(), s.data() + s.size());
}

// %* in the text pattern: "task 12 (square, worker 4121, uid 1000): " on a
// task's lines.
class FieldsFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const LogFields* f = current_fields;
    if (f == nullptr || f->task == 0) return;
    std::string about;  // "square, worker 4121, uid 1000": what is known
    const auto add = [&about](std::string_view part) {
      if (!about.empty()) about += ", ";
      about += part;
    };
    if (!f->fn.empty()) add(f->fn);
    if (f->pid != 0) add("worker " + std::to_string(f->pid));
    if (f->uid >= 0) add("uid " + std::to_string(f->uid));
    std::string prefix = "task " + std::to_string(f->task);
    if (!about.empty()) prefix += " (" + about + ")";
    prefix += ": ";
    Append(dest, prefix);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<FieldsFlag>();
  }
};

// %& in the text pattern: the journal's "<N>".
class PriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const char prefix[] = {'<', Priority(msg.level), '>'};
    dest.append(prefix, prefix + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PriorityFlag>();
  }
};

std::unique_ptr<spdlog::formatter> TextFormatter(bool journal, const std::string& program) {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<FieldsFlag>('*').add_flag<PriorityFlag>('&');
  // Under systemd the journal adds its own timestamps and process name.
  f->set_pattern(journal ? "%&%l: %*%v" : "%Y-%m-%d %H:%M:%S.%e " + program + "[%P] %l: %*%v");
  return f;
}

// One JSON object per line.
class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(bool journal) : journal_(journal) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    nlohmann::ordered_json j;
    j["time"] = UtcTime(msg.time);
    const auto level = spdlog::level::to_string_view(msg.level);
    j["level"] = std::string_view(level.data(), level.size());
    j["message"] = std::string_view(msg.payload.data(), msg.payload.size());
    if (const LogFields* f = current_fields; f != nullptr && f->task != 0) {
      j["task"] = f->task;
      if (!f->fn.empty()) j["fn"] = f->fn;
      if (f->pid != 0) j["pid"] = f->pid;
      if (f->uid >= 0) j["uid"] = f->uid;
    }
    if (journal_) {
      const char prefix[] = {'<', Priority(msg.level), '>'};
      dest.append(prefix, prefix + 3);
    }
    Append(dest, j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
    dest.push_back('\n');
  }
  std::unique_ptr<formatter> clone() const override {
    return std::make_unique<JsonFormatter>(journal_);
  }

 private:
  // "2024-05-01T10:00:00.123Z"
  static std::string UtcTime(spdlog::log_clock::time_point t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
    const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms.count() % 1000));
    return buf;
  }

  bool journal_;
};

}  // namespace

ScopedLogFields::ScopedLogFields(const LogFields& fields) : outer_(current_fields) {
  current_fields = &fields;
}

ScopedLogFields::~ScopedLogFields() { current_fields = outer_; }

const LogFields* CurrentLogFields() { return current_fields; }

LogFormat ParseLogFormat(const std::string& name) {
  return name == "json" ? LogFormat::kJson : LogFormat::kText;
}

bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  char end = 0;
  if (std::sscanf(stream, "%llu:%llu%c", &dev, &ino, &end) != 2) return false;
  struct stat st;
  return ::fstat(STDERR_FILENO, &st) == 0 && static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format, bool journal,
                                                    const std::string& program) {
  if (format == LogFormat::kJson) return std::make_unique<JsonFormatter>(journal);
  return TextFormatter(journal, program);
}

void SetUpLogging(const LogSetup& setup) {
  std::shared_ptr<spdlog::logger> logger = spdlog::get(setup.program);
  if (logger == nullptr) {
    logger = spdlog::stderr_logger_mt(setup.program);
    spdlog::set_default_logger(logger);
  }
  logger->set_formatter(MakeLogFormatter(setup.format, setup.journal, setup.program));
  logger->set_level(spdlog::level::from_str(setup.level));
}

}  // namespace tq::daemon
