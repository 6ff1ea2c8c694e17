// SpawnAttrs: owns the posix_spawn attribute and file-action objects for
// one spawn, so every early return destroys them. Subprocess's alone: the
// rest of tq spawns through Subprocess.
#pragma once

#include <spawn.h>

namespace tq::base {

struct SpawnAttrs {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnAttrs() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnAttrs() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnAttrs(const SpawnAttrs&) = delete;
  SpawnAttrs& operator=(const SpawnAttrs&) = delete;
};

}  // namespace tq::base
