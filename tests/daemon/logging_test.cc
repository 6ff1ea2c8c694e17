// tqd's log formats: text and JSON lines, the fields of a task's lines,
// the journal's priorities, and when stderr counts as the journal.
#include "logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "log_fields.h"
#include "task_log.h"

namespace tq::daemon {
namespace {

// What one line logged through a formatter looks like.
std::string Line(LogFormat format, bool journal, spdlog::level::level_enum level,
                 const std::string& message, const LogFields* fields = nullptr) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  spdlog::logger logger("test", sink);
  logger.set_formatter(MakeLogFormatter(format, journal));
  logger.set_level(spdlog::level::trace);
  if (fields != nullptr) {
    const ScopedLogFields scope(*fields);
    logger.log(level, message);
  } else {
    logger.log(level, message);
  }
  return out.str();
}

const LogFields kTask{.task = 12, .fn = "square", .pid = 4121};

TEST(LoggingTest, TextLinesNameTheTaskItsFunctionAndItsWorker) {
  EXPECT_TRUE(std::regex_match(
      Line(LogFormat::kText, false, spdlog::level::warn, "timed out after 2.000 s", &kTask),
      std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} tqd\[\d+\] warning: )"
                 R"(task 12 \(square, worker 4121\): timed out after 2\.000 s\n)")));
  const LogFields queued{.task = 7, .fn = "echo"};
  EXPECT_NE(Line(LogFormat::kText, false, spdlog::level::debug, "queued", &queued)
                .find(" debug: task 7 (echo): queued\n"),
            std::string::npos);
  const LogFields user{.task = 7, .fn = "echo", .pid = 90, .uid = 1000};
  EXPECT_NE(Line(LogFormat::kText, false, spdlog::level::info, "kicked", &user)
                .find("task 7 (echo, worker 90, uid 1000): kicked\n"),
            std::string::npos);
  EXPECT_NE(Line(LogFormat::kText, false, spdlog::level::info, "ready: 2 workers")
                .find(" info: ready: 2 workers\n"),
            std::string::npos);
}

TEST(LoggingTest, JsonLinesAreOneObjectWithTheTasksFieldsApart) {
  const std::string line =
      Line(LogFormat::kJson, false, spdlog::level::warn, "lost: worker 4121 killed", &kTask);
  ASSERT_EQ(line.back(), '\n');
  ASSERT_EQ(line.find('\n'), line.size() - 1);
  const auto j = nlohmann::ordered_json::parse(line);
  EXPECT_TRUE(std::regex_match(j["time"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  std::vector<std::string> keys;
  for (const auto& [key, value] : j.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"time", "level", "message", "task", "fn", "pid"}));
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["message"], "lost: worker 4121 killed");
  EXPECT_EQ(j["task"], 12);
  EXPECT_EQ(j["fn"], "square");
  EXPECT_EQ(j["pid"], 4121);
  const LogFields submitted{.task = 7, .fn = "echo", .pid = 90, .uid = 1000};
  const auto with_uid = nlohmann::ordered_json::parse(
      Line(LogFormat::kJson, false, spdlog::level::debug, "done", &submitted));
  EXPECT_EQ(with_uid["uid"], 1000);
  EXPECT_EQ(std::prev(with_uid.end()).key(), "uid");
  // A line about no task has none of them; a hostile message stays JSON.
  const auto plain = nlohmann::json::parse(
      Line(LogFormat::kJson, false, spdlog::level::info, "a \"quoted\"\nline \xff"));
  EXPECT_EQ(plain["message"], "a \"quoted\"\nline \xef\xbf\xbd");
  EXPECT_FALSE(plain.contains("task"));
}

TEST(LoggingTest, TheJournalGetsPrioritiesAndNoTimestamps) {
  EXPECT_EQ(Line(LogFormat::kText, true, spdlog::level::err, "cannot start: x"),
            "<3>error: cannot start: x\n");
  EXPECT_EQ(Line(LogFormat::kText, true, spdlog::level::warn, "w"), "<4>warning: w\n");
  EXPECT_EQ(Line(LogFormat::kText, true, spdlog::level::info, "i", &kTask),
            "<6>info: task 12 (square, worker 4121): i\n");
  EXPECT_EQ(Line(LogFormat::kText, true, spdlog::level::debug, "d"), "<7>debug: d\n");
  EXPECT_EQ(Line(LogFormat::kText, true, spdlog::level::critical, "c"), "<2>critical: c\n");
  const std::string json = Line(LogFormat::kJson, true, spdlog::level::warn, "w");
  EXPECT_EQ(json.rfind("<4>{\"time\":", 0), 0u) << json;
}

// JOURNAL_STREAM, restored after each test.
class JournalStreamTest : public ::testing::Test {
 protected:
  JournalStreamTest() {
    if (const char* v = std::getenv("JOURNAL_STREAM")) saved_ = v;
  }
  ~JournalStreamTest() override {
    if (saved_) {
      ::setenv("JOURNAL_STREAM", saved_->c_str(), 1);
    } else {
      ::unsetenv("JOURNAL_STREAM");
    }
  }
  std::optional<std::string> saved_;
};

TEST_F(JournalStreamTest, CountsOnlyWhenItNamesStderrItself) {
  struct stat st;
  ASSERT_EQ(::fstat(STDERR_FILENO, &st), 0);
  const std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  ::setenv("JOURNAL_STREAM", mine.c_str(), 1);
  EXPECT_TRUE(StderrIsJournal());
  ::setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1)).c_str(), 1);
  EXPECT_FALSE(StderrIsJournal()) << "another file: stderr was redirected";
  for (const char* bad : {"", "12", "12:", ":34", "12:34x", "a:b"}) {
    ::setenv("JOURNAL_STREAM", bad, 1);
    EXPECT_FALSE(StderrIsJournal()) << bad;
  }
  ::unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(StderrIsJournal());
}

TEST(LoggingTest, ReadsTheFormatSetting) {
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("text"), LogFormat::kText);
}

TEST(LogFieldsTest, ATasksFieldsAreItsIdFunctionWorkerAndSubmitter) {
  Task task;
  task.id = 12;
  const std::string square = "square";
  task.fn_name = &square;
  task.mutable_extras().worker_pid = 4121;
  const LogFields fields = FieldsOf(task);
  EXPECT_EQ(fields.task, 12u);
  EXPECT_EQ(fields.fn, "square");
  EXPECT_EQ(fields.pid, 4121);
  // The submitter's uid comes from a task that carries one.
  struct Submitted {
    std::uint64_t id = 7;
    std::string fn = "echo";
    pid_t worker_pid = 0;
    std::int64_t submitter_uid = 1000;
  } submitted;
  EXPECT_EQ(FieldsOf(submitted).uid, 1000);
  EXPECT_EQ(FieldsOf(submitted).pid, 0);
}

TEST(LoggingTest, ALineAboutATaskOfUnknownFunctionSaysWhatIsKnown) {
  const LogFields bare{.task = 5, .pid = 77};
  EXPECT_EQ(Line(LogFormat::kText, true, spdlog::level::err, "a result", &bare),
            "<3>error: task 5 (worker 77): a result\n");
  const LogFields id_only{.task = 5};
  EXPECT_EQ(Line(LogFormat::kText, true, spdlog::level::err, "x", &id_only),
            "<3>error: task 5: x\n");
  const auto j = nlohmann::json::parse(Line(LogFormat::kJson, false, spdlog::level::err, "x", &bare));
  EXPECT_FALSE(j.contains("fn"));
  EXPECT_EQ(j["pid"], 77);
}

TEST(LogFieldsTest, ScopesNestAndEnd) {
  EXPECT_EQ(CurrentLogFields(), nullptr);
  {
    const ScopedLogFields outer(kTask);
    const LogFields inner_fields{.task = 13, .fn = "f"};
    {
      const ScopedLogFields inner(inner_fields);
      EXPECT_EQ(CurrentLogFields()->task, 13u);
    }
    EXPECT_EQ(CurrentLogFields()->task, 12u);
  }
  EXPECT_EQ(CurrentLogFields(), nullptr);
}

}  // namespace
}  // namespace tq::daemon
