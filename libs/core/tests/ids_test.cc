#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include "plaza/core/ids.h"

using plaza::core::FakeClock;
using plaza::core::IdGenerator;

TEST_CASE("Ids strictly increase and encode their time", "[core][ids]") {
  FakeClock clock;
  IdGenerator ids(3, clock);
  int64_t previous = 0;
  for (int i = 0; i < 10000; ++i) {  // far more than 4096 per millisecond: spills forward
    int64_t id = ids.Next();
    REQUIRE(id > previous);
    previous = id;
  }
  clock.Advance(std::chrono::seconds(1));
  int64_t later = ids.Next();
  CHECK(later > previous);
  CHECK(IdGenerator::UnixMillisOf(later) ==
        std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch()).count());
}

TEST_CASE("Ids never repeat when the clock steps back", "[core][ids]") {
  FakeClock clock;
  IdGenerator ids(0, clock);
  int64_t before = ids.Next();
  clock.Advance(-std::chrono::seconds(5));
  CHECK(ids.Next() > before);
}

TEST_CASE("Ids from different nodes and threads never collide", "[core][ids]") {
  FakeClock clock;
  IdGenerator a(1, clock), b(2, clock);
  std::vector<int64_t> from_a, from_b;
  std::thread ta([&] { for (int i = 0; i < 5000; ++i) from_a.push_back(a.Next()); });
  std::thread tb([&] { for (int i = 0; i < 5000; ++i) from_b.push_back(b.Next()); });
  ta.join();
  tb.join();
  std::set<int64_t> all(from_a.begin(), from_a.end());
  all.insert(from_b.begin(), from_b.end());
  CHECK(all.size() == 10000);
}
