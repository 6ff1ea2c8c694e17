// RawTqdTest: a fixture with a plain tqd and one raw connection to it, for
// tests that send hand-made frames and check that tqd survives them.
#pragma once

#include <gtest/gtest.h>

#include "testing/tqd_process.h"

namespace tq::testing {

class RawTqdTest : public ::testing::Test {
 protected:
  // tqd still answers a new client, and has not exited.
  void ExpectStillServing() {
    RawConnection fresh(tqd_.endpoint());
    EXPECT_TRUE(fresh.Ping(4242)) << tqd_.Log();
    EXPECT_FALSE(tqd_.Exited());
  }

  TqdProcess tqd_;
  RawConnection conn_{tqd_.endpoint()};
};

}  // namespace tq::testing
