// tq-store-fill: writes N durable tasks of the bench plugin's `inc` into
// DIR/tq.db in one transaction, as tqd would have left them, so that a tqd
// can be started on a big store without first submitting a million tasks:
//
//   tq-store-fill DIR N queued   N tasks waiting to run (recovery's cost)
//   tq-store-fill DIR N done     N results (history: the cost of a store
//                                that is large, for submits that follow)
//
// Results are stamped as finished now: give tqd a result_ttl and
// max_results that keep them all.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "store/batch.h"
#include "store/task_store.h"
#include "tq/proto/messages.h"

int main(int argc, char** argv) {
  if (argc != 4 || (std::string(argv[3]) != "queued" && std::string(argv[3]) != "done")) {
    std::fprintf(stderr, "usage: tq-store-fill DIR N queued|done\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::uint64_t n = std::strtoull(argv[2], nullptr, 10);
  const bool done = std::string(argv[3]) == "done";
  auto store = tq::store::TaskStore::Open(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "tq-store-fill: %s\n", store.status().ToString().c_str());
    return 1;
  }
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  const std::uint64_t first = (*store)->id_ceiling() + 1;
  // Copied, not assigned from literals: GCC 12 at -O3 warns (falsely) on
  // operator=(const char*) here.
  const std::string args("\x91\x01", 2);  // [1]
  const std::string value(1, '\x02');      // 2
  const std::string fn("inc");
  tq::store::Batch batch;
  for (std::uint64_t id = first; id < first + n; ++id) {
    tq::store::TaskRecord t;
    t.id = id;
    t.fn = fn;
    t.args = args;
    t.queued_at_ms = now_ms;
    if (done) {
      t.life.state = static_cast<std::uint8_t>(tq::proto::TaskState::kDone);
      t.life.attempts = 1;
      t.life.started_at_ms = t.life.finished_at_ms = now_ms;
      t.life.value = value;
    }
    batch.Put(std::move(t));
  }
  batch.SetIdCeiling(first + n - 1);
  const tq::proto::Status s = (*store)->CommitNow(batch);
  if (!s.ok()) {
    std::fprintf(stderr, "tq-store-fill: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("tq-store-fill: %llu %s tasks in %s/tq.db\n", static_cast<unsigned long long>(n),
              argv[3], dir.c_str());
  return 0;
}
