// What a running process uses, read from /proc: resident memory and open
// descriptors. For tests that check a daemon gives back what a burst of
// load took.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>

namespace tq::testing {

// VmRSS of `pid`, in bytes; nullopt if the process is gone.
std::optional<std::size_t> RssBytes(pid_t pid);
// Number of entries in /proc/PID/fd; nullopt if the process is gone.
std::optional<std::size_t> OpenFdCount(pid_t pid);

inline constexpr std::size_t kMiB = std::size_t{1} << 20;

// True when this build runs under ASan/TSan, whose allocators keep freed
// memory in quarantine: RSS then says nothing about leaks.
inline constexpr bool kSanitizedBuild =
#if defined(TQ_SANITIZED)
    true;
#else
    false;
#endif

}  // namespace tq::testing
