// ReapQueue.
#include "reap_queue.h"

#include <algorithm>

namespace tq::daemon {

void ReapQueue::Add(base::Subprocess process, int signal) {
  // An empty handle (a remote worker's capture has no local tool) holds nothing.
  if (process.pid() <= 0 || process.TryReap()) return;
  process.Kill(signal);
  processes_.push_back(std::move(process));
}

void ReapQueue::ReapExited() {
  std::erase_if(processes_, [](base::Subprocess& p) { return p.TryReap(); });
}

}  // namespace tq::daemon
