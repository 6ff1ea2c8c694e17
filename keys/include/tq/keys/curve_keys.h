// CURVE key files: what `tq keygen` writes and what tqd's agent endpoint
// and `tq-worker --connect` read (issue 17).
//
// A key pair is two files next to each other: PATH.pub holds the public
// key and PATH.key the secret one, each as ZeroMQ's 40-character Z85 text
// (the form zmq_curve_keypair gives and ZMQ_CURVE_*KEY take) on a line of
// its own; blank lines and lines that start with '#' are comments (no key
// starts with '#'). Any other line is an error. The secret file is created mode 0600 and refused when anyone but
// its owner may read it, as ssh refuses a private key; public files may be
// read by anyone. An allow-list is a directory of public key files
// (*.pub), one per peer, named after it.
//
// Depends only on libzmq. Errors are KeyError exceptions whose what() says
// which file and what is wrong with it, for a log line or a CLI message.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace tq::keys {

class KeyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct KeyPair {
  std::string public_z85;  // 40 characters
  std::string secret_z85;  // 40 characters
};

// A peer allowed by an allow-list directory.
struct AllowedKey {
  std::string name;        // the file's name without ".pub"
  std::string public_z85;  // 40 characters
};

// A fresh pair from libsodium's random source, through libzmq.
// Throws KeyError if libzmq was built without CURVE.
KeyPair GenerateKeyPair();

// The public key that belongs to `secret_z85`. Throws KeyError if it is
// not a Z85 key.
std::string PublicKeyOf(const std::string& secret_z85);

// Writes stem.pub (mode 0644) and stem.key (mode 0600). Without
// `overwrite`, fails if either exists, so a key in use is never replaced
// by accident. `comment` becomes a '#' line at the top of each file.
void WriteKeyPair(const std::filesystem::path& stem, const KeyPair& pair,
                  const std::string& comment, bool overwrite);

// The key in a public key file.
std::string ReadPublicKey(const std::filesystem::path& file);

// The key in a secret key file that only its owner may read (no group or
// other permission bits) and that is a regular file.
std::string ReadSecretKey(const std::filesystem::path& file);

// Every *.pub file of `dir`, sorted by name. Other files are ignored (so a
// README or a .key beside them does no harm); a malformed .pub file is an
// error, not skipped, so a typo never silently locks a peer out or in.
std::vector<AllowedKey> ReadAllowList(const std::filesystem::path& dir);

// True if `text` is 40 characters of Z85 that decode to 32 bytes.
bool IsZ85Key(const std::string& text);

}  // namespace tq::keys
