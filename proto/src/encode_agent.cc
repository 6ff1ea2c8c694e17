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
void EncodeChannelOnly(const M& m, Buffer& out) {
  AgentWriter w(out, m);
  w.Uint("ch", m.channel);
}

template <typename M>
void EncodeChannelData(const M& m, Buffer& out) {
  AgentWriter w(out, m);
  w.Uint("ch", m.channel);
  w.Bin("data", m.data);
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
  AgentWriter w(out, m);
  w.Uint("ch", m.channel);
  w.Uint("pid", m.pid);
}

void Encode(const ChannelOutput& m, Buffer& out) { EncodeChannelData(m, out); }

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
  AgentWriter w(out, m);
  w.Uint("ch", m.channel);
  w.Uint("rss_bytes", m.bytes);
}

void Encode(const ChannelStack& m, Buffer& out) {
  AgentWriter w(out, m);
  w.Uint("ch", m.channel);
  w.Str("stack", m.text);
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

void Encode(const ChannelSpawn& m, Buffer& out) { EncodeChannelOnly(m, out); }

void Encode(const ChannelInput& m, Buffer& out) { EncodeChannelData(m, out); }

void Encode(const ChannelCloseInput& m, Buffer& out) { EncodeChannelOnly(m, out); }

void Encode(const ChannelSignal& m, Buffer& out) {
  AgentWriter w(out, m);
  w.Uint("ch", m.channel);
  w.Int("signal", m.signal);
}

void Encode(const ChannelCapture& m, Buffer& out) {
  AgentWriter w(out, m);
  w.Uint("ch", m.channel);
  w.Uint("timeout_ms", m.timeout_ms);
}

void Encode(const SessionEnd& m, Buffer& out) {
  AgentWriter w(out, m);
  w.Str("why", m.why);
}

}  // namespace tq::proto
