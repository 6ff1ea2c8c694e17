// UserName.
#include "user_name.h"

#include <pwd.h>
#include <unistd.h>

#include <vector>

namespace tq::cli {

std::string UserName(std::int64_t uid) {
  if (uid < 0) return "-";
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(static_cast<uid_t>(uid), &pw, buf.data(), buf.size(), &found) == 0 &&
      found != nullptr) {
    return found->pw_name;
  }
  return std::to_string(uid);
}

}  // namespace tq::cli
