// ParseExecRequest and ChildEnvironment.
#include "exec_request.h"

#include <algorithm>
#include <cstdint>
#include <set>

#include "tq/worker/task.h"

namespace tq::worker {
namespace {

using std::chrono::milliseconds;

[[noreturn]] void Bad(const std::string& what) {
  throw TaskError("tq.BadArguments", "exec: " + what);
}

std::string Quoted(const std::string& key) { return "'" + key + "'"; }

std::string Text(const msgpack::object& o, const std::string& what) {
  if (o.type != msgpack::type::STR) {
    Bad(what + " must be a string, not " + detail::TypeName(o));
  }
  std::string s(o.via.str.ptr, o.via.str.size);
  if (s.find('\0') != std::string::npos) Bad(what + " must not contain NUL");
  return s;
}

std::uint64_t Unsigned(const msgpack::object& o, const std::string& key) {
  if (o.type != msgpack::type::POSITIVE_INTEGER) {
    Bad(Quoted(key) + " must be an unsigned integer, not " +
        detail::TypeName(o));
  }
  return o.via.u64;
}

void ParseKey(const std::string& key, const msgpack::object& v,
              ExecRequest* r) {
  if (key == "argv") {
    if (v.type != msgpack::type::ARRAY || v.via.array.size == 0) {
      Bad("'argv' must be a non-empty array of strings");
    }
    for (std::uint32_t i = 0; i < v.via.array.size; ++i) {
      r->argv.push_back(
          Text(v.via.array.ptr[i], "'argv' element " + std::to_string(i)));
    }
  } else if (key == "shell") {
    if (v.type != msgpack::type::BOOLEAN) {
      Bad("'shell' must be true or false, not " +
          std::string(detail::TypeName(v)));
    }
    r->shell = v.via.boolean;
  } else if (key == "cwd") {
    r->cwd = Text(v, "'cwd'");
    if (r->cwd->empty()) Bad("'cwd' must not be empty");
  } else if (key == "env") {
    if (v.type != msgpack::type::MAP) {
      Bad("'env' must be a map of strings to strings, not " +
          std::string(detail::TypeName(v)));
    }
    for (std::uint32_t i = 0; i < v.via.map.size; ++i) {
      const msgpack::object_kv& kv = v.via.map.ptr[i];
      std::string name = Text(kv.key, "an 'env' name");
      if (name.empty() || name.find('=') != std::string::npos) {
        Bad("'env' name '" + name + "' must be non-empty and without '='");
      }
      std::string value = Text(kv.val, "'env' value of " + name);
      r->env.emplace_back(std::move(name), std::move(value));
    }
  } else if (key == "stdin") {
    if (v.type == msgpack::type::STR) {
      r->stdin_data.emplace(v.via.str.ptr, v.via.str.size);
    } else if (v.type == msgpack::type::BIN) {
      r->stdin_data.emplace(v.via.bin.ptr, v.via.bin.size);
    } else {
      Bad("'stdin' must be str or bin, not " +
          std::string(detail::TypeName(v)));
    }
  } else if (key == "timeout_ms") {
    r->timeout = milliseconds(static_cast<milliseconds::rep>(
        std::min<std::uint64_t>(Unsigned(v, key), 1ull << 40)));
  } else if (key == "max_output") {
    const std::uint64_t n = Unsigned(v, key);
    if (n > kMaxOutputLimit) {
      Bad("'max_output' must be at most " + std::to_string(kMaxOutputLimit) +
          " bytes (16 MiB)");
    }
    r->max_output = n == 0 ? kDefaultMaxOutput : static_cast<std::size_t>(n);
  } else {
    Bad("unknown key " + Quoted(key) +
        " (expected argv, shell, cwd, env, stdin, timeout_ms, max_output)");
  }
}

}  // namespace

ExecRequest ParseExecRequest(std::string_view args) {
  if (args.empty()) Bad("takes 1 argument (a map), got 0");
  msgpack::object_handle oh;
  try {
    oh = msgpack::unpack(args.data(), args.size(), nullptr, nullptr,
                         detail::ArgsLimit(args.size()));
  } catch (const std::exception& e) {
    Bad(std::string("arguments are not valid msgpack: ") + e.what());
  }
  const msgpack::object& a = oh.get();
  if (a.type != msgpack::type::ARRAY) Bad("arguments must be an array");
  if (a.via.array.size != 1) {
    Bad("takes 1 argument (a map), got " + std::to_string(a.via.array.size));
  }
  const msgpack::object& m = a.via.array.ptr[0];
  if (m.type != msgpack::type::MAP) {
    Bad("the argument must be a map, not " + std::string(detail::TypeName(m)));
  }
  ExecRequest r;
  std::set<std::string> seen;
  for (std::uint32_t i = 0; i < m.via.map.size; ++i) {
    const msgpack::object_kv& kv = m.via.map.ptr[i];
    if (kv.key.type != msgpack::type::STR) Bad("map keys must be strings");
    const std::string key(kv.key.via.str.ptr, kv.key.via.str.size);
    if (!seen.insert(key).second) Bad("key " + Quoted(key) + " appears twice");
    // nil stands for an absent key (a typed client's empty std::optional).
    if (kv.val.type == msgpack::type::NIL && key != "argv") continue;
    ParseKey(key, kv.val, &r);
  }
  if (r.argv.empty()) Bad("'argv' is required: a non-empty array of strings");
  if (r.argv[0].empty()) {
    Bad("'argv' element 0 (the program) must not be empty");
  }
  if (r.shell && r.argv.size() != 1) {
    Bad("with 'shell' true, 'argv' must have exactly one element (the command "
        "line), got " +
        std::to_string(r.argv.size()));
  }
  return r;
}

std::vector<std::string> ChildEnvironment(const char* const* ours,
                                          const ExecRequest& request) {
  std::vector<std::string> out;
  for (const char* const* e = ours; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::string_view name = entry.substr(0, entry.find('='));
    const bool replaced =
        std::any_of(request.env.begin(), request.env.end(),
                    [&](const auto& kv) { return kv.first == name; });
    if (!replaced) out.emplace_back(entry);
  }
  for (const auto& [name, value] : request.env) {
    out.push_back(name + "=" + value);
  }
  return out;
}

}  // namespace tq::worker
