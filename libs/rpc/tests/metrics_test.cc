#include <catch2/catch.hpp>

#include "plaza/rpc/metrics.h"

using plaza::rpc::Metrics;

TEST_CASE("Metrics render counters and cumulative histograms", "[rpc][metrics]") {
  Metrics metrics;
  metrics.Declare("calls_total", Metrics::Kind::kCounter, "Calls.");
  metrics.Declare("latency_seconds", Metrics::Kind::kHistogram, "Latency.");
  auto labels = Metrics::Labels({{"method", "/a.B/C"}, {"code", "OK"}});
  metrics.Add("calls_total", labels);
  metrics.Add("calls_total", labels, 2);
  metrics.Observe("latency_seconds", Metrics::Labels({{"method", "m"}}), 0.003);
  metrics.Observe("latency_seconds", Metrics::Labels({{"method", "m"}}), 20);
  metrics.Add("undeclared_total", "");

  CHECK(metrics.Value("calls_total", labels) == 3);
  auto text = metrics.Render();
  CHECK_THAT(text, Catch::Contains("# TYPE calls_total counter"));
  CHECK_THAT(text, Catch::Contains("calls_total{method=\"/a.B/C\",code=\"OK\"} 3"));
  CHECK_THAT(text, Catch::Contains("latency_seconds_bucket{method=\"m\",le=\"0.0025\"} 0"));
  CHECK_THAT(text, Catch::Contains("latency_seconds_bucket{method=\"m\",le=\"0.005\"} 1"));
  CHECK_THAT(text, Catch::Contains("latency_seconds_bucket{method=\"m\",le=\"+Inf\"} 2"));
  CHECK_THAT(text, Catch::Contains("latency_seconds_count{method=\"m\"} 2"));
  CHECK_THAT(text, !Catch::Contains("undeclared_total"));
}

TEST_CASE("Metric labels are escaped", "[rpc][metrics]") {
  CHECK(Metrics::Labels({{"v", "a\"b\\c\nd"}}) == "v=\"a\\\"b\\\\c\\nd\"");
}
