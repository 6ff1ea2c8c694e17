// PeerCredentials: who sent a client message, as the kernel told ZeroMQ.
//
// On ipc:// libzmq reads SO_PEERCRED when a client connects and puts it,
// as "HOST:UID:GID:PID" (4.3.4 writes "localhost:1000:1000:4242"; older
// ones start with ":"), in every message's "Peer-Address" metadata. It is
// the connecting process's, taken at connect(): a client cannot claim
// another user's. On tcp:// the same property is the peer's IP address and
// says nothing of a user. Pure parsing; no I/O.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string_view>

namespace tq::daemon {

struct PeerCredentials {
  std::int64_t uid = -1;  // -1: unknown (tcp://, no metadata)
  pid_t pid = 0;          // 0: unknown

  bool known() const { return uid >= 0; }
};

// The credentials in a "Peer-Address" value; unknown ones for an IP
// address or anything that does not end in three decimal fields.
PeerCredentials ParsePeerAddress(std::string_view peer_address);

}  // namespace tq::daemon
