// ExpectRemoteError: runs a call that should fail remotely and returns the
// RemoteError, so a test can check its state, type and details. Header
// only: tests that use it link libtq.
#pragma once

#include <gtest/gtest.h>
#include <tq/errors.h>

namespace tq::testing {

template <typename F>
RemoteError ExpectRemoteError(F&& fn) {
  try {
    fn();
  } catch (const RemoteError& e) {
    return e;
  }
  ADD_FAILURE() << "no RemoteError";
  return RemoteError(0, TaskState::kDone, 0, "", "", {});
}

}  // namespace tq::testing
