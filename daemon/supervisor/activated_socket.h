// TakeActivatedSocket: the listening socket systemd passes tqd under socket
// activation (tqd.socket; sd_listen_fds(3)'s protocol: LISTEN_PID,
// LISTEN_FDS, the sockets from fd 3 on).
//
// With it, systemd creates the socket file with the owner, group and mode
// its unit names before tqd runs, so there is no moment when the file
// exists with other permissions, and clients may connect before tqd is up.
// tqd serves that descriptor instead of binding (ZMQ_USE_FD) and leaves
// the file to systemd when it exits.
#pragma once

#include <string>

#include "base/fd.h"

namespace tq::daemon {

// Takes the socket systemd passed this process for `endpoint`, and removes
// LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES from the environment either way.
// Returns an empty Fd when none was passed (no LISTEN_FDS, or LISTEN_PID
// names another process: an ancestor's). Marks it close-on-exec so no
// worker or exec task inherits it.
//
// Errors (kConfig), each a sentence naming what was passed: more than one
// socket; one that is not a listening unix stream socket; an endpoint that
// is not ipc://, or a socket bound to another path than the endpoint's.
proto::Result<base::Fd> TakeActivatedSocket(const std::string& endpoint);

}  // namespace tq::daemon
