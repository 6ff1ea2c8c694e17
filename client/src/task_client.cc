// detail::TaskClient.
#include "tq/task_client.h"

#include "tq/client.h"

namespace tq::detail {

Client& TaskClient(std::uint64_t (*current_task)()) {
  // Leaked on purpose: a worker's tasks and their threads may use it up to
  // the process's exit, after static destructors would have run.
  static Client* const client = [current_task] {
    ClientOptions options;
    options.calling_task = current_task;
    return new Client(std::move(options));
  }();
  return *client;
}

}  // namespace tq::detail
