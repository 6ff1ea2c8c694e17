// Shared pieces of the tq CLI.
#include "cli_common.h"

#include <unistd.h>

#include <cstring>
#include <iostream>

#include "exit_codes.h"
#include "interrupts.h"

namespace tq::cli {

ClientOptions ClientOptionsFor(const Common& common) {
  ClientOptions o;
  o.endpoint = common.endpoint;
  o.connect_timeout = common.connect_timeout;
  return o;
}

int ExitCodeFor(const Outcome& o) {
  switch (o.kind) {
    case Outcome::Kind::kValue: return kOk;
    case Outcome::Kind::kTaskError: return kTaskFailed;
    case Outcome::Kind::kRejected:
      return o.error_type == "QUEUE_FULL" ? kQueueFull : kRejected;
    case Outcome::Kind::kConnection: return kUnreachable;
    case Outcome::Kind::kProtocol: return kProtocol;
    case Outcome::Kind::kForgotten: return kTimeout;  // tq stops waiting only then
  }
  return kProtocol;
}

std::string Describe(const Outcome& o) {
  switch (o.kind) {
    case Outcome::Kind::kTaskError:
      return "task " + std::to_string(o.task_id) + " " +
             std::string(TaskStateName(o.state)) + ": " + o.error_type + ": " + o.message;
    case Outcome::Kind::kRejected:
      return "tqd refused the task: " + o.error_type + ": " + o.message;
    default:
      return o.message;
  }
}

int Report(const Outcome& o) {
  if (!o.ok()) {
    std::cerr << "tq: " << Describe(o) << "\n";
    return ExitCodeFor(o);
  }
  std::cout << MsgpackToJson(o.value) << "\n";
  return kOk;
}

int ExecStatus(const ExecResult& r) {
  if (r.timed_out) return kTimeout;
  if (r.signal) return 128 + *r.signal;
  return r.exit_code.value_or(kProtocol);
}

std::string DescribeExecFailure(const ExecResult& r) {
  if (r.timed_out) return "timed out (--timeout)";
  if (r.signal) {
    const char* name = sigabbrev_np(*r.signal);
    return "killed by signal " + std::to_string(*r.signal) +
           (name != nullptr ? std::string(" (SIG") + name + ")" : "");
  }
  return "exit status " + std::to_string(r.exit_code.value_or(-1));
}

int ShowExecResult(const ExecResult& r) {
  std::cout << r.out;
  std::cout.flush();
  std::cerr << r.err;
  if (r.out_truncated || r.err_truncated) {
    std::cerr << "tq: the command's " << (r.out_truncated ? "stdout" : "")
              << (r.out_truncated && r.err_truncated ? " and " : "")
              << (r.err_truncated ? "stderr" : "") << " was truncated\n";
  }
  return ExecStatus(r);
}

int ReportExec(const Outcome& o) {
  if (!o.ok()) {
    std::cerr << "tq: " << Describe(o) << "\n";
    return ExitCodeFor(o);
  }
  const std::optional<ExecResult> r = DecodeExecResult(o.value);
  if (!r) {
    std::cerr << "tq: task " << o.task_id << " returned something that is not an exec result\n";
    return kProtocol;
  }
  return ShowExecResult(*r);
}

SubmitOptions ExecOptions(SubmitOptions o, std::uint64_t* exec_timeout_ms) {
  *exec_timeout_ms = static_cast<std::uint64_t>(o.timeout.count());
  if (o.timeout.count() > 0) o.timeout += std::chrono::seconds(10);
  return o;
}

ExecSpec ExecFor(std::vector<std::string> argv, const ExecPlace& place,
                 std::uint64_t timeout_ms) {
  return ExecSpec{std::move(argv), place.cwd, place.env, timeout_ms};
}

int Guarded(const std::function<int()>& body) {
  try {
    return body();
  } catch (const ConnectionError& e) {
    std::cerr << "tq: " << e.what() << "\n";
    return kUnreachable;
  } catch (const QueueFullError& e) {
    std::cerr << "tq: " << e.what() << "\n";
    return kQueueFull;
  } catch (const RejectedError& e) {
    std::cerr << "tq: " << e.what() << "\n";
    return kRejected;
  } catch (const Error& e) {
    std::cerr << "tq: " << e.what() << "\n";
    return kProtocol;
  }
}

bool WaitOrInterrupt(const RawResult& call) {
  // The interruption only sets a flag; a short poll sees it soon enough,
  // and a result ends the wait the moment it arrives.
  while (!call.wait_for(std::chrono::milliseconds(50))) {
    if (Interrupts::Status() != 0) return false;
  }
  return true;
}

int CancelUncollected(const std::vector<RawResult>& calls, bool detach) {
  const char* reason = Interrupts::Reason();
  if (detach) {
    std::string ids;
    std::size_t going = 0;
    for (const RawResult& c : calls) {
      if (c.ready()) continue;
      ++going;
      if (const std::uint64_t id = c.wait_accepted()) ids.append(" ").append(std::to_string(id));
    }
    std::cerr << "tq: " << reason << ": " << going << (going == 1 ? " task goes" : " tasks go")
              << " on (--detach):" << ids << "\n";
    return Interrupts::Status();
  }
  std::vector<const RawResult*> asked;
  for (const RawResult& c : calls) {
    if (c.cancel()) asked.push_back(&c);  // false: it had ended already
  }
  // tqd cancels a task at once: its result, cancelled, comes right back.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::size_t cancelled = 0, unconfirmed = 0;
  for (const RawResult* c : asked) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (!c->wait_for(std::max(left, std::chrono::milliseconds(0)))) {
      ++unconfirmed;
    } else if (c->outcome().state == TaskState::kCancelled) {
      ++cancelled;
    }
  }
  std::cerr << "tq: " << reason << ": cancelled " << cancelled
            << (cancelled == 1 ? " task" : " tasks");
  if (unconfirmed != 0) std::cerr << " (" << unconfirmed << " more not confirmed by tqd)";
  std::cerr << "\n";
  return Interrupts::Status();
}

bool WantProgress(int forced) {
  if (forced != 0) return forced > 0;
  return ::isatty(STDERR_FILENO) == 1;
}

}  // namespace tq::cli
