// ZapHandler.
#include "agents/zap_handler.h"

#include <spdlog/spdlog.h>

#include <array>

#include "tq/keys/curve_keys.h"

namespace tq::daemon {
namespace {

using proto::ErrorCode;

// The 32 bytes of a Z85 key, as ZAP's credentials frame carries it.
std::string BinaryKey(const std::string& z85) {
  std::array<std::uint8_t, 32> key{};
  if (zmq_z85_decode(key.data(), z85.c_str()) == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(key.data()), key.size());
}

std::string Text(const zmq::message_t& m) { return std::string(m.to_string_view()); }

}  // namespace

proto::Result<ZapHandler::AllowList> ReadAgentKeys(const std::string& dir) {
  try {
    ZapHandler::AllowList out;
    for (const keys::AllowedKey& k : keys::ReadAllowList(dir)) out[k.name] = k.public_z85;
    return out;
  } catch (const keys::KeyError& e) {
    return proto::Status(ErrorCode::kConfig, std::string("agent_keys: ") + e.what());
  }
}

proto::Result<ZapHandler> ZapHandler::Start(zmq::context_t& context,
                                            const AllowList& allowed) {
  try {
    zmq::socket_t s(context, zmq::socket_type::rep);
    s.set(zmq::sockopt::linger, 0);
    s.bind("inproc://zeromq.zap.01");
    ZapHandler h(std::move(s));
    h.set_allowed(allowed);
    return h;
  } catch (const zmq::error_t& e) {
    return proto::Status(ErrorCode::kIo, std::string("ZAP handler: ") + e.what());
  }
}

void ZapHandler::set_allowed(const AllowList& allowed) {
  by_key_.clear();
  for (const auto& [name, z85] : allowed) by_key_[BinaryKey(z85)] = name;
}

void ZapHandler::OnReadable() {
  for (;;) {
    // RFC 27: version, request id, domain, address, identity, mechanism,
    // then the mechanism's credentials (CURVE: the client's public key).
    std::vector<zmq::message_t> request;
    try {
      for (;;) {
        zmq::message_t part;
        if (!socket_.recv(part, zmq::recv_flags::dontwait)) break;
        const bool more = part.more();
        request.push_back(std::move(part));
        if (!more) break;
      }
    } catch (const zmq::error_t& e) {
      spdlog::error("ZAP handler: {}", e.what());
      return;
    }
    if (request.empty()) return;
    std::string status = "400", text = "malformed ZAP request", user;
    if (request.size() >= 6) {
      const std::string address = Text(request[3]);
      const std::string mechanism = Text(request[5]);
      auto it = request.size() >= 7 ? by_key_.find(Text(request[6])) : by_key_.end();
      if (mechanism != "CURVE") {
        text = "only CURVE is accepted";
      } else if (it == by_key_.end()) {
        text = "key not in the allow-list";
      } else {
        status = "200";
        text = "OK";
        user = it->second;
      }
      if (status != "200") {
        ++refused_;
        std::string z85(40, '\0');
        if (request.size() >= 7 && request[6].size() == 32) {
          zmq_z85_encode(z85.data(), request[6].data<std::uint8_t>(), 32);
        } else {
          z85 = "none";
        }
        spdlog::warn("agent endpoint: refused {} ({} key {}): {}", address, mechanism, z85,
                     text);
      }
    }
    const std::string version = request.empty() ? "1.0" : Text(request[0]);
    const std::string id = request.size() >= 2 ? Text(request[1]) : "";
    try {
      socket_.send(zmq::buffer(version), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(id), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(status), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(text), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(user), zmq::send_flags::sndmore);
      socket_.send(zmq::str_buffer(""), zmq::send_flags::none);
    } catch (const zmq::error_t& e) {
      spdlog::error("ZAP handler: {}", e.what());
      return;
    }
  }
}

}  // namespace tq::daemon
