// Status, error-code and task-state names, and endpoint resolution.
#include "tq/proto/status.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>

#include "tq/proto/endpoint.h"
#include "tq/proto/messages.h"

namespace tq::proto {
namespace {

constexpr ErrorCode kWireCodes[] = {
    ErrorCode::kMalformed,       ErrorCode::kBadVersion,
    ErrorCode::kUnknownKind,     ErrorCode::kMissingField,
    ErrorCode::kWrongType,       ErrorCode::kBadValue,
    ErrorCode::kUnknownField,    ErrorCode::kTooLarge,
    ErrorCode::kUnknownFunction, ErrorCode::kQueueFull,
    ErrorCode::kShuttingDown,    ErrorCode::kInternal,
    ErrorCode::kNotFound,        ErrorCode::kWrongState,
    ErrorCode::kRepliesDropped,  ErrorCode::kStoreFailed,
    ErrorCode::kObjectFull,      ErrorCode::kTooManyWaiting,
    ErrorCode::kPipeFull,        ErrorCode::kNotBatchable,
};

TEST(ErrorCodeTest, ParsesTheNameOfEveryWireCodeBackToTheCode) {
  for (ErrorCode code : kWireCodes) {
    const std::string_view name = ErrorCodeName(code);
    EXPECT_EQ(ParseErrorCode(name), std::optional<ErrorCode>(code)) << name;
  }
}

TEST(ErrorCodeTest, GivesEveryCodeADistinctName) {
  for (ErrorCode a : kWireCodes) {
    for (ErrorCode b : kWireCodes) {
      if (a != b) {
        EXPECT_NE(ErrorCodeName(a), ErrorCodeName(b));
      }
    }
  }
  EXPECT_EQ(ErrorCodeName(ErrorCode::kUnknownFunction), "UNKNOWN_FUNCTION");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kQueueFull), "QUEUE_FULL");
}

TEST(ErrorCodeTest, ParsesNoUnknownOrMiscasedName) {
  EXPECT_EQ(ParseErrorCode(""), std::nullopt);
  EXPECT_EQ(ParseErrorCode("NOPE"), std::nullopt);
  EXPECT_EQ(ParseErrorCode("malformed"), std::nullopt);
  EXPECT_EQ(ParseErrorCode("MALFORMED "), std::nullopt);
}

TEST(ErrorCodeTest, ParsesNoLocalOnlyName) {
  // A peer's ERROR with code "OK" must not turn into an OK Status.
  EXPECT_EQ(ParseErrorCode("OK"), std::nullopt);
  EXPECT_EQ(ParseErrorCode("IO"), std::nullopt);
  EXPECT_EQ(ParseErrorCode("CONFIG"), std::nullopt);
}

TEST(StatusTest, DefaultsToOk) {
  const Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kOk);
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(StatusTest, ToStringPutsTheCodeNameBeforeTheMessage) {
  const Status s(ErrorCode::kQueueFull, "1000 tasks queued");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToString(), "QUEUE_FULL: 1000 tasks queued");
}

TEST(StatusTest, FromErrnoSaysWhatWasBeingDoneAndWhyItFailed) {
  const Status s = Status::FromErrno("open /x/y", ENOENT);
  EXPECT_EQ(s.code(), ErrorCode::kIo);
  EXPECT_EQ(s.message(), "open /x/y: No such file or directory");
}

Result<int> Half(int n) {
  if (n % 2 != 0) return Status(ErrorCode::kBadValue, "odd");
  return n / 2;
}

Status HalveTwice(int n, int* out) {
  Result<int> once = Half(n);
  TQ_RETURN_IF_ERROR(once.status());
  Result<int> twice = Half(*once);
  TQ_RETURN_IF_ERROR(twice.status());
  *out = *twice;
  return Status::Ok();
}

TEST(ResultTest, HoldsAValueOrAStatus) {
  Result<int> good = Half(8);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 4);
  EXPECT_TRUE(good.status().ok());
  Result<int> bad = Half(3);
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), ErrorCode::kBadValue);
}

TEST(ResultTest, ReturnIfErrorStopsAtTheFirstFailure) {
  int out = -1;
  EXPECT_TRUE(HalveTwice(8, &out).ok());
  EXPECT_EQ(out, 2);
  out = -1;
  EXPECT_EQ(HalveTwice(6, &out).message(), "odd");  // 6 -> 3 -> odd
  EXPECT_EQ(out, -1);
}

TEST(TaskStateTest, ParsesEveryStateNameBackToTheState) {
  const TaskState states[] = {TaskState::kQueued,   TaskState::kRunning,
                              TaskState::kDone,     TaskState::kFailed,
                              TaskState::kTimedOut, TaskState::kCancelled,
                              TaskState::kLost};
  for (TaskState s : states) {
    EXPECT_EQ(ParseTaskState(TaskStateName(s)), std::optional<TaskState>(s))
        << TaskStateName(s);
  }
  EXPECT_EQ(TaskStateName(TaskState::kTimedOut), "timed_out");
  EXPECT_EQ(ParseTaskState("DONE"), std::nullopt);
  EXPECT_EQ(ParseTaskState(""), std::nullopt);
}

TEST(TaskStateTest, CallsOnlyQueuedAndRunningNotFinal) {
  EXPECT_FALSE(IsFinal(TaskState::kQueued));
  EXPECT_FALSE(IsFinal(TaskState::kRunning));
  EXPECT_TRUE(IsFinal(TaskState::kDone));
  EXPECT_TRUE(IsFinal(TaskState::kLost));
}

TEST(EndpointTest, IpcPathIsTheFilesystemPathOfAnIpcEndpoint) {
  EXPECT_EQ(IpcPath("ipc:///run/tq/tqd.sock"), "/run/tq/tqd.sock");
  EXPECT_EQ(IpcPath("ipc://rel/s.sock"), "rel/s.sock");
  EXPECT_EQ(IpcPath("tcp://127.0.0.1:5555"), "");
  EXPECT_EQ(IpcPath("ipc:/"), "");
  EXPECT_EQ(IpcPath(""), "");
}

// Sets an environment variable for one scope and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(EndpointTest, DefaultEndpointPrefersTqEndpointThenXdgRuntimeDir) {
  {
    ScopedEnv endpoint("TQ_ENDPOINT", "tcp://127.0.0.1:7000");
    ScopedEnv runtime("XDG_RUNTIME_DIR", "/run/user/1000");
    EXPECT_EQ(DefaultEndpoint(), "tcp://127.0.0.1:7000");
    EXPECT_EQ(DefaultClientEndpoint(), "tcp://127.0.0.1:7000");
  }
  {
    ScopedEnv endpoint("TQ_ENDPOINT", nullptr);
    ScopedEnv runtime("XDG_RUNTIME_DIR", nullptr);
    EXPECT_EQ(DefaultEndpoint(), "ipc:///run/tq/tqd.sock");
  }
}

// The rule of endpoint.h, in each environment it names.
TEST(EndpointTest, TqdAndClientsFollowOneRuleForUsersAndRoot) {
  auto none = [](const std::string&) { return false; };
  EndpointEnv user{.xdg_runtime_dir = "/run/user/1000", .root = false, .exists = none};
  EXPECT_EQ(ServerEndpoint(user), "ipc:///run/user/1000/tq/tqd.sock");
  EXPECT_EQ(ClientEndpoint(user), "ipc:///run/user/1000/tq/tqd.sock");

  // Root: the system socket, even from a login shell with a runtime dir.
  EndpointEnv root{.xdg_runtime_dir = "/run/user/0", .root = true, .exists = none};
  EXPECT_EQ(ServerEndpoint(root), "ipc:///run/tq/tqd.sock");
  EXPECT_EQ(ClientEndpoint(root), "ipc:///run/tq/tqd.sock");

  // No runtime dir (a system service, cron, sudo): the system socket.
  EndpointEnv bare{.xdg_runtime_dir = "", .root = false, .exists = none};
  EXPECT_EQ(ServerEndpoint(bare), "ipc:///run/tq/tqd.sock");
  EXPECT_EQ(ClientEndpoint(bare), "ipc:///run/tq/tqd.sock");

  // TQ_ENDPOINT wins for everyone; empty counts as unset.
  EndpointEnv given{.tq_endpoint = "tcp://127.0.0.1:7000", .root = true, .exists = none};
  EXPECT_EQ(ServerEndpoint(given), "tcp://127.0.0.1:7000");
  EXPECT_EQ(ClientEndpoint(given), "tcp://127.0.0.1:7000");
  EndpointEnv empty{.tq_endpoint = "", .xdg_runtime_dir = "/run/user/1000", .exists = none};
  EXPECT_EQ(ServerEndpoint(empty), "ipc:///run/user/1000/tq/tqd.sock");
}

TEST(EndpointTest, AUserWithoutATqdOfTheirOwnReachesTheSystemOne) {
  std::set<std::string> sockets{"/run/tq/tqd.sock"};
  auto exists = [&](const std::string& path) { return sockets.count(path) > 0; };
  EndpointEnv user{.xdg_runtime_dir = "/run/user/1000", .root = false, .exists = exists};
  EXPECT_EQ(ServerEndpoint(user), "ipc:///run/user/1000/tq/tqd.sock");
  EXPECT_EQ(ClientEndpoint(user), "ipc:///run/tq/tqd.sock");
  // Their own tqd, once it runs, comes first.
  sockets.insert("/run/user/1000/tq/tqd.sock");
  EXPECT_EQ(ClientEndpoint(user), "ipc:///run/user/1000/tq/tqd.sock");
  // Neither: the user's own, which is what a tqd they start would serve.
  sockets.clear();
  EXPECT_EQ(ClientEndpoint(user), "ipc:///run/user/1000/tq/tqd.sock");
}

}  // namespace
}  // namespace tq::proto
