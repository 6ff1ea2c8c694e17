// UserName: a uid as tq status and tq workers show it.
#pragma once

#include <cstdint>
#include <string>

namespace tq::cli {

// The user's login name (from the passwd database, as this process sees
// it), else the uid as a number; "-" for -1, a uid tqd does not know.
std::string UserName(std::int64_t uid);

}  // namespace tq::cli
