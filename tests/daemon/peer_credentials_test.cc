// ParsePeerAddress: the uid and pid in ZeroMQ's "Peer-Address" metadata,
// as libzmq 4.3.4 writes it on ipc:// ("localhost:UID:GID:PID"), as older
// ones did (":UID:GID:PID"), and nothing from a tcp:// peer's address.
// (That a real ipc:// client's message carries it: submitter tests in
// tests/integration/attribution_test.cc.)
#include "peer_credentials.h"

#include <gtest/gtest.h>

namespace tq::daemon {
namespace {

TEST(PeerCredentialsTest, ReadsUidAndPidOfAnIpcPeer) {
  const PeerCredentials p = ParsePeerAddress("localhost:1000:100:4242");
  EXPECT_TRUE(p.known());
  EXPECT_EQ(p.uid, 1000);
  EXPECT_EQ(p.pid, 4242);
  const PeerCredentials old = ParsePeerAddress(":0:0:1");
  EXPECT_TRUE(old.known());
  EXPECT_EQ(old.uid, 0) << "root is a known user";
  EXPECT_EQ(old.pid, 1);
}

TEST(PeerCredentialsTest, KnowsNobodyFromAnIpAddress) {
  for (const char* address : {"127.0.0.1", "::1", "fe80::1:2:3", "", "localhost",
                              "a:b:c:d", "x:1:2:", "x:-1:2:3", "x:1:2:99999999999",
                              "x:99999999999:1:2", ":1:2"}) {
    const PeerCredentials p = ParsePeerAddress(address);
    EXPECT_FALSE(p.known()) << address;
    EXPECT_EQ(p.pid, 0) << address;
  }
}

}  // namespace
}  // namespace tq::daemon
