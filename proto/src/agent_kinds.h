// The wire names of the agent <-> tqd messages (PROTOCOL.md §10), said once:
// encode_agent.cc writes them and decode_agent.cc's kind tables look them
// up, so the two cannot disagree. Internal to tq_proto.
#pragma once

#include <string_view>

#include "tq/proto/messages.h"

namespace tq::proto {

// AgentKind<M>::kName: the "kind" of message M on the wire.
template <typename M>
struct AgentKind;

#define TQ_AGENT_KIND(Message, name)                  \
  template <>                                         \
  struct AgentKind<Message> {                         \
    static constexpr std::string_view kName = name;   \
  }

// agent -> tqd
TQ_AGENT_KIND(AgentHello, "agent_hello");
TQ_AGENT_KIND(AgentBeat, "agent_beat");
TQ_AGENT_KIND(ChannelSpawned, "ch_spawned");
TQ_AGENT_KIND(ChannelOutput, "ch_out");
TQ_AGENT_KIND(ChannelExited, "ch_exited");
TQ_AGENT_KIND(ChannelRss, "ch_rss");
TQ_AGENT_KIND(ChannelStack, "ch_stack");
TQ_AGENT_KIND(AgentBye, "agent_bye");
// tqd -> agent
TQ_AGENT_KIND(AgentWelcome, "agent_welcome");
TQ_AGENT_KIND(DaemonBeat, "daemon_beat");
TQ_AGENT_KIND(ChannelSpawn, "ch_spawn");
TQ_AGENT_KIND(ChannelInput, "ch_in");
TQ_AGENT_KIND(ChannelCloseInput, "ch_close_in");
TQ_AGENT_KIND(ChannelSignal, "ch_signal");
TQ_AGENT_KIND(ChannelCapture, "ch_capture");
TQ_AGENT_KIND(SessionEnd, "session_end");

#undef TQ_AGENT_KIND

}  // namespace tq::proto
