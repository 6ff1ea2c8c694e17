// Who may reach tqd: real users, made for the test with useradd (so it
// needs root; it says so and skips otherwise; CI runs as root). tqd runs
// as a service user; its runtime directory comes out 0750 and its socket
// 0660, both of the service's group: a member of that group submits
// function and exec tasks, a user outside it is refused with a sentence
// that says why, by the directory and, where the directory is open, by the
// socket itself. Each task is put down to the user who submitted it, and
// max_running_per_user keeps one user from taking every worker.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "testing/run_command.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using testing::BinPath;
using testing::CommandResult;
using testing::RunCommand;
using testing::TempDir;
using testing::TqdOptions;
using testing::TqdProcess;

// `argv` run as `user`, with its own group and supplementary groups.
std::vector<std::string> As(const std::string& user,
                            std::vector<std::string> argv) {
  std::vector<std::string> all = {"/usr/bin/setpriv", "--reuid=" + user,
                                  "--regid=" + user, "--init-groups", "--"};
  all.insert(all.end(), argv.begin(), argv.end());
  return all;
}

// Three users for one test: the service's (with its own group), a member
// of that group and an outsider. Removed in the destructor, whatever the
// test did.
class Users {
 public:
  Users() {
    const std::string id = std::to_string(::getpid());
    service = "tqsvc" + id;
    member = "tqin" + id;
    outsider = "tqout" + id;
    Add({service});
    Add({"-G", service, member});
    Add({outsider});
  }
  ~Users() {
    for (auto it = made_.rbegin(); it != made_.rend(); ++it) {
      (void)RunCommand({"/usr/sbin/userdel", *it});
    }
    (void)RunCommand({"/usr/sbin/groupdel", service});  // if userdel left it
  }
  Users(const Users&) = delete;
  Users& operator=(const Users&) = delete;

  bool ok() const { return error.empty(); }

  std::string service, member, outsider;
  std::string error;  // why a user could not be made

 private:
  void Add(std::vector<std::string> args) {
    std::vector<std::string> argv = {
        "/usr/sbin/useradd", "--system", "--no-create-home",  "--home-dir",
        "/nonexistent",      "--shell",  "/usr/sbin/nologin", "--user-group"};
    argv.insert(argv.end(), args.begin(), args.end());
    const CommandResult r = RunCommand(argv);
    if (r.code() != 0) {
      error += "useradd " + args.back() + ": " + r.err;
      return;
    }
    made_.push_back(args.back());
  }
  std::vector<std::string> made_;
};

// The users, and a place for the service's runtime directory: the temp
// dir is open to everyone, like /; run/ belongs to the service, like a
// parent that tqd may create its runtime directory in.
class SocketPermissionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root to add the users it tests with (useradd); CI "
                      "runs as root";
    }
    users_.emplace();
    ASSERT_TRUE(users_->ok()) << users_->error;
    const passwd* service_user = ::getpwnam(users_->service.c_str());
    ASSERT_NE(service_user, nullptr);
    gid_ = service_user->pw_gid;
    ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
    const std::string run = dir_.File("run");
    ASSERT_EQ(::mkdir(run.c_str(), 0755), 0);
    ASSERT_EQ(::chown(run.c_str(), service_user->pw_uid, gid_), 0);
    runtime_dir_ = run + "/tq";
    // The service's state directory is its own, as StateDirectory= makes it.
    ASSERT_EQ(::mkdir(state_dir_.c_str(), 0700), 0);
    ASSERT_EQ(::chown(state_dir_.c_str(), service_user->pw_uid, gid_), 0);
    endpoint_ = "ipc://" + runtime_dir_ + "/tqd.sock";
  }
  // A tqd as the service user on endpoint_.
  TqdOptions AsService() const {
    TqdOptions o;
    o.endpoint = endpoint_;
    o.state_dir = state_dir_;
    o.launcher = As(users_->service, {});
    return o;
  }

  std::optional<Users> users_;
  gid_t gid_ = 0;  // the service's group
  TempDir dir_;
  std::string state_dir_ = dir_.File("state");
  std::string runtime_dir_, endpoint_;
};

TEST_F(SocketPermissionsTest, OnlyTheServicesGroupReachesItsSocket) {
  const Users& users = *users_;
  const gid_t gid = gid_;
  const std::string& runtime_dir = runtime_dir_;
  const std::string& endpoint = endpoint_;
  TqdProcess tqd(AsService());

  struct stat st {};
  ASSERT_EQ(::stat(runtime_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_gid, gid);
  ASSERT_EQ(::stat((runtime_dir + "/tqd.sock").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  EXPECT_EQ(st.st_gid, gid);

  const std::string tq = BinPath("tq");
  CommandResult r = RunCommand(
      As(users.member, {tq, "--endpoint", endpoint, "call", "echo", "1"}));
  EXPECT_EQ(r.code(), 0) << r.err << tqd.Log();
  EXPECT_EQ(r.out, "[1]\n");
  // An exec task, its command forking in its own process group.
  r = RunCommand(
      As(users.member, {tq, "--endpoint", endpoint, "submit", "--wait", "--",
                        "sh", "-c", "sleep 0.1 & wait; id -un"}));
  EXPECT_EQ(r.code(), 0) << r.err << tqd.Log();
  EXPECT_EQ(r.out, users.service + "\n") << "exec tasks run as tqd's user";

  const std::string denied =
      "cannot reach tqd at " + runtime_dir +
      "/tqd.sock: permission denied (only tqd's user and the members "
      "of its group may connect)";
  r = RunCommand(As(users.outsider, {tq, "--endpoint", endpoint, "ping"}));
  EXPECT_EQ(r.code(), 122) << r.out << r.err;
  EXPECT_NE(r.err.find(denied), std::string::npos) << r.err;

  // With the directory open to all, the socket's own mode still refuses.
  ASSERT_EQ(::chmod(runtime_dir.c_str(), 0755), 0);
  r = RunCommand(
      As(users.outsider, {tq, "--endpoint", endpoint, "call", "echo", "1"}));
  EXPECT_EQ(r.code(), 122) << r.out << r.err;
  EXPECT_NE(r.err.find(denied), std::string::npos) << r.err;

  EXPECT_EQ(tqd.Terminate().code, 0) << tqd.Log();
}

// The service's own user and a member of its group, two real uids, share
// a pool of two workers capped at one running task per user.
TEST_F(SocketPermissionsTest, EachUsersTasksAreTheirsAndOneUserCannotTakeEveryWorker) {
  const Users& users = *users_;
  const std::string& endpoint = endpoint_;
  TqdOptions o = AsService();
  o.workers = 2;
  o.extra_args = {"--max-running-per-user", "1"};
  TqdProcess tqd(o);

  const std::string tq = BinPath("tq");
  auto submit_sleep = [&](const std::string& user) {
    const CommandResult r =
        RunCommand(As(user, {tq, "--endpoint", endpoint, "submit", "sleep", "30000"}));
    EXPECT_EQ(r.code(), 0) << r.err << tqd.Log();
    return r.out.substr(0, r.out.find('\n'));
  };
  auto status = [&](const std::string& id) {
    return RunCommand(As(users.member, {tq, "--endpoint", endpoint, "status", id})).out;
  };
  const std::string first = submit_sleep(users.service);
  ASSERT_TRUE(testing::WaitFor("the service user's task to run", [&] {
    return status(first).find("state     running") != std::string::npos;
  })) << status(first);
  const std::string second = submit_sleep(users.service);
  const std::string members = submit_sleep(users.member);
  ASSERT_TRUE(testing::WaitFor("the member's task to run", [&] {
    return status(members).find("state     running") != std::string::npos;
  })) << status(members) << tqd.Log();
  const std::string held = status(second);
  EXPECT_NE(held.find("state     queued"), std::string::npos)
      << "the service user is at its cap of one:\n" << held;
  EXPECT_NE(held.find("user      " + users.service + " (pid "), std::string::npos) << held;
  EXPECT_NE(status(members).find("user      " + users.member + " (pid "), std::string::npos)
      << status(members);

  // tq workers: one busy worker each.
  const CommandResult workers =
      RunCommand(As(users.member, {tq, "--endpoint", endpoint, "workers", "--json"}));
  EXPECT_EQ(workers.code(), 0) << workers.err;
  EXPECT_NE(workers.out.find("\"user\":\"" + users.service + "\""), std::string::npos)
      << workers.out;
  EXPECT_NE(workers.out.find("\"user\":\"" + users.member + "\""), std::string::npos)
      << workers.out;

  // The first ends: the held one takes its place.
  (void)RunCommand(As(users.service, {tq, "--endpoint", endpoint, "cancel", first}));
  EXPECT_TRUE(testing::WaitFor("the held task to run", [&] {
    return status(second).find("state     running") != std::string::npos;
  })) << status(second);
}

}  // namespace
}  // namespace tq
