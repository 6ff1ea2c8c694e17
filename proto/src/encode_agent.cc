// Encode for the agent <-> tqd messages (PROTOCOL.md §10): each writes "v",
// "kind", the session "s" and seq "n", then its own fields in the order
// PROTOCOL.md shows them, optional ones only when set. Like the other
// encoders they do not validate: decode_agent.cc is where a peer's mistakes
// are caught, and the tests feed it what these write.
#include "agent_kinds.h"
#include "map_writer.h"
#include "tq/proto/codec.h"

namespace tq::proto {
namespace {

// A protocol v1 message of the agent link: the kind of M and its header.
class AgentWriter : public MessageWriter {
 public:
  template <typename M>
  AgentWriter(Buffer& out, const M& m) : MessageWriter(out, AgentKind<M>::kName) {
    Uint("s", m.h.session);
    Uint("n", m.h.seq);
  }
};

// A message whose only field beyond the header is its channel.
template <typename M>
void EncodeChannel(const M& m, Buffer& out) {
  AgentWriter w(out, m);
  w.Uint("ch", m.channel);
}

// A message of a channel and one more field, `key`, written by `write`.
template <typename M, typename V>
void EncodeChannel(const M& m, void (MapWriter::*write)(std::string_view, V),
                   std::string_view key, V value, Buffer& out) {
  AgentWriter w(out, m);
  w.Uint("ch", m.channel);
  (w.*write)(key, value);
}

template <typename M>
void EncodeBeat(const M& m, Buffer& out) {
  AgentWriter w(out, m);
  w.Uint("ack", m.ack);
}

}  // namespace

// ---- agent -> tqd

void Encode(const AgentHello& m, Buffer& out) {
  AgentWriter w(out, m);
  w.Str("host", m.host);
  w.Uint("slots", m.slots);
  w.Str("version", m.version);
}

void Encode(const AgentBeat& m, Buffer& out) { EncodeBeat(m, out); }

void Encode(const ChannelSpawned& m, Buffer& out) {
  EncodeChannel(m, &MapWriter::Uint, "pid", std::uint64_t{m.pid}, out);
}

void Encode(const ChannelOutput& m, Buffer& out) {
  EncodeChannel(m, &MapWriter::Bin, "data", m.data, out);
}

void Encode(const ChannelExited& m, Buffer& out) {
  AgentWriter w(out, m);
  w.Uint("ch", m.channel);
  // Exactly one is set in a valid message; whatever is set is written, so
  // that a sender's mistake reaches the decoder rather than being hidden.
  if (m.code) w.Int("code", *m.code);
  if (m.signal) w.Int("signal", *m.signal);
  if (!m.error.empty()) w.Str("error", m.error);
}

void Encode(const ChannelRss& m, Buffer& out) {
  EncodeChannel(m, &MapWriter::Uint, "rss_bytes", m.bytes, out);
}

void Encode(const ChannelStack& m, Buffer& out) {
  EncodeChannel(m, &MapWriter::Str, "stack", m.text, out);
}

void Encode(const AgentBye& m, Buffer& out) {
  AgentWriter w(out, m);
  if (m.requeue) w.True("requeue");
}

// ---- tqd -> agent

void Encode(const AgentWelcome& m, Buffer& out) {
  AgentWriter w(out, m);
  w.Uint("beat_ms", m.beat_ms);
  w.Uint("deadline_ms", m.deadline_ms);
}

void Encode(const DaemonBeat& m, Buffer& out) { EncodeBeat(m, out); }

void Encode(const ChannelSpawn& m, Buffer& out) { EncodeChannel(m, out); }

void Encode(const ChannelInput& m, Buffer& out) {
  EncodeChannel(m, &MapWriter::Bin, "data", m.data, out);
}

void Encode(const ChannelCloseInput& m, Buffer& out) { EncodeChannel(m, out); }

void Encode(const ChannelSignal& m, Buffer& out) {
  EncodeChannel(m, &MapWriter::Int, "signal", std::int64_t{m.signal}, out);
}

void Encode(const ChannelCapture& m, Buffer& out) {
  EncodeChannel(m, &MapWriter::Uint, "timeout_ms", std::uint64_t{m.timeout_ms}, out);
}

void Encode(const SessionEnd& m, Buffer& out) {
  AgentWriter w(out, m);
  w.Str("why", m.why);
}

}  // namespace tq::proto
