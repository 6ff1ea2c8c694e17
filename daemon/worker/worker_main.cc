// tq-worker: the builtin tasks plus whatever plugins tqd passes with
// --plugin.
#include "builtins.h"

int main(int argc, char** argv) {
  tq::worker::Registry registry;
  tq::worker::RegisterBuiltins(registry);
  return tq::worker::Main(argc, argv, registry);
}
