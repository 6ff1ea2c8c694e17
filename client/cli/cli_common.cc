// Shared pieces of the tq CLI.
#include "cli_common.h"

#include <unistd.h>

#include <iostream>

#include "exit_codes.h"

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
  }
  return kProtocol;
}

std::string Describe(const Outcome& o) {
  switch (o.kind) {
    case Outcome::Kind::kTaskError:
      return "task " + std::to_string(o.task_id) + " " +
             std::string(TaskStateName(o.state)) + ": " + o.error_type +
             ": " + o.message;
    case Outcome::Kind::kRejected:
      return "tqd refused the task: " + o.error_type + ": " + o.message;
    default:
      return o.message;
  }
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
  if (r.timed_out) return kTimeout;
  if (r.signal) return 128 + *r.signal;
  return r.exit_code.value_or(kProtocol);
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

bool WantProgress(int forced) {
  if (forced != 0) return forced > 0;
  return ::isatty(STDERR_FILENO) == 1;
}

}  // namespace tq::cli
