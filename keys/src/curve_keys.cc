// CURVE key files.
#include "tq/keys/curve_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string_view>

namespace tq::keys {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kZ85KeyLength = 40;

[[noreturn]] void Fail(const fs::path& file, const std::string& what) {
  throw KeyError(file.string() + ": " + what);
}

[[noreturn]] void FailErrno(const fs::path& file, const std::string& doing) {
  Fail(file, doing + ": " + std::strerror(errno));
}

// The one line of `text` that is not blank or a '#' comment, trimmed. Z85
// has '#' in its alphabet, but a key never starts with it: the first of
// each 5 characters is at most the 83rd symbol (85^5 > 2^32), '#' the 85th.
std::string KeyLine(const fs::path& file, const std::string& text) {
  std::istringstream in(text);
  std::string line, key;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto last = line.find_last_not_of(" \t\r");
    const std::string trimmed = line.substr(first, last - first + 1);
    if (!IsZ85Key(trimmed)) {
      Fail(file, "not a CURVE key: want 40 characters of Z85 (what `tq keygen` writes), got \"" +
                     trimmed.substr(0, 60) + "\"");
    }
    if (!key.empty()) Fail(file, "more than one key in it");
    key = trimmed;
  }
  if (key.empty()) Fail(file, "no key in it");
  return key;
}

std::string ReadSmallFile(const fs::path& file, int fd) {
  std::string text;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      FailErrno(file, "read");
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > 4096) Fail(file, "too large for a key file");
  }
  return text;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Writes `text` to `file` with `mode`, atomically: a temporary file in the
// same directory, then a link (no overwrite: fails if `file` exists) or a
// rename (overwrite).
void WriteFileAtomically(const fs::path& file, const std::string& text, mode_t mode,
                         bool overwrite) {
  std::string tmp = file.string() + ".tmpXXXXXX";
  const int raw = ::mkstemp(tmp.data());  // mode 0600
  if (raw < 0) FailErrno(file, "create a temporary file beside it");
  Fd fd(raw);
  const auto remove_tmp = [&] { ::unlink(tmp.c_str()); };
  std::string_view rest = text;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd.get(), rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      remove_tmp();
      FailErrno(file, "write");
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fchmod(fd.get(), mode) != 0 || ::fsync(fd.get()) != 0) {
    remove_tmp();
    FailErrno(file, "fchmod/fsync");
  }
  if (overwrite) {
    if (::rename(tmp.c_str(), file.c_str()) != 0) {
      remove_tmp();
      FailErrno(file, "rename");
    }
    return;
  }
  const int linked = ::link(tmp.c_str(), file.c_str());
  const int link_errno = errno;
  remove_tmp();
  if (linked != 0) {
    errno = link_errno;
    if (errno == EEXIST) Fail(file, "exists already (--force replaces it)");
    FailErrno(file, "link");
  }
}

std::string ReadKeyFile(const fs::path& file, bool secret) {
  const int raw = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (raw < 0) {
    if (errno == ELOOP) Fail(file, "is a symbolic link; a key file must be a regular file");
    FailErrno(file, "open");
  }
  Fd fd(raw);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) FailErrno(file, "stat");
  if (!S_ISREG(st.st_mode)) Fail(file, "not a regular file");
  if (secret && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    Fail(file, std::string("a secret key that others may read (mode ") + mode +
                   "): chmod 600 it, or make a new pair with `tq keygen`");
  }
  return KeyLine(file, ReadSmallFile(file, fd.get()));
}

}  // namespace

bool IsZ85Key(const std::string& text) {
  if (text.size() != kZ85KeyLength) return false;
  std::uint8_t bytes[32];
  return zmq_z85_decode(bytes, text.c_str()) != nullptr;
}

KeyPair GenerateKeyPair() {
  char pub[kZ85KeyLength + 1], sec[kZ85KeyLength + 1];
  if (zmq_curve_keypair(pub, sec) != 0) {
    throw KeyError(std::string("cannot make a CURVE key pair: ") + zmq_strerror(errno) +
                   " (is libzmq built with libsodium?)");
  }
  return {pub, sec};
}

std::string PublicKeyOf(const std::string& secret_z85) {
  if (!IsZ85Key(secret_z85)) throw KeyError("not a Z85 CURVE key");
  char pub[kZ85KeyLength + 1];
  if (zmq_curve_public(pub, secret_z85.c_str()) != 0) {
    throw KeyError(std::string("cannot derive a CURVE public key: ") + zmq_strerror(errno));
  }
  return pub;
}

void WriteKeyPair(const fs::path& stem, const KeyPair& pair, const std::string& comment,
                  bool overwrite) {
  const fs::path pub = stem.string() + ".pub";
  const fs::path sec = stem.string() + ".key";
  if (!overwrite) {
    for (const fs::path& f : {pub, sec}) {
      std::error_code ec;
      if (fs::exists(fs::symlink_status(f, ec))) Fail(f, "exists already (--force replaces it)");
    }
  }
  const std::string header = comment.empty() ? std::string() : "# " + comment + "\n";
  // The secret first: a .pub without its .key is useless, the reverse is
  // recoverable (PublicKeyOf).
  WriteFileAtomically(sec, header + "# CURVE secret key: keep it to yourself\n" +
                               pair.secret_z85 + "\n",
                      0600, overwrite);
  WriteFileAtomically(pub, header + "# CURVE public key\n" + pair.public_z85 + "\n", 0644,
                      overwrite);
}

std::string ReadPublicKey(const fs::path& file) { return ReadKeyFile(file, false); }

std::string ReadSecretKey(const fs::path& file) { return ReadKeyFile(file, true); }

std::vector<AllowedKey> ReadAllowList(const fs::path& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) Fail(dir, "cannot read the allow-list directory: " + ec.message());
  std::vector<AllowedKey> out;
  for (const fs::directory_entry& entry : it) {
    const fs::path& p = entry.path();
    if (p.extension() != ".pub") continue;
    out.push_back({p.stem().string(), ReadPublicKey(p)});
  }
  std::sort(out.begin(), out.end(),
            [](const AllowedKey& a, const AllowedKey& b) { return a.name < b.name; });
  return out;
}

}  // namespace tq::keys
