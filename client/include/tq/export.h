// TQ_EXPORT marks what libtq exports. The library is built with
// -fvisibility=hidden, so everything else in it (the protocol codec,
// msgpack, ZeroMQ) stays private to libtq.so. Exception classes are
// exported whole, so that their type_info is one across the boundary and
// `catch (const tq::RemoteError&)` in a program catches what libtq threw.
// (g++ and clang++ on Linux, the platforms tq is built for.)
#pragma once

#define TQ_EXPORT __attribute__((visibility("default")))
// For the private parts of an exported class (its pimpl).
#define TQ_HIDDEN __attribute__((visibility("hidden")))
