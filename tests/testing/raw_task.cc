// RunTask, AwaitOutcome, SendForError, ArgsOf.
#include "testing/raw_task.h"

#include <algorithm>
#include <variant>

#include "tq/proto/codec.h"

namespace tq::testing {

std::optional<TaskOutcome> RunTask(RawConnection& conn, std::uint64_t req,
                                   std::string_view fn, std::string_view args,
                                   std::chrono::milliseconds timeout) {
  proto::Buffer b;
  proto::Encode(proto::SubmitRequest{req, fn, args}, b);
  conn.Send(b.view());
  return AwaitOutcome(conn, req, timeout);
}

std::optional<ErrorSeen> SendForError(RawConnection& conn, std::string_view frame) {
  conn.Send(frame);
  auto reply = conn.Recv();
  if (!reply) return std::nullopt;
  proto::Decoder decoder;
  auto m = decoder.DecodeDaemon(*reply);
  if (!m.ok() || !std::holds_alternative<proto::ErrorReply>(*m)) return std::nullopt;
  const auto& e = std::get<proto::ErrorReply>(*m);
  return ErrorSeen{std::string(e.code), std::string(e.message), e.request_id};
}

std::optional<TaskOutcome> AwaitOutcome(RawConnection& conn, std::uint64_t req,
                                        std::chrono::milliseconds timeout) {
  auto all = AwaitOutcomes(conn, {req}, timeout);
  if (all.empty()) return std::nullopt;
  return all.begin()->second;
}

std::map<std::uint64_t, TaskOutcome> AwaitOutcomes(RawConnection& conn,
                                                   const std::vector<std::uint64_t>& reqs,
                                                   std::chrono::milliseconds timeout) {
  std::map<std::uint64_t, TaskOutcome> out;
  auto wanted = [&](std::uint64_t req) {
    return std::find(reqs.begin(), reqs.end(), req) != reqs.end() && !out.contains(req);
  };
  proto::Decoder decoder;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (out.size() < reqs.size()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    auto frame = conn.Recv(left);
    if (!frame) break;
    auto m = decoder.DecodeDaemon(*frame);
    if (!m.ok()) continue;
    if (auto* r = std::get_if<proto::TaskResult>(&*m); r && wanted(r->request_id)) {
      TaskOutcome o{.kind = "result", .task_id = r->task_id,
                    .state = std::string(proto::TaskStateName(r->state))};
      o.value = r->value;
      o.error_type = r->error.type;
      o.error_message = r->error.message;
      out.emplace(r->request_id, std::move(o));
    } else if (auto* e = std::get_if<proto::ErrorReply>(&*m); e && wanted(e->request_id)) {
      out.emplace(e->request_id,
                  TaskOutcome{.kind = "error", .error_message = std::string(e->message),
                              .code = std::string(e->code)});
    }
  }
  return out;
}

std::string ArgsOf(std::int64_t x) {
  // [x] with x as int64 (0xd3), which every integer parameter accepts.
  std::string out = "\x91\xd3";
  for (int shift = 56; shift >= 0; shift -= 8) {
    out += static_cast<char>(static_cast<std::uint64_t>(x) >> shift);
  }
  return out;
}

std::string ArgsOf(std::string_view s) {
  // [s] with s as str32 (0xdb), valid for any length.
  std::string out = "\x91\xdb";
  const auto n = static_cast<std::uint32_t>(s.size());
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>(n >> shift);
  out.append(s);
  return out;
}

}  // namespace tq::testing
