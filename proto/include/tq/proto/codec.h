// The msgpack codec for every protocol v1 message, with strict validation.
//
// Encode* append one msgpack map to a Buffer (so a pipe frame's length
// prefix can precede it). Decoder turns one frame into a message or a Status
// naming exactly what is wrong ("submit: field 'fn' must be a string"); it
// never throws and never allocates more than the limits allow, whatever the
// bytes. msgpack.hpp stays inside proto/src.
//
// A Decoder is not thread-safe; keep one per thread. Views in a decoded
// message point into the frame passed in and stay valid as long as it does.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "tq/proto/buffer.h"
#include "tq/proto/limits.h"
#include "tq/proto/messages.h"
#include "tq/proto/status.h"

namespace tq::proto {

// client -> tqd
void Encode(const SubmitRequest& m, Buffer& out);
void Encode(const PingRequest& m, Buffer& out);
void Encode(const TaskRequest& m, Buffer& out);
void Encode(const ListRequest& m, Buffer& out);
void Encode(const UnwaitRequest& m, Buffer& out);
void Encode(const JobRequest& m, Buffer& out);
void Encode(const ObjectRequest& m, Buffer& out);
// Either way between a client and tqd (with request_id), and between tqd
// and a worker (request_id 0: no "req").
void Encode(const PipeMessage& m, Buffer& out);
// tqd -> client
void Encode(const Accepted& m, Buffer& out);
void Encode(const TaskResult& m, Buffer& out);
void Encode(const TaskStatus& m, Buffer& out);
// With request_id 0 it is the worker -> tqd form (no "req").
void Encode(const TaskProgress& m, Buffer& out);
void Encode(const WorkersReply& m, Buffer& out);
void Encode(const StatsReply& m, Buffer& out);
void Encode(const ErrorReply& m, Buffer& out);
void Encode(const Pong& m, Buffer& out);
void Encode(const FunctionsReply& m, Buffer& out);
void Encode(const MetricsReply& m, Buffer& out);
void Encode(const JobReply& m, Buffer& out);
// An error map alone (result.error's form): how tqd's store keeps a task's
// error. DecodeErrorInfo's views point into `bytes`.
void EncodeErrorInfo(const ErrorInfo& e, Buffer& out);
Result<ErrorInfo> DecodeErrorInfo(std::string_view bytes);
void Encode(const ObjectReply& m, Buffer& out);
// tq-worker <-> tqd
void Encode(const WorkerHello& m, Buffer& out);
void Encode(const TaskAssignment& m, Buffer& out);
void Encode(const WorkerResult& m, Buffer& out);
void Encode(const TaskDrop& m, Buffer& out);
void Encode(const TaskDropped& m, Buffer& out);
// agent <-> tqd (PROTOCOL.md §10)
void Encode(const AgentHello& m, Buffer& out);
void Encode(const AgentBeat& m, Buffer& out);
void Encode(const ChannelSpawned& m, Buffer& out);
void Encode(const ChannelOutput& m, Buffer& out);
void Encode(const ChannelExited& m, Buffer& out);
void Encode(const ChannelRss& m, Buffer& out);
void Encode(const ChannelStack& m, Buffer& out);
void Encode(const AgentBye& m, Buffer& out);
void Encode(const AgentWelcome& m, Buffer& out);
void Encode(const DaemonBeat& m, Buffer& out);
void Encode(const ChannelSpawn& m, Buffer& out);
void Encode(const ChannelInput& m, Buffer& out);
void Encode(const ChannelCloseInput& m, Buffer& out);
void Encode(const ChannelSignal& m, Buffer& out);
void Encode(const ChannelCapture& m, Buffer& out);
void Encode(const SessionEnd& m, Buffer& out);

// Convenience for ERROR replies built from a Status.
void EncodeError(std::uint64_t request_id, const Status& status, Buffer& out);

class Decoder {
 public:
  explicit Decoder(Limits limits = {});
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  Result<ClientMessage> DecodeClient(std::string_view frame);
  Result<DaemonMessage> DecodeDaemon(std::string_view frame);
  Result<WorkerMessage> DecodeFromWorker(std::string_view frame);
  // A task frame only (what a worker without pipes accepts).
  Result<TaskAssignment> DecodeTask(std::string_view frame);
  // A task or a pipe frame (what tq-worker reads).
  Result<ToWorkerMessage> DecodeToWorker(std::string_view frame);
  // What tqd reads from an agent, and what an agent reads from tqd.
  Result<AgentMessage> DecodeFromAgent(std::string_view frame);
  Result<ToAgentMessage> DecodeToAgent(std::string_view frame);

  // The "req" field of the last frame decoded, if it was readable: lets tqd
  // address an ERROR reply to the request that caused it. 0 otherwise.
  std::uint64_t last_request_id() const { return last_request_id_; }

  const Limits& limits() const { return limits_; }

 private:
  class Impl;
  Limits limits_;
  std::uint64_t last_request_id_ = 0;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tq::proto
