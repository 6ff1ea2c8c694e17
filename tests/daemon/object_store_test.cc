// ObjectStore: tqd's named objects as pure logic, answered into a recording
// sink, with time from a FakeClock.
#include "objects/object_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/fake_clock.h"
#include "tq/proto/msgpack_walk.h"

namespace tq::daemon::objects {
namespace {

using namespace std::chrono_literals;
using proto::ErrorCode;
using proto::ObjectOp;
using proto::ObjectType;

// What the store said to whom: a reply (owning copies) or an error.
struct Said {
  std::string client;
  std::uint64_t request_id = 0;
  bool error = false;
  ErrorCode code = ErrorCode::kOk;
  std::string message;
  std::optional<std::string> value;
  std::vector<std::string> keys, values;
  std::optional<std::uint64_t> size;
  std::optional<bool> ok;
  bool broken = false, timed_out = false;
  std::uint64_t cursor = 0;
};

class Recorder final : public ReplySink {
 public:
  void Reply(const Caller& to, const proto::ObjectReply& r) override {
    Said s{to.client, r.request_id};
    if (r.value) s.value.emplace(*r.value);
    s.keys.assign(r.keys.begin(), r.keys.end());
    s.values.assign(r.values.begin(), r.values.end());
    s.size = r.size;
    s.ok = r.ok;
    s.broken = r.broken;
    s.timed_out = r.timed_out;
    s.cursor = r.cursor;
    said.push_back(std::move(s));
  }
  void Fail(const Caller& to, const proto::Status& e) override {
    Said s{to.client, to.request_id, true, e.code(), e.message()};
    said.push_back(std::move(s));
  }
  // The last answer, which must exist; removes it.
  Said Last() {
    EXPECT_FALSE(said.empty());
    if (said.empty()) return {};
    Said s = said.back();
    said.pop_back();
    return s;
  }
  std::vector<Said> said;
};

std::string Int(std::int64_t v) {
  std::string s;
  proto::AppendInteger(v, &s);
  return s;
}

std::string Str(std::string_view text) {  // a msgpack fixstr
  return std::string(1, static_cast<char>(0xa0 | text.size())) + std::string(text);
}

class ObjectStoreTest : public ::testing::Test {
 protected:
  // Makes the call and returns the answer it got at once (or none).
  std::optional<Said> Call(const std::string& client, proto::ObjectRequest r,
                           std::uint64_t task = 0) {
    r.request_id = ++next_req_;
    const std::size_t before = sink_.said.size();
    store_.Handle(Caller{client, r.request_id, task}, r, clock_.Now());
    for (std::size_t i = before; i < sink_.said.size(); ++i) {
      if (sink_.said[i].client == client && sink_.said[i].request_id == r.request_id) {
        Said s = sink_.said[i];
        sink_.said.erase(sink_.said.begin() + static_cast<std::ptrdiff_t>(i));
        return s;
      }
    }
    return std::nullopt;  // parked
  }
  static proto::ObjectRequest Req(ObjectType type, ObjectOp op, std::string_view name = "o") {
    proto::ObjectRequest r;
    r.type = type;
    r.op = op;
    r.name = name;
    return r;
  }
  proto::ObjectRequest Dict(ObjectOp op, std::string_view key = {}, std::string_view value = {}) {
    proto::ObjectRequest r = Req(ObjectType::kDict, op, "d");
    r.key = key;
    r.value = value;
    return r;
  }
  proto::ObjectRequest Queue(ObjectOp op, std::string_view value = {},
                             std::optional<std::uint64_t> timeout_ms = std::nullopt,
                             std::uint64_t capacity = 0) {
    proto::ObjectRequest r = Req(ObjectType::kQueue, op, "q");
    r.value = value;
    r.timeout_ms = timeout_ms;
    r.capacity = capacity;
    r.count = 10;
    return r;
  }
  proto::ObjectRequest Lock(ObjectOp op, std::optional<std::uint64_t> timeout_ms = std::nullopt) {
    proto::ObjectRequest r = Req(ObjectType::kLock, op, "l");
    r.timeout_ms = timeout_ms;
    return r;
  }

  testing::FakeClock clock_;
  Recorder sink_;
  ObjectStore store_{ObjectLimits{}, sink_};
  std::uint64_t next_req_ = 0;
};

TEST_F(ObjectStoreTest, ADictSetsGetsAndDeletesByKey) {
  const std::string k = Str("k");
  EXPECT_FALSE(Call("a", Dict(ObjectOp::kGet, k))->value);
  ASSERT_FALSE(Call("a", Dict(ObjectOp::kSet, k, Int(7)))->error);
  EXPECT_EQ(Call("b", Dict(ObjectOp::kGet, k))->value, Int(7));
  EXPECT_EQ(Call("b", Dict(ObjectOp::kSize))->size, 1u);
  const Said del = *Call("a", Dict(ObjectOp::kDel, k));
  EXPECT_EQ(del.ok, true);
  EXPECT_EQ(del.value, Int(7));
  EXPECT_EQ(Call("a", Dict(ObjectOp::kDel, k))->ok, false);
  EXPECT_EQ(store_.bytes(), 0u);
}

TEST_F(ObjectStoreTest, SetDefaultSetsOnlyAnAbsentKeyAndReturnsWhatIsHeld) {
  const Said first = *Call("a", Dict(ObjectOp::kSetDefault, Str("k"), Int(1)));
  EXPECT_EQ(first.ok, true);
  EXPECT_EQ(first.value, Int(1));
  const Said second = *Call("b", Dict(ObjectOp::kSetDefault, Str("k"), Int(2)));
  EXPECT_EQ(second.ok, false);
  EXPECT_EQ(second.value, Int(1));
}

TEST_F(ObjectStoreTest, IncrCountsFromZeroAndRefusesAValueThatIsNoInteger) {
  const std::string n = Str("n");
  proto::ObjectRequest incr = Dict(ObjectOp::kIncr, n);
  EXPECT_EQ(Call("a", incr)->value, Int(1));
  incr.by = 300;
  EXPECT_EQ(Call("a", incr)->value, Int(301));
  incr.by = -1000;
  EXPECT_EQ(Call("a", incr)->value, Int(-699));
  ASSERT_FALSE(Call("a", Dict(ObjectOp::kSet, Str("s"), Str("x")))->error);
  const Said bad = *Call("a", Dict(ObjectOp::kIncr, Str("s")));
  EXPECT_TRUE(bad.error);
  EXPECT_EQ(bad.code, ErrorCode::kBadValue);
  ASSERT_FALSE(Call("a", Dict(ObjectOp::kSet, Str("big"), Int(INT64_MAX)))->error);
  EXPECT_EQ(Call("a", Dict(ObjectOp::kIncr, Str("big")))->code, ErrorCode::kBadValue);
}

TEST_F(ObjectStoreTest, CompareAndSetSwapsOnlyWhenTheValueIsTheOneExpected) {
  ASSERT_FALSE(Call("a", Dict(ObjectOp::kSet, Str("k"), Int(5)))->error);
  const std::string k = Str("k"), six = Int(6), knew = Str("new"), one = Int(1);
  proto::ObjectRequest cas = Dict(ObjectOp::kCas, k, six);
  const std::string wide_five("\xd3\0\0\0\0\0\0\0\x05", 9);  // 5 as int64
  cas.expect = wide_five;  // integers compare as numbers, whatever their encoding
  EXPECT_EQ(Call("a", cas)->ok, true);
  const Said lost = *Call("b", cas);  // expects 5 again: it is 6 now
  EXPECT_EQ(lost.ok, false);
  EXPECT_EQ(lost.value, Int(6));
  proto::ObjectRequest create = Dict(ObjectOp::kCas, knew, one);  // no expect: absent
  EXPECT_EQ(Call("a", create)->ok, true);
  EXPECT_EQ(Call("b", create)->ok, false);
}

TEST_F(ObjectStoreTest, KeysComeInInsertionOrderAndInPagesByCursor) {
  for (int i = 0; i < 5000; ++i) {
    ASSERT_FALSE(Call("a", Dict(ObjectOp::kSet, Int(i), Int(i * i)))->error);
  }
  ASSERT_FALSE(Call("a", Dict(ObjectOp::kDel, Int(0)))->error);
  std::vector<std::string> keys;
  proto::ObjectRequest r = Dict(ObjectOp::kItems);
  for (;;) {
    const Said page = *Call("a", r);
    ASSERT_EQ(page.keys.size(), page.values.size());
    keys.insert(keys.end(), page.keys.begin(), page.keys.end());
    if (page.cursor == 0) break;
    r.cursor = page.cursor;
  }
  ASSERT_EQ(keys.size(), 4999u);
  EXPECT_EQ(keys.front(), Int(1));
  EXPECT_EQ(keys.back(), Int(4999));
}

TEST_F(ObjectStoreTest, UpdateSetsManyKeysAtOnceOrNoneWhenTheyDoNotFit) {
  proto::ObjectRequest r = Dict(ObjectOp::kUpdate);
  const std::string k1 = Str("a"), k2 = Str("b"), v = Int(1);
  r.keys = {k1, k2};
  r.values = {v, v};
  EXPECT_EQ(Call("a", r)->size, 2u);
  store_.set_limits({.max_object_bytes = store_.bytes() + 10});
  const std::string k3 = Str("c");
  r.keys = {k3, k1};
  EXPECT_EQ(Call("a", r)->code, ErrorCode::kObjectFull);
  EXPECT_EQ(Call("a", Dict(ObjectOp::kSize))->size, 2u);
}

TEST_F(ObjectStoreTest, AListIndexesFromEitherEndAndNamesAnIndexOutOfRange) {
  proto::ObjectRequest r = Req(ObjectType::kList, ObjectOp::kExtend, "l");
  const std::string a = Str("a"), b = Str("b"), c = Str("c");
  r.values = {a, b, c};
  EXPECT_EQ(Call("x", r)->size, 3u);
  proto::ObjectRequest get = Req(ObjectType::kList, ObjectOp::kGet, "l");
  get.index = -1;
  EXPECT_EQ(Call("x", get)->value, c);
  get.index = 3;
  const Said out = *Call("x", get);
  EXPECT_EQ(out.code, ErrorCode::kNotFound);
  EXPECT_EQ(out.message, "list 'l' has 3 items; there is no index 3");
  proto::ObjectRequest slice = Req(ObjectType::kList, ObjectOp::kSlice, "l");
  slice.index = -2;
  EXPECT_EQ(Call("x", slice)->values, (std::vector<std::string>{b, c}));
  slice.index = 0;
  slice.stop = -1;
  EXPECT_EQ(Call("x", slice)->values, (std::vector<std::string>{a, b}));
}

TEST_F(ObjectStoreTest, AQueueIsFirstInFirstOut) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Call("p", Queue(ObjectOp::kPut, Int(i)))->size, i + 1u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Call("c", Queue(ObjectOp::kGet))->value, Int(i));
  EXPECT_TRUE(Call("c", Queue(ObjectOp::kGet, {}, 0))->timed_out);
}

TEST_F(ObjectStoreTest, AParkedGetIsAnsweredByTheNextPut) {
  EXPECT_FALSE(Call("c", Queue(ObjectOp::kGet)));  // parked
  EXPECT_EQ(store_.waiting(), 1u);
  EXPECT_EQ(Call("p", Queue(ObjectOp::kPut, Int(42)))->size, 0u);  // went to the getter
  const Said got = sink_.Last();
  EXPECT_EQ(got.client, "c");
  EXPECT_EQ(got.value, Int(42));
  EXPECT_EQ(store_.waiting(), 0u);
}

TEST_F(ObjectStoreTest, AParkedGetTimesOutAtItsDeadlineAndNotBefore) {
  EXPECT_FALSE(Call("c", Queue(ObjectOp::kGet, {}, 300)));
  EXPECT_EQ(store_.NextDeadline(), clock_.Now() + 300ms);
  clock_.Advance(299ms);
  store_.RunExpired(clock_.Now());
  EXPECT_TRUE(sink_.said.empty());
  clock_.Advance(1ms);
  store_.RunExpired(clock_.Now());
  const Said s = sink_.Last();
  EXPECT_TRUE(s.timed_out);
  EXPECT_FALSE(s.value);
  EXPECT_EQ(store_.waiting(), 0u);
  EXPECT_EQ(store_.NextDeadline(), std::nullopt);
}

TEST_F(ObjectStoreTest, AFullQueueRefusesOrParksAPutUntilAGetMakesRoom) {
  EXPECT_FALSE(Call("p", Queue(ObjectOp::kPut, Int(1), std::nullopt, 1))->error);
  EXPECT_EQ(Call("p", Queue(ObjectOp::kPut, Int(2), 0))->code, ErrorCode::kQueueFull);
  EXPECT_FALSE(Call("p", Queue(ObjectOp::kPut, Int(2), 1000)));  // parked, holding 2
  EXPECT_EQ(Call("c", Queue(ObjectOp::kGet))->value, Int(1));
  EXPECT_EQ(sink_.Last().size, 1u);  // the parked put got in
  EXPECT_EQ(Call("c", Queue(ObjectOp::kGet))->value, Int(2));
  EXPECT_FALSE(Call("p", Queue(ObjectOp::kPut, Int(3), 0))->error);
  EXPECT_FALSE(Call("p", Queue(ObjectOp::kPut, Int(4), 50)));
  clock_.Advance(50ms);
  store_.RunExpired(clock_.Now());
  const Said refused = sink_.Last();
  EXPECT_EQ(refused.code, ErrorCode::kQueueFull);
  EXPECT_EQ(refused.message, "queue 'q' stayed full for 50 ms");
  EXPECT_EQ(Call("c", Queue(ObjectOp::kSize))->size, 1u);
}

TEST_F(ObjectStoreTest, GetManyTakesWhatIsThereUpToItsCount) {
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(Call("p", Queue(ObjectOp::kPut, Int(i)))->error);
  proto::ObjectRequest many = Queue(ObjectOp::kGetMany);
  many.count = 2;
  EXPECT_EQ(Call("c", many)->values, (std::vector<std::string>{Int(0), Int(1)}));
  EXPECT_EQ(Call("c", many)->values, (std::vector<std::string>{Int(2)}));
}

TEST_F(ObjectStoreTest, AClientThatGoesLeavesNoParkedRequestBehind) {
  EXPECT_FALSE(Call("gone", Queue(ObjectOp::kGet)));
  EXPECT_FALSE(Call("gone", Queue(ObjectOp::kGet, {}, 1000)));
  EXPECT_EQ(store_.waiting(), 2u);
  store_.ClientGone("gone", clock_.Now());
  EXPECT_EQ(store_.waiting(), 0u);
  EXPECT_EQ(store_.NextDeadline(), std::nullopt);
  // The next item stays in the queue for a live getter.
  EXPECT_EQ(Call("p", Queue(ObjectOp::kPut, Int(1)))->size, 1u);
  EXPECT_TRUE(sink_.said.empty());
  EXPECT_EQ(Call("c", Queue(ObjectOp::kGet))->value, Int(1));
}

TEST_F(ObjectStoreTest, ALockGoesToItsWaitersInTurnAndOnlyItsHolderReleasesIt) {
  EXPECT_EQ(Call("a", Lock(ObjectOp::kAcquire))->ok, true);
  EXPECT_FALSE(Call("b", Lock(ObjectOp::kAcquire)));  // waits
  EXPECT_EQ(Call("c", Lock(ObjectOp::kAcquire, 0))->ok, false);
  EXPECT_EQ(Call("b", Lock(ObjectOp::kRelease))->code, ErrorCode::kWrongState);
  EXPECT_EQ(Call("a", Lock(ObjectOp::kAcquire))->code, ErrorCode::kWrongState);
  EXPECT_EQ(Call("a", Lock(ObjectOp::kRelease))->ok, true);
  const Said b = sink_.Last();
  EXPECT_EQ(b.client, "b");
  EXPECT_EQ(b.ok, true);
  EXPECT_FALSE(b.broken);
  EXPECT_EQ(Call("x", Lock(ObjectOp::kValue))->ok, true);
}

TEST_F(ObjectStoreTest, ALockWhoseHolderGoesPassesToTheNextWaiterAsBroken) {
  EXPECT_EQ(Call("a", Lock(ObjectOp::kAcquire))->ok, true);
  EXPECT_FALSE(Call("b", Lock(ObjectOp::kAcquire)));
  store_.ClientGone("a", clock_.Now());
  const Said b = sink_.Last();
  EXPECT_EQ(b.client, "b");
  EXPECT_TRUE(b.broken);
  // With nobody waiting, the next to acquire is told.
  store_.ClientGone("b", clock_.Now());
  const Said c = *Call("c", Lock(ObjectOp::kAcquire));
  EXPECT_TRUE(c.broken);
  EXPECT_EQ(Call("c", Lock(ObjectOp::kRelease))->ok, true);
  EXPECT_FALSE(Call("d", Lock(ObjectOp::kAcquire))->broken);
}

TEST_F(ObjectStoreTest, ALockHeldByATaskIsReleasedWhenTheTaskEnds) {
  EXPECT_EQ(Call("worker", Lock(ObjectOp::kAcquire), /*task=*/7)->ok, true);
  // Another task on the same connection is another holder.
  EXPECT_FALSE(Call("worker", Lock(ObjectOp::kAcquire), /*task=*/8));
  store_.TaskEnded(7, clock_.Now());
  const Said next = sink_.Last();
  EXPECT_EQ(next.ok, true);
  EXPECT_TRUE(next.broken);
  EXPECT_EQ(Call("worker", Lock(ObjectOp::kRelease), 8)->ok, true);
}

TEST_F(ObjectStoreTest, AParkedCallOfATaskThatEndsIsAnsweredWrongState) {
  EXPECT_EQ(Call("a", Lock(ObjectOp::kAcquire))->ok, true);
  EXPECT_FALSE(Call("worker", Lock(ObjectOp::kAcquire), 9));
  store_.TaskEnded(9, clock_.Now());
  EXPECT_EQ(sink_.Last().code, ErrorCode::kWrongState);
  EXPECT_EQ(store_.waiting(), 0u);
}

TEST_F(ObjectStoreTest, ASemaphoreCountsPermitsAndGivesBackThoseOfAGoneHolder) {
  proto::ObjectRequest acquire = Req(ObjectType::kSemaphore, ObjectOp::kAcquire, "s");
  acquire.initial = 2;
  EXPECT_EQ(Call("a", acquire)->ok, true);
  EXPECT_EQ(Call("a", acquire)->ok, true);
  EXPECT_FALSE(Call("b", acquire));  // none left
  store_.ClientGone("a", clock_.Now());
  EXPECT_EQ(sink_.Last().client, "b");
  EXPECT_EQ(Call("b", Req(ObjectType::kSemaphore, ObjectOp::kValue, "s"))->size, 1u);
  EXPECT_EQ(Call("b", Req(ObjectType::kSemaphore, ObjectOp::kRelease, "s"))->size, 2u);
}

TEST_F(ObjectStoreTest, AnEventWakesEveryWaiterAndLaterWaitsReturnAtOnce) {
  proto::ObjectRequest wait = Req(ObjectType::kEvent, ObjectOp::kWait, "e");
  EXPECT_FALSE(Call("a", wait));
  EXPECT_FALSE(Call("b", wait));
  EXPECT_EQ(Call("c", Req(ObjectType::kEvent, ObjectOp::kSet, "e"))->ok, true);
  ASSERT_EQ(sink_.said.size(), 2u);
  EXPECT_EQ(sink_.said[0].ok, true);
  EXPECT_EQ(sink_.said[1].ok, true);
  sink_.said.clear();
  EXPECT_EQ(Call("d", wait)->ok, true);
  ASSERT_FALSE(Call("c", Req(ObjectType::kEvent, ObjectOp::kClear, "e"))->error);
  wait.timeout_ms = 10;
  EXPECT_FALSE(Call("d", wait));
  clock_.Advance(10ms);
  store_.RunExpired(clock_.Now());
  const Said late = sink_.Last();
  EXPECT_EQ(late.ok, false);
  EXPECT_TRUE(late.timed_out);
}

TEST_F(ObjectStoreTest, ReadingAnObjectThatDoesNotExistCreatesNone) {
  EXPECT_EQ(Call("a", Dict(ObjectOp::kSize))->size, 0u);
  EXPECT_EQ(Call("a", Queue(ObjectOp::kGet, {}, 0))->timed_out, true);
  EXPECT_EQ(Call("a", Req(ObjectType::kEvent, ObjectOp::kIsSet, "e"))->ok, false);
  EXPECT_EQ(store_.objects(), 0u);
}

TEST_F(ObjectStoreTest, RefusesANewObjectBeyondMaxObjects) {
  store_.set_limits({.max_objects = 2});
  ASSERT_FALSE(Call("a", Req(ObjectType::kEvent, ObjectOp::kSet, "1"))->error);
  ASSERT_FALSE(Call("a", Req(ObjectType::kEvent, ObjectOp::kSet, "2"))->error);
  const Said s = *Call("a", Req(ObjectType::kEvent, ObjectOp::kSet, "3"));
  EXPECT_EQ(s.code, ErrorCode::kObjectFull);
  EXPECT_EQ(s.message, "tqd holds its most objects, 2 (max_objects); drop some first");
  EXPECT_FALSE(Call("a", Req(ObjectType::kEvent, ObjectOp::kIsSet, "3"))->error);
  EXPECT_EQ(Call("a", Req(ObjectType::kEvent, ObjectOp::kDrop, "1"))->ok, true);
  EXPECT_FALSE(Call("a", Req(ObjectType::kEvent, ObjectOp::kSet, "3"))->error);
}

TEST_F(ObjectStoreTest, RefusesWritesBeyondAnObjectsBytesOrTheStores) {
  store_.set_limits({.max_object_bytes = 1000, .max_store_bytes = 1500});
  const std::string big(900, 'x');
  EXPECT_FALSE(Call("a", Dict(ObjectOp::kSet, Str("k"), big))->error);
  const Said over = *Call("a", Dict(ObjectOp::kSet, Str("k2"), big));
  EXPECT_EQ(over.code, ErrorCode::kObjectFull);
  EXPECT_NE(over.message.find("max_object_bytes"), std::string::npos);
  const std::string k = Str("k");
  proto::ObjectRequest other = Dict(ObjectOp::kSet, k, big);
  other.name = "other";
  EXPECT_NE(Call("a", other)->message.find("max_object_store_bytes"), std::string::npos);
  EXPECT_EQ(Call("a", Dict(ObjectOp::kSize))->size, 1u);
}

TEST_F(ObjectStoreTest, RefusesMoreParkedCallsThanAConnectionMayHave) {
  store_.set_limits({.max_waiting_per_client = 2});
  EXPECT_FALSE(Call("a", Queue(ObjectOp::kGet)));
  EXPECT_FALSE(Call("a", Queue(ObjectOp::kGet)));
  EXPECT_EQ(Call("a", Queue(ObjectOp::kGet))->code, ErrorCode::kTooManyWaiting);
  EXPECT_FALSE(Call("b", Queue(ObjectOp::kGet)));  // another connection may
}

TEST_F(ObjectStoreTest, DroppingAnObjectAnswersItsWaitersAndFreesItsBytes) {
  EXPECT_FALSE(Call("p", Queue(ObjectOp::kPut, Int(1), std::nullopt, 1))->error);
  EXPECT_FALSE(Call("p", Queue(ObjectOp::kPut, Int(2))));
  EXPECT_EQ(Call("x", Queue(ObjectOp::kDrop))->ok, true);
  EXPECT_EQ(sink_.Last().code, ErrorCode::kWrongState);
  EXPECT_EQ(store_.bytes(), 0u);
  EXPECT_EQ(store_.objects(), 0u);
  EXPECT_EQ(store_.waiting(), 0u);
}

}  // namespace
}  // namespace tq::daemon::objects
