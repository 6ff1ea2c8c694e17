// `tq-worker --connect ...`: the worker program started by hand on another
// host becomes tq-agent (daemon/agent), which runs workers of this same
// program for a remote tqd. The worker runtime only execs it, so it links
// no ZeroMQ.
#pragma once

namespace tq::worker {

// Whether argv asks for an agent (has --connect or --connect=...).
bool WantsAgent(int argc, char** argv);

// Replaces this process with tq-agent and the same arguments, plus
// `--worker THIS_PROGRAM` unless one is given: the tq-agent beside this
// program, else the one installed with tq. Returns only on failure, with
// exit code 2 and a message on stderr.
int ExecAgent(int argc, char** argv);

}  // namespace tq::worker
