// tqd's settings: the TOML file, the flags and the table they both come
// from, and that README.md's table and `tqd --help` are printed from it.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "config.h"
#include "setting_values.h"
#include "settings.h"
#include "settings_doc.h"
#include "settings_flags.h"
#include "testing/run_command.h"
#include "testing/temp_dir.h"
#include "testing/tqd_process.h"

namespace tq::daemon {
namespace {

using namespace std::chrono_literals;
using proto::kMiB;

// Parses `args` (the flags after the program name) with tqd's setting flags
// and applies them to `config`; returns CLI11's error, or "" when it parsed.
std::string ParseFlags(const std::string& args, Config* config) {
  CLI::App app;
  SettingFlags flags(app);
  try {
    app.parse(args, false);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  proto::Status s = flags.ApplyTo(config);
  return s.ok() ? "" : s.message();
}

const Setting& Row(std::string_view name) {
  const Setting* s = FindSetting(name);
  EXPECT_NE(s, nullptr) << name;
  return *s;
}

class ConfigTest : public ::testing::Test {
 protected:
  // Writes `toml` to a file and applies it to `config_`.
  proto::Status Apply(const std::string& toml) {
    const std::string path = dir_.File("tqd.toml");
    std::ofstream(path) << toml;
    return ApplyConfigFile(path, &config_);
  }
  // The message of the error applying `toml` gives, with the path cut off.
  std::string ErrorOf(const std::string& toml) {
    proto::Status s = Apply(toml);
    EXPECT_FALSE(s.ok()) << toml;
    const std::string prefix = dir_.File("tqd.toml") + ":";
    return s.message().rfind(prefix, 0) == 0 ? s.message().substr(prefix.size())
                                             : s.message();
  }

  // Gives `text` to the setting `name` through its flag and as a string in
  // the file; `get` must read `want` from the Config either way.
  template <typename T, typename Get>
  void ExpectFlagAndFileGive(const std::string& name, const std::string& text, T want,
                             Get get) {
    Config from_flag;
    EXPECT_EQ(ParseFlags(Row(name).long_flag() + " \"" + text + "\"", &from_flag), "");
    EXPECT_EQ(get(from_flag), want) << text;
    ASSERT_TRUE(Apply(name + " = \"" + text + "\"\n").ok()) << text;
    EXPECT_EQ(get(config_), want) << text;
  }

  testing::TempDir dir_;
  Config config_;
};

TEST_F(ConfigTest, TheFileSetsASettingOfEveryType) {
  ASSERT_TRUE(Apply("endpoint = \"ipc:///tmp/x.sock\"\n"
                    "workers = 4\n"
                    "max_rss_per_worker = \"512MiB\"\n"
                    "max_result_store_bytes = 1000\n"
                    "task_timeout = 30.5\n"
                    "stop_grace = \"500ms\"\n"
                    "result_ttl = 60\n"
                    "capture_stacks = false\n"
                    "plugins = [\"/a.so\", \"/b.so\"]\n"
                    "exec = \"off\"\n")
                  .ok());
  EXPECT_EQ(config_.endpoint, "ipc:///tmp/x.sock");
  EXPECT_EQ(config_.workers, 4);
  EXPECT_EQ(config_.max_rss_per_worker, 512 * kMiB);
  EXPECT_EQ(config_.retention.max_bytes, 1000u);
  EXPECT_EQ(config_.task_timeout, 30500ms);
  EXPECT_EQ(config_.stop_grace, 500ms);
  EXPECT_EQ(config_.retention.ttl, 60s);
  EXPECT_FALSE(config_.capture_stacks);
  EXPECT_EQ(config_.plugins, (std::vector<std::string>{"/a.so", "/b.so"}));
  EXPECT_FALSE(config_.exec_enabled);
}

TEST_F(ConfigTest, TheFileLeavesWhatItDoesNotNameAsItWas) {
  config_.workers = 7;
  config_.plugins = {"/kept.so"};
  ASSERT_TRUE(Apply("max_queued = 5\n").ok());
  EXPECT_EQ(config_.max_queued, 5u);
  EXPECT_EQ(config_.workers, 7);
  EXPECT_EQ(config_.plugins, std::vector<std::string>{"/kept.so"});
}

TEST_F(ConfigTest, AnUnknownKeyIsRefusedWithItsLine) {
  EXPECT_EQ(ErrorOf("workers = 2\nwrokers = 3\n"), "2: unknown setting 'wrokers'");
  // A flag's spelling is not a key.
  EXPECT_EQ(ErrorOf("plugin = [\"/a.so\"]\n"), "1: unknown setting 'plugin'");
}

TEST_F(ConfigTest, AValueOfTheWrongTypeIsRefusedNamingTheKeyAndWhatItMustBe) {
  EXPECT_EQ(ErrorOf("workers = \"many\"\n"),
            "1: workers: must be a whole number, got 'many'");
  EXPECT_EQ(ErrorOf("workers = 2.5\n"), "1: workers: must be a whole number, got 2.5");
  EXPECT_EQ(ErrorOf("capture_stacks = \"yes\"\n"),
            "1: capture_stacks: must be true or false, got 'yes'");
  EXPECT_EQ(ErrorOf("endpoint = 5\n"), "1: endpoint: must be a string, got 5");
  EXPECT_EQ(ErrorOf("exec = \"maybe\"\n"), "1: exec: must be on or off, got 'maybe'");
  EXPECT_EQ(ErrorOf("plugins = \"/a.so\"\n"),
            "1: plugins: must be an array of strings, got '/a.so'");
  EXPECT_EQ(ErrorOf("exec_allow = [\"/bin/true\", 3]\n"),
            "1: exec_allow: must be an array of strings, got an array holding a TOML "
            "integer");
  EXPECT_EQ(ErrorOf("result_ttl = { seconds = 3 }\n"),
            "1: result_ttl: must be a duration (seconds, or a number with a unit ms, "
            "s, m, h or d, like 500ms), got a TOML table");
  EXPECT_EQ(ErrorOf("shutdown_grace = 1979-05-27\n"),
            "1: shutdown_grace: must be a duration (seconds, or a number with a unit "
            "ms, s, m, h or d, like 500ms), got a TOML date");
  EXPECT_EQ(ErrorOf("max_rss_per_worker = \"lots\"\n"),
            "1: max_rss_per_worker: must be a size (bytes, or a number with a unit B, "
            "KiB, MiB, GiB, TiB, KB, MB, GB or TB, like 512MiB), got 'lots'");
}

TEST_F(ConfigTest, AFileThatIsRefusedChangesNothing) {
  config_.workers = 7;
  EXPECT_FALSE(Apply("workers = 3\nmax_queued = 0\n").ok());
  EXPECT_EQ(config_.workers, 7);
}

TEST_F(ConfigTest, AFileThatIsNotTomlIsRefusedWithItsLineAndColumn) {
  EXPECT_EQ(ErrorOf("workers = 2\nworkers 3\n").substr(0, 4), "2:9:");
}

TEST_F(ConfigTest, AValueOutOfRangeIsRefusedWithTheRange) {
  EXPECT_EQ(ErrorOf("workers = 1025\n"), "1: workers: must be at most 1024, got 1025");
  EXPECT_EQ(ErrorOf("max_queued = -1\n"), "1: max_queued: must be at least 1, got -1");
  EXPECT_EQ(ErrorOf("max_tasks_per_worker = -1\n"),
            "1: max_tasks_per_worker: must be a whole number, got -1");
  EXPECT_EQ(ErrorOf("bury_after = 4294967296\n"),
            "1: bury_after: must be 1 to 4294967295, got 4294967296");
  EXPECT_EQ(ErrorOf("max_args_bytes = \"49MiB\"\n"),
            "1: max_args_bytes: must be 1 to 48MiB, got '49MiB'");
  EXPECT_EQ(ErrorOf("worker_rlimit_as = 1000\n"),
            "1: worker_rlimit_as: must be 0 (none) or at least 32MiB, got 1000");
  EXPECT_EQ(ErrorOf("task_timeout = -1\n"), "1: task_timeout: must be at most 365d, got -1");
  EXPECT_EQ(ErrorOf("result_ttl = \"366d\"\n"),
            "1: result_ttl: must be at most 365d, got '366d'");
  EXPECT_EQ(ErrorOf("max_rss_per_worker = \"20000000TiB\"\n"),
            "1: max_rss_per_worker: must be at most 18446744073709551615, got "
            "'20000000TiB'");
  // 0 is "none" for the address-space limit, not below its minimum.
  EXPECT_TRUE(Apply("worker_rlimit_as = 0\n").ok());
}

// The same text, given to the flag and to the key, gives the same value.
struct SizeCase {
  std::string text;
  std::uint64_t bytes;
};

TEST_F(ConfigTest, SizesTakeEveryUnitOnTheCommandLineAndInTheFileAlike) {
  const std::vector<SizeCase> cases = {
      {"0", 0},
      {"1000", 1000},
      {"7B", 7},
      {"1KiB", 1024},
      {"3MiB", 3 * kMiB},
      {"2GiB", std::uint64_t{2} << 30},
      {"1TiB", std::uint64_t{1} << 40},
      {"5KB", 5000},
      {"5MB", 5'000'000},
      {"5GB", 5'000'000'000},
      {"5TB", 5'000'000'000'000},
      {"1.5GiB", std::uint64_t{3} << 29},
      {"512 MiB", 512 * kMiB},
      {"18446744073709551615", UINT64_MAX},
  };
  for (const SizeCase& c : cases) {
    ExpectFlagAndFileGive("max_rss_per_worker", c.text, c.bytes,
                          [](const Config& got) { return got.max_rss_per_worker; });
  }
  ASSERT_TRUE(Apply("max_rss_per_worker = 4096\n").ok());
  EXPECT_EQ(config_.max_rss_per_worker, 4096u);
}

TEST_F(ConfigTest, MalformedSizesAreRefusedOnTheCommandLineAndInTheFileAlike) {
  for (const std::string text : {"12XB", "MiB", "-1", "1.5.5", "1e3", "0x10", "5 mib", "inf"}) {
    Config unused;
    const std::string flag_error = ParseFlags("--max-rss-per-worker \"" + text + "\"", &unused);
    const std::string file_error = ErrorOf("max_rss_per_worker = \"" + text + "\"\n");
    const std::string what = "must be a size (bytes, or a number with a unit B, KiB, "
                             "MiB, GiB, TiB, KB, MB, GB or TB, like 512MiB), got '" +
                             text + "'";
    EXPECT_EQ(flag_error, "--max-rss-per-worker: " + what);
    EXPECT_EQ(file_error, "1: max_rss_per_worker: " + what);
  }
}

struct DurationCase {
  std::string text;
  std::chrono::milliseconds value;
};

TEST_F(ConfigTest, DurationsAreSecondsOrANumberWithAUnitInBoth) {
  const std::vector<DurationCase> cases = {
      {"0", 0ms},       {"2", 2s},      {"2.5", 2500ms}, {"0.1", 100ms},
      {"500ms", 500ms}, {"2s", 2s},     {"1m", 1min},    {"1.5h", 90min},
      {"1d", 24h},      {"365d", 8760h}, {"10 s", 10s},
  };
  for (const DurationCase& c : cases) {
    ExpectFlagAndFileGive("task_timeout", c.text, c.value,
                          [](const Config& got) { return got.task_timeout; });
  }
  ASSERT_TRUE(Apply("task_timeout = 3\nstop_grace = 0.25\n").ok());
  EXPECT_EQ(config_.task_timeout, 3s);
  EXPECT_EQ(config_.stop_grace, 250ms);
  Config unused;
  EXPECT_EQ(ParseFlags("--stop-grace 2x", &unused),
            "--stop-grace: must be a duration (seconds, or a number with a unit ms, s, "
            "m, h or d, like 500ms), got '2x'");
}

TEST(ConfigFlagsTest, AFlagOutOfRangeIsRefusedNamingTheFlagAndTheRange) {
  Config c;
  EXPECT_EQ(ParseFlags("-w 2000", &c), "--workers: must be at most 1024, got '2000'");
  EXPECT_EQ(ParseFlags("--max-args-bytes 50331649", &c),
            "--max-args-bytes: must be 1 to 48MiB, got '50331649'");
  EXPECT_EQ(ParseFlags("--worker-rlimit-as 1000", &c),
            "--worker-rlimit-as: must be 0 (none) or at least 32MiB, got '1000'");
  EXPECT_EQ(ParseFlags("--exec maybe", &c), "--exec: must be on or off, got 'maybe'");
  EXPECT_EQ(ParseFlags("--max-queued abc", &c),
            "--max-queued: must be a whole number, got 'abc'");
}

TEST(ConfigFlagsTest, EveryExistingFlagSpellingStillWorks) {
  Config c;
  ASSERT_EQ(ParseFlags("--endpoint ipc:///tmp/e.sock -w 3 --plugin /a.so --plugin /b.so "
                       "--worker /bin/w --max-queued 9 --task-timeout 1.5 "
                       "--shutdown-grace 4 --stop-grace 0.5 --max-tasks-per-worker 10 "
                       "--max-rss-per-worker 1000000 --bury-after 2 --no-capture-stacks "
                       "--result-ttl 30 --max-results 11 --max-result-store-bytes 12345 "
                       "--exec off --exec-allow /bin/echo --exec-allow /bin/true "
                       "--max-args-bytes 1000 --max-result-bytes 2000 "
                       "--worker-rlimit-as 40000000 --worker-rlimit-cpu 7",
                       &c),
            "");
  EXPECT_EQ(c.endpoint, "ipc:///tmp/e.sock");
  EXPECT_EQ(c.workers, 3);
  EXPECT_EQ(c.plugins, (std::vector<std::string>{"/a.so", "/b.so"}));
  EXPECT_EQ(c.worker_program, "/bin/w");
  EXPECT_EQ(c.max_queued, 9u);
  EXPECT_EQ(c.task_timeout, 1500ms);
  EXPECT_EQ(c.shutdown_grace, 4s);
  EXPECT_EQ(c.stop_grace, 500ms);
  EXPECT_EQ(c.max_tasks_per_worker, 10u);
  EXPECT_EQ(c.max_rss_per_worker, 1000000u);
  EXPECT_EQ(c.bury_after, 2u);
  EXPECT_FALSE(c.capture_stacks);
  EXPECT_EQ(c.retention.ttl, 30s);
  EXPECT_EQ(c.retention.max_results, 11u);
  EXPECT_EQ(c.retention.max_bytes, 12345u);
  EXPECT_FALSE(c.exec_enabled);
  EXPECT_EQ(c.exec_allow, (std::vector<std::string>{"/bin/echo", "/bin/true"}));
  EXPECT_EQ(c.limits.max_args_bytes, 1000u);
  EXPECT_EQ(c.limits.max_result_bytes, 2000u);
  EXPECT_EQ(c.worker_rlimit_as, 40000000u);
  EXPECT_EQ(c.worker_rlimit_cpu, 7u);
}

TEST(ConfigFlagsTest, ABoolFlagHasANoFormAndIsLeftAloneWhenNotGiven) {
  Config c;
  c.capture_stacks = false;
  ASSERT_EQ(ParseFlags("--capture-stacks", &c), "");
  EXPECT_TRUE(c.capture_stacks);
  ASSERT_EQ(ParseFlags("--no-capture-stacks", &c), "");
  EXPECT_FALSE(c.capture_stacks);
  ASSERT_EQ(ParseFlags("--workers 2", &c), "");
  EXPECT_FALSE(c.capture_stacks);
}

TEST(ConfigFlagsTest, AScalarFlagGivenTwiceIsRefused) {
  Config c;
  EXPECT_NE(ParseFlags("--workers 2 --workers 3", &c), "");
}

TEST_F(ConfigTest, FlagsWinOverTheFileAndTheFileOverTheDefaults) {
  const std::string path = dir_.File("tqd.toml");
  std::ofstream(path) << "workers = 3\nmax_queued = 5\nplugins = [\"/file.so\"]\n";
  CLI::App app;
  SettingFlags flags(app);
  app.parse("--workers 2 --plugin /flag.so", false);
  Config defaults;
  defaults.workers = 8;
  auto c = LoadConfig(defaults, path, flags);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->workers, 2);
  EXPECT_EQ(c->max_queued, 5u);
  EXPECT_EQ(c->plugins, std::vector<std::string>{"/flag.so"});
  EXPECT_EQ(c->bury_after, Config{}.bury_after);
  EXPECT_EQ(c->config_file, path);

  // A SIGHUP loads again: the file's new values, the same flags on top.
  std::ofstream(path) << "workers = 6\nmax_queued = 50\n";
  c = LoadConfig(defaults, path, flags);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->workers, 2);
  EXPECT_EQ(c->max_queued, 50u);
  EXPECT_EQ(c->plugins, std::vector<std::string>{"/flag.so"});

  std::ofstream(path) << "workers = \"many\"\n";
  EXPECT_FALSE(LoadConfig(defaults, path, flags).ok());
}

TEST(SettingsTest, ValidateChecksTheRangeOfEverySetting) {
  Config c = DefaultConfig();
  c.worker_program = "/bin/true";
  ASSERT_TRUE(c.Validate().ok()) << c.Validate().message();
  Config zero = c;
  zero.workers = 0;
  // No workers of its own is for a tqd with agents only.
  EXPECT_EQ(zero.Validate().message(), "workers: 0 workers needs agents (--agents) to run tasks");
  zero.agents = "tcp://127.0.0.1:7710";
  EXPECT_EQ(zero.Validate().message(),
            "agents: CURVE is mandatory there; set curve_key (tqd's secret key file) and "
            "agent_keys (the allowed agents' public keys)");
  zero.curve_key = "/k.key";
  zero.agent_keys = "/keys";
  EXPECT_TRUE(zero.Validate().ok()) << zero.Validate().message();
  zero.agents = "ipc:///tmp/a";
  EXPECT_EQ(zero.Validate().message(), "agents endpoint 'ipc:///tmp/a' must start with tcp://");
  zero.agents = "tcp://127.0.0.1:7710";
  zero.agent_deadline = 2 * zero.agent_beat;
  EXPECT_EQ(zero.Validate().message(), "agent_deadline must be more than twice agent_beat");
  Config small = c;
  small.worker_rlimit_as = 1000;
  EXPECT_EQ(small.Validate().message(),
            "worker_rlimit_as: must be 0 (none) or at least 32MiB, got 1000");
  Config big = c;
  big.limits.max_result_bytes = 49 * kMiB;
  EXPECT_EQ(big.Validate().message(), "max_result_bytes: must be 1 to 48MiB, got 49MiB");
}

TEST(SettingsTest, EveryRowIsConsistentWithItsField) {
  std::set<std::string> names, flags;
  for (const Setting& s : Settings()) {
    EXPECT_TRUE(names.insert(std::string(s.name)).second) << s.name;
    EXPECT_TRUE(flags.insert(s.long_flag()).second) << s.long_flag();
    const SettingValue value = s.field.get(Config{});
    // The field holds what the type says, its default is in range, and a
    // value written through the row reads back.
    switch (s.type) {
      case SettingType::kCount:
      case SettingType::kBytes:
        EXPECT_TRUE(std::holds_alternative<std::uint64_t>(value)) << s.name;
        EXPECT_GT(s.field.max, 0u) << s.name;
        break;
      case SettingType::kDuration:
        EXPECT_TRUE(std::holds_alternative<std::chrono::milliseconds>(value)) << s.name;
        break;
      case SettingType::kBool:
        EXPECT_TRUE(std::holds_alternative<bool>(value)) << s.name;
        break;
      case SettingType::kString:
        EXPECT_TRUE(std::holds_alternative<std::string>(value)) << s.name;
        break;
      case SettingType::kChoice:
        ASSERT_TRUE(std::holds_alternative<std::string>(value)) << s.name;
        EXPECT_NE(std::find(s.choices.begin(), s.choices.end(), std::get<std::string>(value)),
                  s.choices.end())
            << s.name;
        break;
      case SettingType::kStringList:
        EXPECT_TRUE(std::holds_alternative<std::vector<std::string>>(value)) << s.name;
        break;
    }
    EXPECT_TRUE(CheckRange(s, value).ok()) << s.name;
    EXPECT_LE(s.max_value(), s.field.max == 0 ? UINT64_MAX : s.field.max) << s.name;
    EXPECT_FALSE(s.help.empty()) << s.name;
    EXPECT_NE(s.help.back(), '.') << s.name << ": HelpText adds the full stop";
    Config c;
    s.field.set(c, value);
    EXPECT_EQ(s.field.get(c), value) << s.name;
  }
}

TEST(SettingsTest, StartUpDefaultsAreFilledIn) {
  const Config c = DefaultConfig();
  EXPECT_FALSE(c.endpoint.empty());
  EXPECT_GE(c.workers, 1);
  EXPECT_NE(c.worker_program.find("tq-worker"), std::string::npos);
}

TEST(SettingsTest, ValuesAreFormattedWithTheLargestUnitThatDividesThem) {
  EXPECT_EQ(FormatBytes(0), "0");
  EXPECT_EQ(FormatBytes(1000), "1000");
  EXPECT_EQ(FormatBytes(256 * kMiB), "256MiB");
  EXPECT_EQ(FormatBytes(1536), "1536");
  EXPECT_EQ(FormatBytes(2048), "2KiB");
  EXPECT_EQ(FormatDuration(0ms), "0");
  EXPECT_EQ(FormatDuration(100ms), "100ms");
  EXPECT_EQ(FormatDuration(1500ms), "1500ms");
  EXPECT_EQ(FormatDuration(10s), "10s");
  EXPECT_EQ(FormatDuration(600s), "10m");
  EXPECT_EQ(FormatDuration(48h), "2d");
}

TEST(SettingsTest, HelpPrintsTheDefaultAndTheRangeFromTheTable) {
  EXPECT_EQ(HelpText(Row("workers")),
            "Number of worker processes; 0 runs tasks on agents only (with agents). "
            "Default: the CPU count; at most 1024.");
  EXPECT_EQ(HelpText(Row("max_queued")),
            "Most queued tasks; beyond it SUBMIT gets QUEUE_FULL. Default: 100000; "
            "at least 1.");
  EXPECT_EQ(HelpText(Row("max_rss_per_worker")),
            "Replace a worker whose RSS exceeds this after a task. Default: 0 (never).");
  EXPECT_EQ(HelpText(Row("result_ttl")),
            "How long an ended task's result stays available by id. Default: 10m; "
            "at most 365d.");
  EXPECT_EQ(Metavar(Row("exec")), "on|off");
}

TEST(SettingsTest, ASighupKeepsWhatOnlyARestartChanges) {
  Config running;
  running.endpoint = "ipc:///tmp/a.sock";
  Config next = running;
  next.endpoint = "ipc:///tmp/b.sock";
  next.limits.max_args_bytes = 1000;
  next.workers = running.workers + 1;
  EXPECT_EQ(KeepRestartOnlySettings(running, &next),
            (std::vector<std::string_view>{"endpoint", "max_args_bytes"}));
  EXPECT_EQ(next.endpoint, running.endpoint);
  EXPECT_EQ(next.limits.max_args_bytes, running.limits.max_args_bytes);
  EXPECT_EQ(next.workers, running.workers + 1);
  EXPECT_TRUE(KeepRestartOnlySettings(running, &next).empty());
}

// The text of `file` between the line `begin` and the line `end`.
std::string Between(const std::string& file, const std::string& begin,
                    const std::string& end) {
  std::ifstream in(file);
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  const std::size_t from = text.find(begin + "\n");
  const std::size_t to = text.find("\n" + end, from);
  if (from == std::string::npos || to == std::string::npos) return "(markers not found)";
  return text.substr(from + begin.size() + 1, to + 1 - (from + begin.size() + 1));
}

const std::string kReadme = std::string(TQ_SOURCE_DIR) + "/README.md";

TEST(SettingsDocTest, TheReadmeTableIsWhatTqdPrints) {
  const auto r = testing::RunCommand({testing::BinPath("tqd"), "--print-settings=markdown"});
  ASSERT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(r.out, SettingsMarkdown());
  EXPECT_EQ(Between(kReadme, "<!-- tqd settings: begin (tqd --print-settings=markdown) -->",
                    "<!-- tqd settings: end -->"),
            r.out)
      << "README.md's table of tqd settings is out of date: paste the output of "
         "`build/bin/tqd --print-settings=markdown` between its markers";
}

TEST(SettingsDocTest, TheExampleConfigFileIsWhatTqdPrints) {
  const auto r = testing::RunCommand({testing::BinPath("tqd"), "--print-settings=toml"});
  ASSERT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(r.out, SettingsToml());
  std::ifstream in(std::string(TQ_SOURCE_DIR) + "/systemd/tqd.toml");
  std::stringstream file;
  file << in.rdbuf();
  EXPECT_EQ(file.str(), r.out) << "systemd/tqd.toml is out of date: write it with "
                                  "`build/bin/tqd --print-settings=toml > systemd/tqd.toml`";
}

TEST(SettingsDocTest, EveryKeyOfTheExampleConfigUncommentedIsValid) {
  std::istringstream example(SettingsToml());
  std::string uncommented;
  int keys = 0;
  for (std::string line; std::getline(example, line);) {
    if (line.size() > 1 && line[0] == '#' && line[1] != ' ') {
      uncommented += line.substr(1) + "\n";
      ++keys;
    }
  }
  EXPECT_EQ(keys, static_cast<int>(Settings().size()));
  testing::TempDir dir;
  std::ofstream(dir.File("tqd.toml")) << uncommented;
  Config c;
  const proto::Status s = ApplyConfigFile(dir.File("tqd.toml"), &c);
  EXPECT_TRUE(s.ok()) << s.message() << "\n" << uncommented;
}

TEST(SettingsDocTest, TheReadmeTomlExampleIsAValidFile) {
  const std::string example = Between(kReadme, "```toml", "```");
  ASSERT_NE(example, "(markers not found)");
  testing::TempDir dir;
  std::ofstream(dir.File("tqd.toml")) << example;
  Config c;
  const proto::Status s = ApplyConfigFile(dir.File("tqd.toml"), &c);
  EXPECT_TRUE(s.ok()) << s.message();
}

TEST(SettingsDocTest, TqdHelpPrintsEveryFlagWithItsDefault) {
  const auto r = testing::RunCommand({testing::BinPath("tqd"), "--help"});
  ASSERT_EQ(r.code(), 0) << r.err;
  for (const Setting& s : Settings()) {
    EXPECT_NE(r.out.find(HelpText(s)), std::string::npos) << s.name << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("--[no-]capture-stacks "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("print-settings"), std::string::npos) << "hidden";
}

}  // namespace
}  // namespace tq::daemon
