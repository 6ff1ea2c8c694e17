// TQ_CHECK: an invariant of tqd's own code. A broken one is a bug in tqd,
// never a peer's doing, so it aborts loudly, in release builds too.
#pragma once

#include <cstdio>
#include <cstdlib>

#define TQ_CHECK(condition)                                                 \
  do {                                                                      \
    if (!(condition)) {                                                     \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                   #condition);                                             \
      std::abort();                                                         \
    }                                                                       \
  } while (0)
