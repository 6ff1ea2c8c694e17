// The article's Manager: ten processes each set d[i] = i * i and append i
// to a list, both held by tqd; the parent prints them as Python does. The
// objects are named after this program's pid and dropped at the end.
//
//   build/bin/tq-seed-manager
#include <tq/client.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

int main() {
  tq::Client client;
  const std::string suffix = std::to_string(::getpid());
  auto d = client.dict<std::int64_t, std::int64_t>("seed-dict-" + suffix);
  auto l = client.list<std::int64_t>("seed-list-" + suffix);
  std::vector<tq::Process> processes;
  for (int i = 0; i < 10; ++i) processes.push_back(client.process("seed_record", d.name(), l.name(), i));
  for (tq::Process& p : processes) p.start();
  for (tq::Process& p : processes) p.join();

  std::vector<std::pair<std::int64_t, std::int64_t>> items = d.items();
  std::sort(items.begin(), items.end());
  std::cout << "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::cout << (i ? ", " : "") << items[i].first << ": " << items[i].second;
  }
  std::cout << "}\n";
  std::vector<std::int64_t> all = l.all();
  std::sort(all.begin(), all.end());
  std::cout << "[";
  for (std::size_t i = 0; i < all.size(); ++i) std::cout << (i ? ", " : "") << all[i];
  std::cout << "]\n";
  d.drop();
  l.drop();
  return items.size() == 10 && all.size() == 10 ? 0 : 1;
}
