#include "tools/bench/stats.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <thread>
#include <vector>

using plaza::bench::Arrivals;
using plaza::bench::Compare;
using plaza::bench::Comparison;
using plaza::bench::Deliveries;
using plaza::bench::Median;
using plaza::bench::MedianOfRuns;
using plaza::bench::Percentile;
using plaza::bench::SentMessage;
using plaza::bench::Summarize;
using plaza::bench::SummarizeArrivals;
using plaza::bench::SummarizeDeliveries;
using plaza::bench::Summary;
using plaza::bench::Tally;

TEST_CASE("Percentile interpolates between the two nearest ranks", "[bench][stats]") {
  std::vector<double> sorted = {1, 2, 3, 4};
  CHECK(Percentile(sorted, 0) == 1);
  CHECK(Percentile(sorted, 1) == 4);
  CHECK(Percentile(sorted, 0.5) == Approx(2.5));
  CHECK(Percentile(sorted, 1.0 / 3) == Approx(2));
  CHECK(Percentile(sorted, 0.9) == Approx(3.7));
}

TEST_CASE("Percentile of a single sample is that sample at every q", "[bench][stats]") {
  std::vector<double> one = {7.5};
  CHECK(Percentile(one, 0) == 7.5);
  CHECK(Percentile(one, 0.99) == 7.5);
  CHECK(Percentile(one, 1) == 7.5);
}

TEST_CASE("Percentile p99 of 1..100 lies between the two highest samples", "[bench][stats]") {
  std::vector<double> sorted;
  for (int i = 1; i <= 100; ++i) sorted.push_back(i);
  CHECK(Percentile(sorted, 0.99) == Approx(99.01));
  CHECK(Percentile(sorted, 0.5) == Approx(50.5));
}

TEST_CASE("Median sorts its input and averages the two middle values", "[bench][stats]") {
  CHECK(Median({3, 1, 2}) == 2);
  CHECK(Median({10, 40, 20, 30}) == Approx(25));
  CHECK(Median({5}) == 5);
}

TEST_CASE("Summarize turns unordered latencies into a rate and percentiles", "[bench][stats]") {
  std::vector<double> latencies_ms;
  for (int i = 100; i >= 1; --i) latencies_ms.push_back(i);
  Summary summary = Summarize(latencies_ms, /*errors=*/3, /*seconds=*/2.0);
  CHECK(summary.per_second == Approx(50));
  CHECK(summary.p50_ms == Approx(50.5));
  CHECK(summary.p99_ms == Approx(99.01));
  CHECK(summary.errors == 3);
}

TEST_CASE("MedianOfRuns takes each figure's median and totals the errors", "[bench][stats]") {
  Summary median = MedianOfRuns({
      {.per_second = 100, .p50_ms = 9, .p99_ms = 50, .errors = 0},
      {.per_second = 300, .p50_ms = 1, .p99_ms = 10, .errors = 2},
      {.per_second = 200, .p50_ms = 5, .p99_ms = 90, .errors = 1},
  });
  CHECK(median.per_second == 200);
  CHECK(median.p50_ms == 5);
  CHECK(median.p99_ms == 50);  // from another run than the median rate: each figure on its own
  CHECK(median.errors == 3);
}

TEST_CASE("Compare pairs the runs for the rate ratio and subtracts the median p50s",
          "[bench][stats]") {
  std::vector<Summary> direct = {{.per_second = 1000, .p50_ms = 1.0},
                                 {.per_second = 500, .p50_ms = 2.0},  // a busy run for both
                                 {.per_second = 1000, .p50_ms = 1.2}};
  std::vector<Summary> gateway = {{.per_second = 700, .p50_ms = 1.5},
                                  {.per_second = 400, .p50_ms = 2.5},
                                  {.per_second = 600, .p50_ms = 1.9}};
  Comparison comparison = Compare(direct, gateway);
  // Per-run ratios 0.7, 0.8, 0.6: the median is 0.7; the ratio of the median rates would be 0.6.
  CHECK(comparison.rate_ratio == Approx(0.7));
  CHECK(comparison.added_p50_ms == Approx(1.9 - 1.2));
}

TEST_CASE("Compare gives NaN for the ratio when a baseline rate is zero", "[bench][stats]") {
  Comparison comparison = Compare({{.per_second = 0, .p50_ms = 1}}, {{.per_second = 5}});
  CHECK(std::isnan(comparison.rate_ratio));
}

TEST_CASE("SummarizeArrivals gives percentiles, the last arrival and the misses",
          "[bench][stats]") {
  std::vector<double> arrivals;
  for (int i = 100; i >= 1; --i) arrivals.push_back(i);
  Arrivals summary = SummarizeArrivals(arrivals, /*expected=*/103);
  CHECK(summary.p50_ms == Approx(50.5));
  CHECK(summary.p99_ms == Approx(99.01));
  CHECK(summary.max_ms == 100);
  CHECK(summary.received == 100);
  CHECK(summary.missed == 3);
}

TEST_CASE("SummarizeArrivals of nobody is all misses and no latency", "[bench][stats]") {
  Arrivals summary = SummarizeArrivals({}, 4);
  CHECK(summary.missed == 4);
  CHECK(summary.received == 0);
  CHECK(std::isnan(summary.max_ms));
  CHECK(SummarizeArrivals({1.0, 2.0}, 1).missed == 0);  // never negative
}

TEST_CASE("SummarizeDeliveries counts only acknowledged messages", "[bench][stats]") {
  std::vector<SentMessage> messages = {
      {.sent_ms = 0, .acked_ms = 2, .delivered_ms = 1, .received = 1, .copies = 1},  // pushed first
      {.sent_ms = 2, .acked_ms = 5, .delivered_ms = 7, .received = 1, .copies = 3},  // 2 duplicates
      {.sent_ms = 5, .acked_ms = 9},                                   // never arrived
      {.sent_ms = 7, .delivered_ms = 12, .received = 1, .copies = 1},  // the send failed
      {.sent_ms = 9},                                                  // failed, not pushed
      {.sent_ms = 10, .acked_ms = 1500, .delivered_ms = 2000, .received = 1, .copies = 1},
  };
  Deliveries result = SummarizeDeliveries(messages);
  CHECK(result.acknowledged == 4);
  CHECK(result.unacknowledged == 2);
  CHECK(result.undelivered == 1);
  CHECK(result.delivered_unacknowledged == 1);
  CHECK(result.duplicates == 2);
  // From the first send (0) to the last delivery of an acknowledged message (2000 ms).
  CHECK(result.seconds == Approx(2.0));
  CHECK(result.sent.per_second == Approx(2.0));  // 4 acknowledged in 2 s
  CHECK(result.sent.errors == 2);
  CHECK(result.delivered.per_second == Approx(1.5));  // 3 delivered in 2 s
  CHECK(result.delivered.errors == 1);
  // Delivery latencies 1, 5, 1990: the median is 5.
  CHECK(result.delivered.p50_ms == Approx(5));
  // Acknowledgement latencies 2, 3, 4, 1490.
  CHECK(result.sent.p50_ms == Approx(3.5));
  // One recipient each: a delivery per delivered message, a miss per undelivered one.
  CHECK(result.deliveries == 3);
  CHECK(result.deliveries_per_second == Approx(1.5));
  CHECK(result.missed_deliveries == 1);
}

TEST_CASE("SummarizeDeliveries of a fan-out: complete means every recipient, latency the last",
          "[bench][stats]") {
  std::vector<SentMessage> messages = {
      // Reached all 9 at 40 ms; one of them read it twice.
      {.sent_ms = 0,
       .acked_ms = 5,
       .delivered_ms = 40,
       .recipients = 9,
       .received = 9,
       .copies = 10},
      // 7 of 9: the last of those 7 read it at 80 ms, which still bounds the run.
      {.sent_ms = 10,
       .acked_ms = 20,
       .delivered_ms = 80,
       .recipients = 9,
       .received = 7,
       .copies = 7},
      // Reached all 9 at 60 ms.
      {.sent_ms = 20,
       .acked_ms = 30,
       .delivered_ms = 60,
       .recipients = 9,
       .received = 9,
       .copies = 9},
      // Nobody else was online: acknowledged, neither delivered nor undelivered.
      {.sent_ms = 30, .acked_ms = 35, .recipients = 0},
      // The send failed, yet 2 read it.
      {.sent_ms = 40, .delivered_ms = 50, .recipients = 9, .received = 2, .copies = 2},
  };
  Deliveries result = SummarizeDeliveries(messages);
  CHECK(result.acknowledged == 4);
  CHECK(result.unacknowledged == 1);
  CHECK(result.delivered_unacknowledged == 1);
  CHECK(result.undelivered == 1);
  CHECK(result.deliveries == 25);
  CHECK(result.missed_deliveries == 2);
  CHECK(result.duplicates == 1);
  CHECK(result.seconds == Approx(0.08));  // first send 0 ms, last read 80 ms
  CHECK(result.deliveries_per_second == Approx(25 / 0.08));
  CHECK(result.delivered.per_second == Approx(2 / 0.08));
  CHECK(result.delivered.errors == 1);
  // Send → last recipient: 40 and 40 ms (the incomplete message does not count).
  CHECK(result.delivered.p50_ms == Approx(40));
  CHECK(result.delivered.p99_ms == Approx(40));
}

TEST_CASE("SummarizeDeliveries without acknowledgements has no rate or latency", "[bench][stats]") {
  Deliveries none = SummarizeDeliveries({});
  CHECK(none.acknowledged == 0);
  CHECK(std::isnan(none.seconds));
  CHECK(none.delivered.per_second == 0);
  CHECK(std::isnan(none.delivered.p99_ms));

  Deliveries failed =
      SummarizeDeliveries({{.sent_ms = 1}, {.sent_ms = 2, .delivered_ms = 3, .received = 1}});
  CHECK(failed.unacknowledged == 2);
  CHECK(failed.sent.errors == 2);
  CHECK(failed.sent.per_second == 0);
  CHECK(std::isnan(failed.sent.p50_ms));

  Deliveries lost = SummarizeDeliveries({{.sent_ms = 0, .acked_ms = 4}});
  CHECK(lost.sent.per_second == Approx(250));
  CHECK(lost.delivered.per_second == 0);
  CHECK(lost.delivered.errors == 1);
  CHECK(std::isnan(lost.delivered.p50_ms));
  CHECK(lost.deliveries == 0);
  CHECK(lost.missed_deliveries == 1);
}

TEST_CASE("Tally counts kinds from many threads, most frequent first", "[bench][stats]") {
  Tally tally;
  {
    std::vector<std::jthread> threads;
    threads.reserve(4);
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 1000; ++i) tally.Add("UNAVAILABLE");
        tally.Add("RESOURCE_EXHAUSTED RATE_LIMITED", 3);
      });
    }
  }
  tally.Add("INTERNAL");
  tally.Add("CANCELLED");
  CHECK(tally.Total() == 4000 + 12 + 2);
  using Entry = std::pair<std::string, int64_t>;
  CHECK(tally.Sorted() == std::vector<Entry>{{"UNAVAILABLE", 4000},
                                             {"RESOURCE_EXHAUSTED RATE_LIMITED", 12},
                                             {"CANCELLED", 1},
                                             {"INTERNAL", 1}});
  CHECK(Tally().Sorted().empty());
}
