// Agent <-> tqd (PROTOCOL.md §10): what tqd decodes from an agent
// (Decoder::DecodeFromAgent) and what an agent decodes from tqd
// (Decoder::DecodeToAgent).
//
// Every message is decoded in two steps: its header ("s" session, "n" seq),
// which all kinds share, then its body by the ReadBody overload of its
// type. Each rule of §10 is checked here and named in the error, so tqd can
// log exactly why it ended an agent's session; what a message must not
// carry (a "req", any field §10 does not list) is refused like any other
// unknown field.
#include <type_traits>

#include "agent_kinds.h"
#include "decoder.h"
#include "tq/proto/utf8.h"

namespace tq::proto {
namespace {

std::string Quoted(std::string_view key) { return "field '" + std::string(key) + "'"; }

// "s" nonzero, "n" nonzero unless `seq_may_be_zero` (session_end only: tqd
// ends a session it does not know without having a seq of it).
Status ReadHeader(Fields& f, bool seq_may_be_zero, AgentHeader* h) {
  TQ_RETURN_IF_ERROR(f.Uint("s", &h->session));
  if (h->session == 0) {
    return f.Error(ErrorCode::kBadValue, "field 's' (session) must be non-zero");
  }
  TQ_RETURN_IF_ERROR(f.Uint("n", &h->seq));
  if (h->seq == 0 && !seq_may_be_zero) {
    return f.Error(ErrorCode::kBadValue,
                   "field 'n' (seq) must be non-zero; only session_end may carry 0");
  }
  return Status::Ok();
}

// A uint field, `min` to `max`.
template <typename T>
Status ReadUintIn(Fields& f, std::string_view key, std::uint64_t min, std::uint64_t max,
                  T* out) {
  std::uint64_t v = 0;
  TQ_RETURN_IF_ERROR(f.Uint(key, &v));
  if (v < min || v > max) {
    return f.Error(ErrorCode::kBadValue, Quoted(key) + " must be " + std::to_string(min) +
                                             " to " + std::to_string(max));
  }
  *out = static_cast<T>(v);
  return Status::Ok();
}

// An int field, `min` to `max`, into an int32 (`optional` or not).
template <typename T>
Status ReadIntIn(Fields& f, std::string_view key, std::int32_t min, std::int32_t max,
                 T* out) {
  std::int64_t v = 0;
  TQ_RETURN_IF_ERROR(f.Int(key, &v, true));
  if (v < min || v > max) {
    return f.Error(ErrorCode::kBadValue, Quoted(key) + " must be " + std::to_string(min) +
                                             " to " + std::to_string(max));
  }
  *out = static_cast<std::int32_t>(v);
  return Status::Ok();
}

// A str field of `min` to `max` bytes of printable UTF-8.
Status ReadText(Fields& f, std::string_view key, std::size_t min, std::size_t max,
                std::string_view* out) {
  TQ_RETURN_IF_ERROR(f.Str(key, out));
  if (out->size() < min || out->size() > max || !IsPrintableUtf8(*out)) {
    const std::string size = min == 0 ? "at most " + std::to_string(max)
                                      : std::to_string(min) + " to " + std::to_string(max);
    return f.Error(ErrorCode::kBadValue,
                   Quoted(key) + " must be " + size + " bytes of printable UTF-8");
  }
  return Status::Ok();
}

Status ReadChannel(Fields& f, std::uint64_t* channel) { return f.Uint("ch", channel); }

// "ch" and "data": a non-empty bin of the worker's stream. Its size is
// bounded by the message's, which Decoder checks first.
template <typename M>
Status ReadChannelData(Fields& f, M* m) {
  TQ_RETURN_IF_ERROR(ReadChannel(f, &m->channel));
  TQ_RETURN_IF_ERROR(f.Bin("data", &m->data, true, "a bin of the worker's bytes"));
  if (m->data.empty()) {
    return f.Error(ErrorCode::kBadValue, "field 'data' must hold 1 byte or more");
  }
  return Status::Ok();
}

// ---- bodies, agent -> tqd

Status ReadBody(Fields& f, const Limits&, AgentHello* m) {
  TQ_RETURN_IF_ERROR(ReadText(f, "host", 1, kMaxHostBytes, &m->host));
  TQ_RETURN_IF_ERROR(ReadUintIn(f, "slots", 1, kMaxAgentSlots, &m->slots));
  return ReadText(f, "version", 0, kMaxAgentVersionBytes, &m->version);
}

Status ReadBody(Fields& f, const Limits&, AgentBeat* m) { return f.Uint("ack", &m->ack); }

Status ReadBody(Fields& f, const Limits&, ChannelSpawned* m) {
  TQ_RETURN_IF_ERROR(ReadChannel(f, &m->channel));
  return ReadUintIn(f, "pid", 1, INT32_MAX, &m->pid);
}

Status ReadBody(Fields& f, const Limits&, ChannelOutput* m) { return ReadChannelData(f, m); }

Status ReadBody(Fields& f, const Limits&, ChannelExited* m) {
  TQ_RETURN_IF_ERROR(ReadChannel(f, &m->channel));
  const int present = (f.Find("code") != nullptr) + (f.Find("signal") != nullptr) +
                      (f.Find("error") != nullptr);
  if (present != 1) {
    return f.Error(present == 0 ? ErrorCode::kMissingField : ErrorCode::kBadValue,
                   "exactly one of fields 'code', 'signal' and 'error' must be present, got " +
                       std::to_string(present));
  }
  if (f.Find("code") != nullptr) return ReadIntIn(f, "code", 0, 255, &m->code);
  if (f.Find("signal") != nullptr) return ReadIntIn(f, "signal", 1, kMaxSignal, &m->signal);
  return ReadText(f, "error", 1, kMaxAgentTextBytes, &m->error);
}

Status ReadBody(Fields& f, const Limits&, ChannelRss* m) {
  TQ_RETURN_IF_ERROR(ReadChannel(f, &m->channel));
  return f.Uint("rss_bytes", &m->bytes);
}

Status ReadBody(Fields& f, const Limits&, ChannelStack* m) {
  TQ_RETURN_IF_ERROR(ReadChannel(f, &m->channel));
  // Not checked for UTF-8: it is a debugger's output, which tqd keeps as
  // the error map's "stack" (PROTOCOL.md §3) just as it does locally.
  TQ_RETURN_IF_ERROR(f.Str("stack", &m->text));
  if (m->text.size() > kMaxErrorTextBytes) {
    return f.Error(ErrorCode::kTooLarge, "field 'stack' is " + std::to_string(m->text.size()) +
                                             " bytes; the limit is " +
                                             std::to_string(kMaxErrorTextBytes));
  }
  return Status::Ok();
}

Status ReadBody(Fields& f, const Limits&, AgentBye* m) { return f.Bool("requeue", &m->requeue); }

// ---- bodies, tqd -> agent

Status ReadBody(Fields& f, const Limits&, AgentWelcome* m) {
  TQ_RETURN_IF_ERROR(ReadUintIn(f, "beat_ms", 1, UINT32_MAX, &m->beat_ms));
  TQ_RETURN_IF_ERROR(ReadUintIn(f, "deadline_ms", 1, UINT32_MAX, &m->deadline_ms));
  if (m->deadline_ms <= m->beat_ms) {
    return f.Error(ErrorCode::kBadValue,
                   "field 'deadline_ms' must be greater than field 'beat_ms'");
  }
  return Status::Ok();
}

Status ReadBody(Fields& f, const Limits&, DaemonBeat* m) { return f.Uint("ack", &m->ack); }

Status ReadBody(Fields& f, const Limits&, ChannelSpawn* m) {
  return ReadChannel(f, &m->channel);
}

Status ReadBody(Fields& f, const Limits&, ChannelInput* m) { return ReadChannelData(f, m); }

Status ReadBody(Fields& f, const Limits&, ChannelCloseInput* m) {
  return ReadChannel(f, &m->channel);
}

Status ReadBody(Fields& f, const Limits&, ChannelSignal* m) {
  TQ_RETURN_IF_ERROR(ReadChannel(f, &m->channel));
  return ReadIntIn(f, "signal", 1, kMaxSignal, &m->signal);
}

Status ReadBody(Fields& f, const Limits&, ChannelCapture* m) {
  TQ_RETURN_IF_ERROR(ReadChannel(f, &m->channel));
  return ReadUintIn(f, "timeout_ms", 1, UINT32_MAX, &m->timeout_ms);
}

Status ReadBody(Fields& f, const Limits&, SessionEnd* m) {
  return ReadText(f, "why", 0, kMaxAgentTextBytes, &m->why);
}

// A message of type M, as a Variant of its direction.
template <typename Variant, typename M>
Result<Variant> DecodeAgentMessage(Fields& f, const Limits& limits) {
  M m;
  TQ_RETURN_IF_ERROR(ReadHeader(f, std::is_same_v<M, SessionEnd>, &m.h));
  TQ_RETURN_IF_ERROR(ReadBody(f, limits, &m));
  return Variant{m};
}

template <typename Variant, typename M>
constexpr KindRow<Variant> Row() {
  return {AgentKind<M>::kName, DecodeAgentMessage<Variant, M>};
}

constexpr KindRow<AgentMessage> kFromAgent[] = {
    Row<AgentMessage, AgentHello>(),     Row<AgentMessage, AgentBeat>(),
    Row<AgentMessage, ChannelSpawned>(), Row<AgentMessage, ChannelOutput>(),
    Row<AgentMessage, ChannelExited>(),  Row<AgentMessage, ChannelRss>(),
    Row<AgentMessage, ChannelStack>(),   Row<AgentMessage, AgentBye>(),
};

constexpr KindRow<ToAgentMessage> kToAgent[] = {
    Row<ToAgentMessage, AgentWelcome>(),      Row<ToAgentMessage, DaemonBeat>(),
    Row<ToAgentMessage, ChannelSpawn>(),      Row<ToAgentMessage, ChannelInput>(),
    Row<ToAgentMessage, ChannelCloseInput>(), Row<ToAgentMessage, ChannelSignal>(),
    Row<ToAgentMessage, ChannelCapture>(),    Row<ToAgentMessage, SessionEnd>(),
};

}  // namespace

Result<AgentMessage> Decoder::DecodeFromAgent(std::string_view frame) {
  return impl_->Decode<AgentMessage>(frame, kFromAgent, Impl::Shape::kPeer, &last_request_id_);
}

Result<ToAgentMessage> Decoder::DecodeToAgent(std::string_view frame) {
  return impl_->Decode<ToAgentMessage>(frame, kToAgent, Impl::Shape::kPeer, &last_request_id_);
}

}  // namespace tq::proto
