// ParseExecRequest and ChildEnvironment, without running anything: every
// key, every wrong type, nil as absent, duplicates, the shell rules, and
// the sentences a client sees for each mistake.
#include "worker/exec_request.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <msgpack.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tq/worker/task.h"

namespace tq::worker {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;
// Packs one msgpack value.
using Value = std::function<void(Packer&)>;

Value Str(std::string s) {
  return [s](Packer& p) { p.pack(s); };
}
Value Bin(std::string s) {
  return [s](Packer& p) {
    p.pack_bin(static_cast<std::uint32_t>(s.size()));
    p.pack_bin_body(s.data(), static_cast<std::uint32_t>(s.size()));
  };
}
Value Bool(bool b) {
  return [b](Packer& p) { p.pack(b); };
}
Value UInt(std::uint64_t n) {
  return [n](Packer& p) { p.pack(n); };
}
Value Int(std::int64_t n) {
  return [n](Packer& p) { p.pack(n); };
}
Value Float(double x) {
  return [x](Packer& p) { p.pack_double(x); };
}
Value Nil() {
  return [](Packer& p) { p.pack_nil(); };
}
Value Array(std::vector<Value> items) {
  return [items](Packer& p) {
    p.pack_array(static_cast<std::uint32_t>(items.size()));
    for (const Value& v : items) v(p);
  };
}
Value Strs(std::vector<std::string> items) {
  std::vector<Value> values;
  for (std::string& s : items) values.push_back(Str(std::move(s)));
  return Array(std::move(values));
}
// A map whose keys are values too, so a test can use a key of any type.
Value Map(std::vector<std::pair<Value, Value>> entries) {
  return [entries](Packer& p) {
    p.pack_map(static_cast<std::uint32_t>(entries.size()));
    for (const auto& [k, v] : entries) {
      k(p);
      v(p);
    }
  };
}

// The task's argument array: [ {key: value, ...} ], keys in this order.
std::string Args(std::vector<std::pair<std::string, Value>> entries) {
  std::vector<std::pair<Value, Value>> map;
  for (auto& [k, v] : entries) map.emplace_back(Str(k), std::move(v));
  msgpack::sbuffer buf;
  Packer p(buf);
  Array({Map(std::move(map))})(p);
  return std::string(buf.data(), buf.size());
}
std::string Packed(const Value& v) {
  msgpack::sbuffer buf;
  Packer p(buf);
  v(p);
  return std::string(buf.data(), buf.size());
}

// The sentence ParseExecRequest rejects `args` with ("" if it accepts it).
std::string Rejection(const std::string& args) {
  try {
    ParseExecRequest(args);
  } catch (const TaskError& e) {
    EXPECT_EQ(e.type(), "tq.BadArguments");
    return e.what();
  }
  return "";
}

TEST(ExecRequestTest, ReadsEveryKey) {
  const ExecRequest r = ParseExecRequest(Args({
      {"argv", Strs({"grep", "-c", "x"})},
      {"shell", Bool(false)},
      {"cwd", Str("sub/dir")},
      {"env", Map({{Str("B"), Str("2")}, {Str("A"), Str("1")}})},
      {"stdin", Str("x\nxy\n")},
      {"timeout_ms", UInt(1500)},
      {"max_output", UInt(4096)},
  }));
  EXPECT_EQ(r.argv, (std::vector<std::string>{"grep", "-c", "x"}));
  EXPECT_FALSE(r.shell);
  EXPECT_EQ(r.cwd, "sub/dir");
  const std::vector<std::pair<std::string, std::string>> env = {{"B", "2"},
                                                                {"A", "1"}};
  EXPECT_EQ(r.env, env);  // in the request's order
  EXPECT_EQ(r.stdin_data, "x\nxy\n");
  EXPECT_EQ(r.timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(r.max_output, 4096u);
}

TEST(ExecRequestTest, LeavesWhatIsNotGivenAtItsDefault) {
  const ExecRequest r = ParseExecRequest(Args({{"argv", Strs({"true"})}}));
  EXPECT_EQ(r.argv, std::vector<std::string>{"true"});
  EXPECT_FALSE(r.shell);
  EXPECT_FALSE(r.cwd);
  EXPECT_TRUE(r.env.empty());
  EXPECT_FALSE(r.stdin_data);  // /dev/null, not an empty pipe
  EXPECT_EQ(r.timeout, std::chrono::milliseconds(0));
  EXPECT_EQ(r.max_output, kDefaultMaxOutput);
}

TEST(ExecRequestTest, TakesNilAsAnAbsentKeyExceptForArgv) {
  const ExecRequest r = ParseExecRequest(Args({
      {"argv", Strs({"true"})},
      {"shell", Nil()},
      {"cwd", Nil()},
      {"env", Nil()},
      {"stdin", Nil()},
      {"timeout_ms", Nil()},
      {"max_output", Nil()},
  }));
  EXPECT_FALSE(r.shell);
  EXPECT_FALSE(r.cwd);
  EXPECT_TRUE(r.env.empty());
  EXPECT_FALSE(r.stdin_data);
  EXPECT_EQ(r.timeout, std::chrono::milliseconds(0));
  EXPECT_EQ(r.max_output, kDefaultMaxOutput);
  EXPECT_EQ(Rejection(Args({{"argv", Nil()}})),
            "exec: 'argv' must be a non-empty array of strings");
}

TEST(ExecRequestTest, KeepsStdinBytesAsGivenInStrOrBin) {
  const std::string bytes("a\0b\xff", 4);
  EXPECT_EQ(
      ParseExecRequest(Args({{"argv", Strs({"cat"})}, {"stdin", Bin(bytes)}}))
          .stdin_data,
      bytes);
  EXPECT_EQ(
      ParseExecRequest(Args({{"argv", Strs({"cat"})}, {"stdin", Str("")}}))
          .stdin_data,
      "");  // an empty stdin is a pipe closed at once, not /dev/null
}

TEST(ExecRequestTest, TakesMaxOutputZeroAsTheDefaultAndRefusesMoreThan16MiB) {
  auto max_output = [](std::uint64_t n) {
    return Args({{"argv", Strs({"true"})}, {"max_output", UInt(n)}});
  };
  EXPECT_EQ(ParseExecRequest(max_output(0)).max_output, kDefaultMaxOutput);
  EXPECT_EQ(ParseExecRequest(max_output(1)).max_output, 1u);
  EXPECT_EQ(ParseExecRequest(max_output(kMaxOutputLimit)).max_output,
            kMaxOutputLimit);
  EXPECT_EQ(Rejection(max_output(kMaxOutputLimit + 1)),
            "exec: 'max_output' must be at most 16777216 bytes (16 MiB)");
}

TEST(ExecRequestTest, CapsAHugeTimeoutInsteadOfOverflowing) {
  const ExecRequest r = ParseExecRequest(
      Args({{"argv", Strs({"true"})}, {"timeout_ms", UInt(UINT64_MAX)}}));
  EXPECT_EQ(r.timeout, std::chrono::milliseconds(1ll << 40));
}

TEST(ExecRequestTest, NamesTheKeyAndTheTypeOfEveryWrongValue) {
  auto with = [](const std::string& key, Value v) {
    return Rejection(Args({{"argv", Strs({"true"})}, {key, std::move(v)}}));
  };
  EXPECT_EQ(with("shell", Str("yes")),
            "exec: 'shell' must be true or false, not str");
  EXPECT_EQ(with("shell", UInt(1)),
            "exec: 'shell' must be true or false, not int");
  EXPECT_EQ(with("cwd", UInt(3)), "exec: 'cwd' must be a string, not int");
  EXPECT_EQ(with("cwd", Bin("/tmp")), "exec: 'cwd' must be a string, not bin");
  EXPECT_EQ(with("env", Strs({"A=1"})),
            "exec: 'env' must be a map of strings to strings, not array");
  EXPECT_EQ(with("stdin", UInt(1)),
            "exec: 'stdin' must be str or bin, not int");
  EXPECT_EQ(with("stdin", Strs({})),
            "exec: 'stdin' must be str or bin, not array");
  EXPECT_EQ(with("timeout_ms", Int(-1)),
            "exec: 'timeout_ms' must be an unsigned integer, not negative int");
  EXPECT_EQ(with("timeout_ms", Float(1.5)),
            "exec: 'timeout_ms' must be an unsigned integer, not float");
  EXPECT_EQ(with("max_output", Str("1MiB")),
            "exec: 'max_output' must be an unsigned integer, not str");
}

TEST(ExecRequestTest, RefusesAnArgvThatIsNotANonEmptyArrayOfStrings) {
  auto argv = [](Value v) { return Rejection(Args({{"argv", std::move(v)}})); };
  EXPECT_EQ(argv(Str("ls -l")),
            "exec: 'argv' must be a non-empty array of strings");
  EXPECT_EQ(argv(Strs({})),
            "exec: 'argv' must be a non-empty array of strings");
  EXPECT_EQ(argv(Array({Str("ls"), UInt(1)})),
            "exec: 'argv' element 1 must be a string, not int");
  EXPECT_EQ(argv(Strs({"ls", std::string("a\0b", 3)})),
            "exec: 'argv' element 1 must not contain NUL");
  EXPECT_EQ(argv(Strs({""})),
            "exec: 'argv' element 0 (the program) must not be empty");
  EXPECT_EQ(Rejection(Args({{"shell", Bool(true)}})),
            "exec: 'argv' is required: a non-empty array of strings");
}

TEST(ExecRequestTest, RefusesCwdThatIsEmptyOrHoldsNul) {
  auto cwd = [](std::string s) {
    return Rejection(
        Args({{"argv", Strs({"true"})}, {"cwd", Str(std::move(s))}}));
  };
  EXPECT_EQ(cwd(""), "exec: 'cwd' must not be empty");
  EXPECT_EQ(cwd(std::string("/t\0mp", 5)), "exec: 'cwd' must not contain NUL");
}

TEST(ExecRequestTest, RefusesEnvNamesAndValuesThatCannotBeAnEnvironment) {
  auto env = [](Value k, Value v) {
    return Rejection(Args({{"argv", Strs({"true"})},
                           {"env", Map({{std::move(k), std::move(v)}})}}));
  };
  EXPECT_EQ(env(UInt(1), Str("x")),
            "exec: an 'env' name must be a string, not int");
  EXPECT_EQ(env(Str(""), Str("x")),
            "exec: 'env' name '' must be non-empty and without '='");
  EXPECT_EQ(env(Str("A=B"), Str("x")),
            "exec: 'env' name 'A=B' must be non-empty and without '='");
  EXPECT_EQ(env(Str("A"), UInt(1)),
            "exec: 'env' value of A must be a string, not int");
  EXPECT_EQ(env(Str("A"), Str(std::string("x\0y", 3))),
            "exec: 'env' value of A must not contain NUL");
}

TEST(ExecRequestTest, RefusesAKeyGivenTwiceEvenWhenOneIsNil) {
  EXPECT_EQ(Rejection(Args({{"argv", Strs({"a"})}, {"argv", Strs({"b"})}})),
            "exec: key 'argv' appears twice");
  EXPECT_EQ(Rejection(Args(
                {{"argv", Strs({"a"})}, {"cwd", Nil()}, {"cwd", Str("/")}})),
            "exec: key 'cwd' appears twice");
}

TEST(ExecRequestTest, RefusesUnknownKeysAndKeysThatAreNotStrings) {
  EXPECT_EQ(Rejection(Args({{"argv", Strs({"true"})}, {"stdout", Str("x")}})),
            "exec: unknown key 'stdout' (expected argv, shell, cwd, env, "
            "stdin, timeout_ms, max_output)");
  EXPECT_EQ(Rejection(Packed(Array({Map({{UInt(1), Strs({"true"})}})}))),
            "exec: map keys must be strings");
}

TEST(ExecRequestTest, WithShellArgvIsExactlyOneCommandLine) {
  const ExecRequest r = ParseExecRequest(
      Args({{"argv", Strs({"echo $HOME | wc -c"})}, {"shell", Bool(true)}}));
  EXPECT_TRUE(r.shell);
  EXPECT_EQ(r.argv, std::vector<std::string>{"echo $HOME | wc -c"});
  EXPECT_EQ(
      Rejection(Args({{"argv", Strs({"echo", "hi"})}, {"shell", Bool(true)}})),
      "exec: with 'shell' true, 'argv' must have exactly one element "
      "(the command line), got 2");
  // shell false takes any number.
  EXPECT_EQ(
      Rejection(Args({{"argv", Strs({"echo", "hi"})}, {"shell", Bool(false)}})),
      "");
}

TEST(ExecRequestTest, RefusesArgumentsThatAreNotOneMap) {
  EXPECT_EQ(Rejection(""), "exec: takes 1 argument (a map), got 0");
  EXPECT_EQ(
      Rejection("\xc1").rfind("exec: arguments are not valid msgpack: ", 0),
      0u);
  EXPECT_EQ(Rejection(Packed(Str("ls"))), "exec: arguments must be an array");
  EXPECT_EQ(Rejection(Packed(Array({}))),
            "exec: takes 1 argument (a map), got 0");
  EXPECT_EQ(Rejection(Packed(Array({Map({}), Map({})}))),
            "exec: takes 1 argument (a map), got 2");
  EXPECT_EQ(Rejection(Packed(Array({Str("ls")}))),
            "exec: the argument must be a map, not str");
}

TEST(ExecRequestTest, TheChildEnvironmentIsOursWithTheRequestsNamesReplaced) {
  const char* ours[] = {"HOME=/root", "PATH=/bin", "PATHX=keep",
                        "EMPTY=", nullptr};
  ExecRequest r;
  r.env = {{"PATH", "/opt/bin"}, {"NEW", "1"}, {"EMPTY", "now set"}};
  EXPECT_EQ(
      ChildEnvironment(ours, r),
      (std::vector<std::string>{"HOME=/root", "PATHX=keep", "PATH=/opt/bin",
                                "NEW=1", "EMPTY=now set"}));
  EXPECT_EQ(ChildEnvironment(ours, ExecRequest{}),
            (std::vector<std::string>{"HOME=/root", "PATH=/bin", "PATHX=keep",
                                      "EMPTY="}));
}

}  // namespace
}  // namespace tq::worker
