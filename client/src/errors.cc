// Exceptions and Outcome::ThrowIfError.
#include "tq/errors.h"

#include "tq/raw_client.h"

namespace tq {

// Key functions: each class's vtable and type_info are emitted here, once.
Error::~Error() = default;
RemoteError::~RemoteError() = default;
TimeoutError::~TimeoutError() = default;
ConnectionError::~ConnectionError() = default;
ForgottenError::~ForgottenError() = default;
ProtocolError::~ProtocolError() = default;
RejectedError::~RejectedError() = default;
QueueFullError::~QueueFullError() = default;
ResultTypeError::~ResultTypeError() = default;

RemoteError::RemoteError(std::uint64_t task_id, TaskState state,
                         std::uint32_t attempts, std::string type,
                         std::string message, ErrorDetails details)
    : Error("task " + std::to_string(task_id) + " " +
            std::string(TaskStateName(state)) + ": " + type + ": " +
            message),
      task_id_(task_id),
      state_(state),
      attempts_(attempts),
      type_(std::move(type)),
      message_(std::move(message)),
      details_(std::move(details)) {}

RejectedError::RejectedError(std::string code, std::string message)
    : Error("tqd refused the request: " + code + ": " + message),
      code_(std::move(code)),
      message_(std::move(message)) {}

void Outcome::ThrowIfError() const {
  switch (kind) {
    case Kind::kValue:
      return;
    case Kind::kTaskError:
      throw RemoteError(task_id, state, attempts, error_type, message, details);
    case Kind::kRejected:
      if (error_type == "QUEUE_FULL") throw QueueFullError(error_type, message);
      throw RejectedError(error_type, message);
    case Kind::kConnection:
      throw ConnectionError(message);
    case Kind::kForgotten:
      throw ForgottenError(message);
    case Kind::kProtocol:
      throw ProtocolError(message);
  }
}

}  // namespace tq
