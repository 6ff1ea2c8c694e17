// tq keygen: a CURVE key pair for tqd's agent endpoint and its agents.
#include <unistd.h>

#include <ctime>
#include <iostream>

#include "commands.h"
#include "exit_codes.h"
#include "tq/keys/curve_keys.h"

namespace tq::cli {

int Keygen(const std::string& stem, bool force) {
  if (stem.empty()) {
    std::cerr << "tq: keygen: PATH is empty\n";
    return kUsage;
  }
  char host[256] = "";
  ::gethostname(host, sizeof host - 1);
  char when[32] = "";
  const std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  try {
    const keys::KeyPair pair = keys::GenerateKeyPair();
    keys::WriteKeyPair(stem, pair,
                       std::string("made by tq keygen on ") + host + " at " + when, force);
    std::cerr << "tq: wrote " << stem << ".key (secret, mode 0600) and " << stem
              << ".pub (public)\n";
    std::cout << pair.public_z85 << "\n";
  } catch (const keys::KeyError& e) {
    std::cerr << "tq: keygen: " << e.what() << "\n";
    return kUsage;
  }
  return kOk;
}

}  // namespace tq::cli
