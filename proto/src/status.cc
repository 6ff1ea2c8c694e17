// ErrorCode names and Status helpers.
#include "tq/proto/status.h"

#include <array>
#include <cstring>

namespace tq::proto {
namespace {

struct CodeName {
  ErrorCode code;
  std::string_view name;
};

constexpr std::array<CodeName, 23> kCodeNames{{
    {ErrorCode::kOk, "OK"},
    {ErrorCode::kMalformed, "MALFORMED"},
    {ErrorCode::kBadVersion, "BAD_VERSION"},
    {ErrorCode::kUnknownKind, "UNKNOWN_KIND"},
    {ErrorCode::kMissingField, "MISSING_FIELD"},
    {ErrorCode::kWrongType, "WRONG_TYPE"},
    {ErrorCode::kBadValue, "BAD_VALUE"},
    {ErrorCode::kUnknownField, "UNKNOWN_FIELD"},
    {ErrorCode::kTooLarge, "TOO_LARGE"},
    {ErrorCode::kUnknownFunction, "UNKNOWN_FUNCTION"},
    {ErrorCode::kQueueFull, "QUEUE_FULL"},
    {ErrorCode::kShuttingDown, "SHUTTING_DOWN"},
    {ErrorCode::kInternal, "INTERNAL"},
    {ErrorCode::kNotFound, "NOT_FOUND"},
    {ErrorCode::kWrongState, "WRONG_STATE"},
    {ErrorCode::kRepliesDropped, "REPLIES_DROPPED"},
    {ErrorCode::kStoreFailed, "STORE_FAILED"},
    {ErrorCode::kObjectFull, "OBJECT_FULL"},
    {ErrorCode::kTooManyWaiting, "TOO_MANY_WAITING"},
    {ErrorCode::kPipeFull, "PIPE_FULL"},
    {ErrorCode::kNotBatchable, "NOT_BATCHABLE"},
    {ErrorCode::kIo, "IO"},
    {ErrorCode::kConfig, "CONFIG"},
}};

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) {
  for (const auto& c : kCodeNames) {
    if (c.code == code) return c.name;
  }
  return "INTERNAL";
}

std::optional<ErrorCode> ParseErrorCode(std::string_view name) {
  for (const auto& c : kCodeNames) {
    const bool wire = c.code != ErrorCode::kOk && c.code != ErrorCode::kIo &&
                      c.code != ErrorCode::kConfig;
    if (wire && c.name == name) return c.code;
  }
  return std::nullopt;
}

Status Status::FromErrno(std::string_view what, int err) {
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(err);
  return Status(ErrorCode::kIo, std::move(msg));
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(ErrorCodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

}  // namespace tq::proto
