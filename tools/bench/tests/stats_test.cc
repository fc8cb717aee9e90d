#include <catch2/catch.hpp>

#include <vector>

#include "tools/bench/stats.h"

using plaza::bench::Median;
using plaza::bench::MedianOfRuns;
using plaza::bench::Percentile;
using plaza::bench::Summarize;
using plaza::bench::Summary;

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
