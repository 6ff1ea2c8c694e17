// tq map: many tasks from one command line, GNU parallel's way.
//
// Items come from after ::: or, one per line, from stdin, read lazily: at
// most `window` tasks are in flight. Output is printed as results arrive,
// in input order unless --unordered, each item's output whole. A failed
// item is named on stderr by its position, its input line and its text.
// Interrupted (^C, SIGTERM, stdout closed), the map cancels what it has
// not collected.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <limits>
#include <map>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "exit_codes.h"
#include "interrupts.h"
#include "json_msgpack.h"
#include "placeholders.h"
#include "progress_bar.h"

namespace tq::cli {
namespace {

// Pushed into the completion queue by an interruption, to wake the map.
constexpr std::size_t kWakeTag = std::numeric_limits<std::size_t>::max();

struct Item {
  std::string text;  // the input, as read
  std::size_t line;  // its line of stdin, from 1; 0 when it came after :::
};

struct InFlight {
  Item item;
  RawResult result;
};

// "item 3 (line 4: photos/b.jpg)": how a failure names its input.
std::string Name(std::size_t index, const Item& item) {
  constexpr std::size_t kShown = 80;
  const std::string text =
      item.text.size() <= kShown ? item.text : item.text.substr(0, kShown) + "...";
  return "item " + std::to_string(index + 1) + " (" +
         (item.line != 0 ? "line " + std::to_string(item.line) + ": " : "") + text + ")";
}

// The key of item `index` (from 0) of the resumable map `name`: JOB/1...
std::string ItemKey(const std::string& name, std::size_t index) {
  return name + "/" + std::to_string(index + 1);
}

}  // namespace

int Map(const Common& common, const MapSpec& spec) {
  const bool exec = !spec.command.empty();
  RawClient client(ClientOptionsFor(common));
  auto queue = std::make_shared<detail::CompletionQueue>();
  Interrupts::Scope scope([queue] { queue->Push(kWakeTag); });
  SubmitOptions options = spec.options;
  std::uint64_t exec_timeout_ms = 0;
  if (exec) options = ExecOptions(options, &exec_timeout_ms);
  if (!spec.name.empty()) {
    options.durable = true;
    options.name = spec.name;
    options.rerun_failed = true;
  }
  ProgressBar bar(WantProgress(spec.progress));
  const std::size_t window = spec.window == 0 ? 1 : spec.window;

  std::map<std::size_t, InFlight> in_flight;  // by item index
  std::size_t submitted = 0, printed = 0, done = 0, failed = 0;
  std::optional<std::size_t> total;
  if (spec.items) total = spec.items->size();
  int tool_error = kOk;  // a refusal or lost connection stops the map
  bool input_done = false, halted = false, connection_lost = false;
  std::size_t item_pos = 0, line = 0;

  auto next_item = [&](Item* item) {
    if (spec.items) {
      if (item_pos >= spec.items->size()) return false;
      *item = {(*spec.items)[item_pos++], 0};
      return true;
    }
    while (std::getline(std::cin, item->text)) {
      item->line = ++line;
      if (!item->text.empty() && item->text.back() == '\r') item->text.pop_back();
      if (item->text.find_first_not_of(" \t") != std::string::npos) return true;
    }
    return false;
  };

  // Prints one item's output and counts it.
  auto show = [&](std::size_t index, const InFlight& f) {
    const Outcome& o = f.result.outcome();
    bar.Clear();
    bool ok = o.ok();
    if (!ok && o.kind == Outcome::Kind::kConnection && connection_lost) {
      // Said once: every item still in flight shares the cause.
    } else if (!ok) {
      if (o.kind == Outcome::Kind::kConnection) connection_lost = true;
      std::cerr << "tq: " << Name(index, f.item) << ": " << Describe(o) << "\n";
      if (o.kind != Outcome::Kind::kTaskError && tool_error == kOk) {
        tool_error = ExitCodeFor(o);
      }
    } else if (exec) {
      const std::optional<ExecResult> result = DecodeExecResult(o.value);
      ok = result && ShowExecResult(*result) == kOk;
      if (!ok) {
        std::cerr << "tq: " << Name(index, f.item) << ": "
                  << (result ? DescribeExecFailure(*result) : "not an exec result") << "\n";
      }
    } else {
      std::cout << MsgpackToJson(o.value) << "\n";
    }
    std::cout.flush();
    if (!std::cout) Interrupts::StdoutClosed();  // EPIPE: the reader is gone
    ++done;
    if (!ok) {
      ++failed;
      if (spec.halt_on_error) halted = true;
    }
    bar.Redraw();
  };

  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    while (!input_done && !halted && tool_error == kOk && in_flight.size() < window &&
           Interrupts::Status() == 0) {
      Item item;
      if (!next_item(&item)) {
        input_done = true;
        total = submitted;
        break;
      }
      std::string args;
      if (exec) {
        args = ExecArgs(ExecFor(ExpandCommand(spec.command, item.text, submitted + 1),
                                spec.place, exec_timeout_ms));
      } else {
        std::string error;
        std::optional<std::string> json = JsonLineToArgs(item.text, &error);
        if (!json) {
          bar.Clear();
          std::cerr << "tq: input line " << item.line << " " << error << "\n";
          tool_error = kUsage;
          break;
        }
        args = std::move(*json);
      }
      // Item N of a resumable map is the task of key JOB/N: tqd returns the
      // one that is done, or queued or running still, and runs a new one
      // for an item that failed.
      if (!spec.name.empty()) options.key = ItemKey(spec.name, submitted);
      RawResult result = client.Submit(exec ? "exec" : spec.fn, args, options, queue, submitted);
      in_flight.emplace(submitted, InFlight{std::move(item), std::move(result)});
      ++submitted;
    }
    if (Interrupts::Status() != 0) {
      bar.Clear();
      std::vector<RawResult> uncollected;
      for (const auto& [index, f] : in_flight) uncollected.push_back(f.result);
      return CancelUncollected(uncollected, spec.detach);
    }
    if (in_flight.empty()) break;
    const std::size_t finished = queue->Pop();
    if (finished == kWakeTag) continue;  // interrupted: handled above
    if (spec.keep_order) {
      for (auto it = in_flight.begin();
           it != in_flight.end() && it->first == printed && it->second.result.ready();
           it = in_flight.erase(it), ++printed) {
        show(it->first, it->second);
      }
    } else if (auto it = in_flight.find(finished); it != in_flight.end()) {
      show(it->first, it->second);
      in_flight.erase(it);
    }
    bar.Items(done, failed, in_flight.size(), total);
  }
  bar.Clear();

  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char summary[160];
  std::snprintf(summary, sizeof summary, "tq map: %zu ok, %zu failed, %.2f s, %.1f/s%s\n",
                done - failed, failed, secs, secs > 0 ? static_cast<double>(done) / secs : 0.0,
                halted ? " (halted on error)" : "");
  std::cerr << summary;
  if (connection_lost) {
    std::cerr << "tq: the items after the first lost one are unfinished too";
    if (!spec.name.empty()) {
      std::cerr << "; run the same command again to run the items of " << spec.name
                << " that are not done";
    }
    std::cerr << "\n";
  }
  if (tool_error != kOk) return tool_error;
  return failed > 100 ? kMaxFailedCount : static_cast<int>(failed);
}

int MapStatus(const Common& common, const std::string& name) {
  RawClient client(ClientOptionsFor(common));
  const JobStatus job = client.Job(name);
  const std::uint64_t pending = job.queued + job.running;
  std::cout << name << ": " << job.done << " done, " << job.failed << " failed, " << pending
            << " pending (" << job.queued << " queued, " << job.running << " running)\n";
  const std::string prefix = name + "/";
  for (const JobStatus::Failure& f : job.failures) {
    const std::string item = f.key.starts_with(prefix) ? f.key.substr(prefix.size()) : f.key;
    std::cout << "  item " << item << " (task " << f.task_id << "): " << TaskStateName(f.state)
              << (f.message.empty() ? "" : ": " + f.message) << "\n";
  }
  if (job.failed > job.failures.size()) {
    std::cout << "  ... and " << job.failed - job.failures.size() << " more failed\n";
  }
  return job.failed > 100 ? kMaxFailedCount : static_cast<int>(job.failed);
}

}  // namespace tq::cli
