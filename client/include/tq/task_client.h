// The client a task uses to reach its own tqd (tq::worker::client() in
// tq/worker/client.h, the SDK's header that tasks include). Part of
// libtq: a plugin that calls it links libtq; one that does not, needs
// nothing but the header-only task SDK.
#pragma once

#include <cstdint>

#include "tq/export.h"

namespace tq {

class Client;

namespace detail {
// The process's one task client, made on first use, connected to
// $TQ_ENDPOINT (which tqd gives its workers). `current_task` names the task
// a call is made for (ClientOptions::calling_task). Never destroyed: tasks
// may use it until the worker exits.
TQ_EXPORT Client& TaskClient(std::uint64_t (*current_task)());
}  // namespace detail

}  // namespace tq
