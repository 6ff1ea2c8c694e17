// tq dict, tq list, tq queue: tqd's named objects from the shell, with
// JSON values (a dict key may also be a bare word: the string itself).
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "exit_codes.h"
#include "flags.h"
#include "json_msgpack.h"

namespace tq::cli {
namespace {

// Runs the call and returns its answer; a refusal throws, for Guarded.
ObjectAnswer Ask(RawClient& client, const ObjectCall& call) {
  const RawResult r = client.Object(call);
  r.outcome().ThrowIfError();
  return r.answer();
}

// The JSON words of `spec` from `first` on, as msgpack; nullopt (said) if
// one is no JSON.
std::optional<std::vector<std::string>> Values(const ObjectSpec& spec, std::size_t first) {
  std::vector<std::string> out;
  for (std::size_t i = first; i < spec.words.size(); ++i) {
    std::string error;
    std::optional<std::string> v = JsonToMsgpack(spec.words[i], &error);
    if (!v) {
      std::cerr << "tq " << spec.kind << " " << spec.verb << ": " << error << "\n";
      return std::nullopt;
    }
    out.push_back(std::move(*v));
  }
  return out;
}

bool WantWords(const ObjectSpec& spec, std::size_t min, std::size_t max, const char* usage) {
  if (spec.words.size() >= min && spec.words.size() <= max) return true;
  std::cerr << "tq " << spec.kind << " " << spec.verb << ": usage: tq " << spec.kind << " "
            << spec.verb << " NAME " << usage << "\n";
  return false;
}

std::optional<std::int64_t> IntWord(const ObjectSpec& spec, const std::string& word) {
  const std::string error = CheckInteger(word, INT64_MIN, INT64_MAX);
  if (!error.empty()) {
    std::cerr << "tq " << spec.kind << " " << spec.verb << ": " << error << "\n";
    return std::nullopt;
  }
  return std::stoll(word);
}

void PrintValue(std::string_view msgpack) { std::cout << MsgpackToJson(msgpack) << "\n"; }

int Dict(RawClient& client, const ObjectSpec& spec) {
  ObjectCall c{.type = ObjectType::kDict, .name = spec.name, .op = spec.verb};
  const std::string& verb = spec.verb;
  if (verb == "keys" || verb == "items" || verb == "size") {
    if (!WantWords(spec, 0, 0, "")) return kUsage;
    if (verb == "size") {
      std::cout << Ask(client, c).size.value_or(0) << "\n";
      return kOk;
    }
    for (;;) {
      const ObjectAnswer a = Ask(client, c);
      for (std::size_t i = 0; i < a.keys.size(); ++i) {
        if (verb == "keys") {
          PrintValue(a.keys[i]);
        } else {
          std::cout << "[" << MsgpackToJson(a.keys[i]) << ","
                    << MsgpackToJson(i < a.values.size() ? a.values[i] : "\xc0") << "]\n";
        }
      }
      if (a.cursor == 0) return kOk;
      c.cursor = a.cursor;
    }
  }
  if (!WantWords(spec, 1, 2, "KEY ...")) return kUsage;
  c.key = KeyToMsgpack(spec.words[0]);
  if (verb == "get" || verb == "del") {
    if (!WantWords(spec, 1, 1, "KEY")) return kUsage;
    const ObjectAnswer a = Ask(client, c);
    if (!a.value) {
      std::cerr << "tq: dict '" << spec.name << "' has no key " << spec.words[0] << "\n";
      return kNoValue;
    }
    PrintValue(*a.value);
    return kOk;
  }
  if (verb == "set") {
    if (!WantWords(spec, 2, 2, "KEY VALUE")) return kUsage;
    const auto v = Values(spec, 1);
    if (!v) return kUsage;
    c.value = (*v)[0];
    (void)Ask(client, c);
    return kOk;
  }
  // incr
  if (!WantWords(spec, 1, 2, "KEY [BY]")) return kUsage;
  if (spec.words.size() == 2) {
    const std::optional<std::int64_t> by = IntWord(spec, spec.words[1]);
    if (!by) return kUsage;
    c.by = *by;
  }
  PrintValue(*Ask(client, c).value);
  return kOk;
}

int List(RawClient& client, const ObjectSpec& spec) {
  ObjectCall c{.type = ObjectType::kList, .name = spec.name};
  if (spec.verb == "append") {
    if (!WantWords(spec, 1, SIZE_MAX, "VALUE...")) return kUsage;
    auto v = Values(spec, 0);
    if (!v) return kUsage;
    c.op = "extend";
    c.values = std::move(*v);
    std::cout << Ask(client, c).size.value_or(0) << "\n";
    return kOk;
  }
  if (spec.verb == "len") {
    if (!WantWords(spec, 0, 0, "")) return kUsage;
    c.op = "size";
    std::cout << Ask(client, c).size.value_or(0) << "\n";
    return kOk;
  }
  // get [INDEX]: one item, or all of them, one per line
  if (!WantWords(spec, 0, 1, "[INDEX]")) return kUsage;
  if (spec.words.size() == 1) {
    const std::optional<std::int64_t> index = IntWord(spec, spec.words[0]);
    if (!index) return kUsage;
    c.op = "get";
    c.index = *index;
    PrintValue(*Ask(client, c).value);
    return kOk;
  }
  c.op = "slice";
  for (;;) {
    const ObjectAnswer a = Ask(client, c);
    for (const std::string& v : a.values) PrintValue(v);
    if (a.values.empty() || c.index + static_cast<std::int64_t>(a.values.size()) >=
                                static_cast<std::int64_t>(a.size.value_or(0))) {
      return kOk;
    }
    c.index += static_cast<std::int64_t>(a.values.size());
  }
}

int Queue(RawClient& client, const ObjectSpec& spec) {
  ObjectCall c{.type = ObjectType::kQueue, .name = spec.name};
  if (spec.timeout) c.timeout = std::chrono::milliseconds(static_cast<long long>(*spec.timeout * 1000 + 0.5));
  if (spec.verb == "size") {
    if (!WantWords(spec, 0, 0, "")) return kUsage;
    c.op = "size";
    std::cout << Ask(client, c).size.value_or(0) << "\n";
    return kOk;
  }
  if (spec.verb == "put") {
    if (!WantWords(spec, 1, SIZE_MAX, "VALUE...")) return kUsage;
    const auto v = Values(spec, 0);
    if (!v) return kUsage;
    c.op = "put";
    for (const std::string& item : *v) {
      c.value = item;
      (void)Ask(client, c);
    }
    return kOk;
  }
  // get: up to --count items; none within --timeout is exit 124
  if (!WantWords(spec, 0, 0, "")) return kUsage;
  c.op = spec.count > 1 ? "get_many" : "get";
  c.count = spec.count;
  const ObjectAnswer a = Ask(client, c);
  if (a.value) {
    PrintValue(*a.value);
    return kOk;
  }
  for (const std::string& v : a.values) PrintValue(v);
  if (!a.values.empty()) return kOk;
  std::cerr << "tq: queue '" << spec.name << "' had nothing";
  if (spec.timeout) std::cerr << " within " << *spec.timeout << " s";
  std::cerr << "\n";
  return kTimeout;
}

}  // namespace

int ObjectCommand(const Common& common, const ObjectSpec& spec) {
  return Guarded([&] {
    RawClient client(ClientOptionsFor(common));
    if (spec.kind == "dict") return Dict(client, spec);
    if (spec.kind == "list") return List(client, spec);
    return Queue(client, spec);
  });
}

}  // namespace tq::cli
