// tqd's logging: one synchronous logger on stderr, as text or as JSON, and
// with syslog priorities when stderr is the journal.
//
// Text: "2024-05-01 12:00:00.123 tqd[4120] warning: task 12 (square,
// worker 4121, uid 1000): timed out after 2.000 s". JSON, one object per
// line, keys in this order: {"time":"2024-05-01T10:00:00.123Z","level":
// "warning","message":"timed out after 2.000 s","task":12,"fn":"square",
// "pid":4121,"uid":1000}; task, fn, pid (the worker's) and uid (the
// submitter's) only on lines about a task and each only when known
// (log_fields.h), time in UTC. Invalid UTF-8 in a message (a worker's error text) becomes U+FFFD.
//
// The journal: systemd sets JOURNAL_STREAM to the device and inode of the
// stream it connected a service's stderr to. When stderr is that stream,
// each line starts with its syslog priority, "<3>" for errors to "<7>" for
// debug (sd-daemon(3)), which journald strips and stores as PRIORITY, and
// text lines lose their timestamp and process name (the journal has
// both). Why the prefix and not spdlog's systemd sink: it needs no
// libsystemd in tqd's link, keeps one output path whatever the format
// (a JSON line goes to the journal as its message), and lines keep their
// order with anything else written to stderr; the sink in spdlog 1.10
// would add no structured fields of ours either. A JOURNAL_STREAM that
// names another file (stderr redirected by hand under systemd) is ignored,
// as sd-daemon(3) advises.
//
// Call from the main thread before anything logs; may be called again
// (after the configuration is read) to change the level and format.
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string>

namespace tq::daemon {

enum class LogFormat { kText, kJson };

// "text" or "json" (the setting log_format); kText for anything else.
LogFormat ParseLogFormat(const std::string& name);

// Whether JOURNAL_STREAM names the file stderr is.
bool StderrIsJournal();

struct LogSetup {
  std::string level = "info";  // trace, debug, info, warn, error, off
  LogFormat format = LogFormat::kText;
  bool journal = false;  // StderrIsJournal()
  // The logger's name and the text lines' process name: tq-agent uses
  // this logging too.
  std::string program = "tqd";
};

// Makes (or remakes) the default logger, named setup.program, on stderr.
void SetUpLogging(const LogSetup& setup);

// The formatter SetUpLogging gives the logger, for tests.
std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format, bool journal,
                                                    const std::string& program = "tqd");

}  // namespace tq::daemon
