#include "services/gateway/admission.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <random>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using plaza::core::FakeClock;
using plaza::gateway::AdmissionControl;
using plaza::gateway::AdmissionOptions;
using plaza::gateway::kAnonymousUserPriority;
using plaza::gateway::kBusinessLevels;
using plaza::gateway::kUserLevels;
using plaza::gateway::Priority;
using plaza::gateway::UserPriority;

namespace {

constexpr Priority kAdmitAll{kBusinessLevels - 1, kUserLevels - 1};
constexpr Priority kShedAll{0, kUserLevels - 1};

// Windows that end by time only, so each test window is exactly one call to RunWindow.
AdmissionOptions TimedWindows() { return {.window_requests = int64_t{1} << 40}; }

int Rank(Priority p) { return p.business * kUserLevels + p.user; }

struct Tally {
  std::array<int64_t, kBusinessLevels> offered{};
  std::array<int64_t, kBusinessLevels> admitted{};
  int64_t total_admitted = 0;

  double Fraction(int business) const {
    return static_cast<double>(admitted[business]) / static_cast<double>(offered[business]);
  }
};

Tally Offer(AdmissionControl& admission, const std::vector<Priority>& load) {
  Tally tally;
  for (Priority p : load) {
    ++tally.offered[p.business];
    if (admission.Admit(p)) {
      ++tally.admitted[p.business];
      ++tally.total_admitted;
    }
  }
  return tally;
}

// Lets a window's time pass and reports `delay`, which ends the window.
void EndWindow(AdmissionControl& admission, FakeClock& clock, std::chrono::microseconds delay) {
  clock.Advance(1s);
  admission.ObserveQueueDelay(delay);
}

Tally RunWindow(AdmissionControl& admission, FakeClock& clock, const std::vector<Priority>& load,
                std::chrono::microseconds delay) {
  Tally tally = Offer(admission, load);
  EndWindow(admission, clock, delay);
  return tally;
}

// Every compound priority, twice.
std::vector<Priority> EveryPriority() {
  std::vector<Priority> load;
  for (int b = 0; b < kBusinessLevels; ++b) {
    for (int u = 0; u < kUserLevels; ++u) load.insert(load.end(), 2, Priority{b, u});
  }
  return load;
}

}  // namespace

TEST_CASE("Without overload every request gets in", "[gateway][admission]") {
  FakeClock clock;
  AdmissionControl admission(clock, TimedWindows());
  const auto load = EveryPriority();
  for (int window = 0; window < 20; ++window) {
    // Exactly at the threshold is not over it.
    auto delay = window % 2 == 0 ? std::chrono::microseconds(5ms) : std::chrono::microseconds(20ms);
    CHECK(RunWindow(admission, clock, load, delay).total_admitted ==
          static_cast<int64_t>(load.size()));
  }
  CHECK(admission.level() == kAdmitAll);
  CHECK(admission.shed_count() == 0);
}

TEST_CASE("Sustained overload sheds the least important business first, a few users at a time",
          "[gateway][admission]") {
  FakeClock clock;
  AdmissionControl admission(clock, TimedWindows());
  const auto load = EveryPriority();
  std::vector<int> first_shed(kBusinessLevels, -1);  // window at which each business lost users
  Priority previous = admission.level();
  auto previous_admitted = static_cast<int64_t>(load.size());
  for (int window = 0; window < 100; ++window) {
    Tally tally = RunWindow(admission, clock, load, 50ms);
    if (window > 0 && previous != kShedAll) {
      // Each window sheds about 5% of what the previous one admitted.
      double ratio =
          static_cast<double>(tally.total_admitted) / static_cast<double>(previous_admitted);
      CHECK(ratio >= 0.93);
      CHECK(ratio <= 0.951);
    }
    for (int b = 0; b < kBusinessLevels; ++b) {
      if (tally.admitted[b] < tally.offered[b] && first_shed[b] < 0) first_shed[b] = window;
    }
    const Priority level = admission.level();
    CHECK(Rank(level) <= Rank(previous));
    if (previous != kShedAll) CHECK(Rank(level) < Rank(previous));
    previous = level;
    previous_admitted = tally.total_admitted;
    if (window == 0) {
      // After one window only the least important users of the least important business go.
      CHECK(level.business == kBusinessLevels - 1);
      CHECK(level.user < kUserLevels - 1);
      CHECK(level.user > kUserLevels / 2);
    }
  }
  CHECK(admission.level() == kShedAll);
  CHECK(first_shed[0] == -1);
  for (int b = 1; b < kBusinessLevels - 1; ++b) {
    INFO("business " << b);
    CHECK(first_shed[b] > first_shed[b + 1]);
  }
  CHECK(admission.Admit({0, kUserLevels - 1}));
  CHECK_FALSE(admission.Admit({1, 0}));
}

TEST_CASE("Within the level's business, users above it get in and users below do not",
          "[gateway][admission]") {
  FakeClock clock;
  AdmissionControl admission(clock, TimedWindows());
  const auto load = EveryPriority();
  for (int window = 0; window < 5; ++window) RunWindow(admission, clock, load, 50ms);
  const Priority level = admission.level();
  REQUIRE(level.user > 0);
  REQUIRE(level.user < kUserLevels - 1);
  CHECK(admission.Admit(level));
  CHECK(admission.Admit({level.business, level.user - 1}));
  CHECK_FALSE(admission.Admit({level.business, level.user + 1}));
  CHECK(admission.Admit({level.business - 1, kUserLevels - 1}));
  CHECK_FALSE(admission.Admit({level.business + 1, 0}));
}

TEST_CASE("Recovery admits a little more each window", "[gateway][admission]") {
  FakeClock clock;
  AdmissionControl admission(clock, TimedWindows());
  const auto load = EveryPriority();
  for (int window = 0; window < 15; ++window) RunWindow(admission, clock, load, 50ms);
  REQUIRE(admission.level().business < 4);

  int64_t previous_admitted = RunWindow(admission, clock, load, 1ms).total_admitted;
  int windows = 1;
  while (admission.level() != kAdmitAll) {
    REQUIRE(++windows < 200);
    int64_t admitted = RunWindow(admission, clock, load, 1ms).total_admitted;
    double ratio = static_cast<double>(admitted) / static_cast<double>(previous_admitted);
    CHECK(ratio >= 1.005);
    CHECK(ratio <= 1.03);
    previous_admitted = admitted;
  }
  CHECK(windows > 50);  // about 1% a window from under half: gradual, not a jump
}

TEST_CASE("Business priority 0 is never shed", "[gateway][admission]") {
  FakeClock clock;
  AdmissionControl admission(clock, TimedWindows());
  std::vector<Priority> logins;
  logins.reserve(kUserLevels);
  for (int u = 0; u < kUserLevels; ++u) logins.push_back({0, u});
  for (int window = 0; window < 300; ++window) {
    Tally tally = RunWindow(admission, clock, logins, 500ms);
    CHECK(tally.admitted[0] == tally.offered[0]);
  }
  CHECK(admission.level() == kShedAll);
  CHECK(admission.shed_count() == 0);
  // Out-of-range priorities are clamped, not trusted.
  CHECK(admission.Admit({-3, 1000}));
  CHECK_FALSE(admission.Admit({99, -5}));
}

TEST_CASE("Under overload a mixed load keeps the important classes whole", "[gateway][admission]") {
  FakeClock clock;
  AdmissionControl admission(clock, TimedWindows());
  // Payments-like business 1, chat-like 3 and search-like 6, from many users; the process can
  // serve 1000 requests a window and queues beyond that.
  std::vector<Priority> load;
  int64_t user = 1;
  for (auto [business, count] : {std::pair{1, 200}, {3, 500}, {6, 1300}}) {
    for (int i = 0; i < count; ++i) load.push_back({business, UserPriority(user++, clock.Now())});
  }
  std::shuffle(load.begin(), load.end(), std::mt19937(7));
  constexpr int64_t kCapacity = 1000;

  Tally settled;
  for (int window = 0; window < 300; ++window) {
    Tally tally = Offer(admission, load);
    EndWindow(admission, clock, tally.total_admitted > kCapacity ? 60ms : 2ms);
    CHECK(tally.Fraction(1) == 1.0);
    CHECK(tally.Fraction(3) == 1.0);
    if (window >= 200) {
      for (int b : {1, 3, 6}) {
        settled.offered[b] += tally.offered[b];
        settled.admitted[b] += tally.admitted[b];
      }
      settled.total_admitted += tally.total_admitted;
    }
  }
  CHECK(settled.Fraction(6) > 0.1);
  CHECK(settled.Fraction(6) < 0.4);
  CHECK(settled.total_admitted / 100 <= kCapacity * 105 / 100);
  CHECK(admission.level().business == 6);
}

TEST_CASE("User priority holds for an hour, then changes", "[gateway][admission]") {
  FakeClock clock;  // starts on the hour
  const auto hour_start = clock.Now();
  const auto hour_end = hour_start + 1h - 1s;
  const auto next_hour = hour_start + 1h;
  std::vector<int> histogram(kUserLevels, 0);
  int changed = 0;
  constexpr int kUsers = 12'800;
  for (int64_t user = 1; user <= kUsers; ++user) {
    int priority = UserPriority(user, hour_start);
    REQUIRE(priority >= 0);
    REQUIRE(priority < kUserLevels);
    ++histogram[priority];
    CHECK(UserPriority(user, hour_end) == priority);
    if (UserPriority(user, next_hour) != priority) ++changed;
  }
  CHECK(changed > kUsers * 95 / 100);
  // Spread evenly (100 each on average), so shedding a level sheds a predictable share.
  CHECK(*std::min_element(histogram.begin(), histogram.end()) > 60);
  CHECK(*std::max_element(histogram.begin(), histogram.end()) < 140);

  CHECK(UserPriority(0, hour_start) == kAnonymousUserPriority);
  CHECK(UserPriority(0, next_hour) == kAnonymousUserPriority);
}

TEST_CASE("A window also ends after its number of requests, but only with a delay sample",
          "[gateway][admission]") {
  FakeClock clock;
  AdmissionControl admission(clock, {.window = 1h, .window_requests = 100});
  // No sample yet: far more than a window of requests moves nothing.
  for (int i = 0; i < 1000; ++i) admission.Admit({7, i % kUserLevels});
  CHECK(admission.level() == kAdmitAll);
  admission.ObserveQueueDelay(50ms);  // the overdue window ends with this sample
  const Priority shed_once = admission.level();
  CHECK(Rank(shed_once) < Rank(kAdmitAll));

  admission.ObserveQueueDelay(50ms);
  for (int i = 0; i < 99; ++i) admission.Admit({7, i});
  CHECK(admission.level() == shed_once);
  admission.Admit({7, 99});  // the hundredth request ends the window
  CHECK(Rank(admission.level()) < Rank(shed_once));
}

TEST_CASE("The window's average delay decides, not one slow sample", "[gateway][admission]") {
  FakeClock clock;
  AdmissionControl admission(clock, TimedWindows());
  const auto load = EveryPriority();
  Offer(admission, load);
  for (int i = 0; i < 4; ++i) {
    admission.ObserveQueueDelay(5ms);
    clock.Advance(250ms);
  }
  admission.ObserveQueueDelay(60ms);  // ends the window: on average 16 ms
  CHECK(admission.level() == kAdmitAll);

  Offer(admission, load);
  for (int i = 0; i < 4; ++i) {
    admission.ObserveQueueDelay(25ms);
    clock.Advance(250ms);
  }
  admission.ObserveQueueDelay(15ms);  // on average 23 ms
  CHECK(Rank(admission.level()) < Rank(kAdmitAll));
}

TEST_CASE("Admission is safe to use from many threads", "[gateway][admission]") {
  FakeClock clock;
  AdmissionControl admission(clock);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50'000;
  std::atomic<int64_t> admitted{0};
  std::atomic<bool> done{false};
  std::thread probe([&] {
    for (int i = 0; !done.load(); ++i) {
      admission.ObserveQueueDelay(i % 3 == 0 ? std::chrono::microseconds(1ms)
                                             : std::chrono::microseconds(50ms));
      clock.Advance(100ms);
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> callers;
  callers.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t));
      std::uniform_int_distribution<int> business(0, kBusinessLevels - 1);
      std::uniform_int_distribution<int> user(0, kUserLevels - 1);
      for (int i = 0; i < kPerThread; ++i) {
        if (admission.Admit({business(random), user(random)})) ++admitted;
      }
    });
  }
  for (auto& caller : callers) caller.join();
  done = true;
  probe.join();
  CHECK(admitted.load() + admission.shed_count() == int64_t{kThreads} * kPerThread);
  CHECK(Rank(admission.level()) >= Rank(kShedAll));
}
