// Uses libtq as an installed library: the public headers alone, the
// target's usage requirements, and exceptions thrown inside libtq.so
// caught here by type. Exit 0 when all of that works.
#include <tq/client.h>

#include <iostream>

#ifndef MSGPACK_NO_BOOST
#error "tq's usage requirements must define MSGPACK_NO_BOOST"
#endif

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  tq::Client client(tq::ClientOptions{.endpoint = argv[1],
                                      .connect_timeout = std::chrono::milliseconds(200)});
  try {
    client.apply<int>("square", 3);
  } catch (const tq::ConnectionError& e) {  // type_info shared with libtq.so
    std::cout << "ConnectionError: " << e.what() << "\n";
    return 0;
  }
  return 1;
}
