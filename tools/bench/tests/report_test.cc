#include "tools/bench/report.h"

#include <catch2/catch.hpp>
#include <limits>
#include <string>

using plaza::bench::RenderJson;
using plaza::bench::RenderTable;
using plaza::bench::Report;

namespace {

Report Sample() {
  return {
      .scenario = "auth",
      .parameters = {{"runs", 3}, {"seconds", 5}},
      .operations = {{"echo", {.per_second = 12345.67, .p50_ms = 0.5, .p99_ms = 2.25, .errors = 0}},
                     {"authenticated_echo",
                      {.per_second = 6000, .p50_ms = 1.25, .p99_ms = 4, .errors = 2}}},
      .ratios = {{"authenticated_echo/echo", 0.486}},
  };
}

}  // namespace

TEST_CASE("RenderTable prints parameters, one aligned row per operation and the ratios",
          "[bench][report]") {
  CHECK(RenderTable(Sample()) ==
        "auth: runs=3 seconds=5 (medians of the runs; errors are totals)\n"
        "operation           per second     p50 ms     p99 ms   errors\n"
        "echo                   12345.7      0.500      2.250        0\n"
        "authenticated_echo      6000.0      1.250      4.000        2\n"
        "authenticated_echo/echo: 0.486\n");
}

TEST_CASE("RenderJson prints one object with numbers as numbers", "[bench][report]") {
  CHECK(RenderJson(Sample()) ==
        "{\"scenario\": \"auth\", \"parameters\": {\"runs\": 3, \"seconds\": 5}, "
        "\"operations\": [{\"name\": \"echo\", \"per_second\": 12345.7, \"p50_ms\": 0.5, "
        "\"p99_ms\": 2.25, \"errors\": 0}, {\"name\": \"authenticated_echo\", \"per_second\": "
        "6000, \"p50_ms\": 1.25, \"p99_ms\": 4, \"errors\": 2}], "
        "\"ratios\": {\"authenticated_echo/echo\": 0.486}}\n");
}

TEST_CASE("RenderJson escapes names and writes a ratio that is not a number as null",
          "[bench][report]") {
  Report report{.scenario = "a\"b\\c\n",
                .ratios = {{"x/y", std::numeric_limits<double>::quiet_NaN()}}};
  CHECK(RenderJson(report) ==
        "{\"scenario\": \"a\\\"b\\\\c\\u000a\", \"parameters\": {}, \"operations\": [], "
        "\"ratios\": {\"x/y\": null}}\n");
}

TEST_CASE("Figures, counts and notes follow the ratios, in the table and in JSON",
          "[bench][report]") {
  Report report = Sample();
  report.figures = {{"rss_per_stream_kib", 14.25},
                    {"fanout_max_ms", std::numeric_limits<double>::quiet_NaN()}};
  report.counts = {{"gateway UNAVAILABLE", 3}};
  report.notes = {"target met", "say \"why\""};
  CHECK(RenderTable(report) ==
        "auth: runs=3 seconds=5 (medians of the runs; errors are totals)\n"
        "operation           per second     p50 ms     p99 ms   errors\n"
        "echo                   12345.7      0.500      2.250        0\n"
        "authenticated_echo      6000.0      1.250      4.000        2\n"
        "authenticated_echo/echo: 0.486\n"
        "rss_per_stream_kib: 14.250\n"
        "fanout_max_ms: n/a\n"
        "gateway UNAVAILABLE: 3\n"
        "note: target met\n"
        "note: say \"why\"\n");
  std::string json = RenderJson(report);
  CHECK(
      json.ends_with("\"ratios\": {\"authenticated_echo/echo\": 0.486}, "
                     "\"figures\": {\"rss_per_stream_kib\": 14.25, \"fanout_max_ms\": null}, "
                     "\"counts\": {\"gateway UNAVAILABLE\": 3}, "
                     "\"notes\": [\"target met\", \"say \\\"why\\\"\"]}\n"));
}

TEST_CASE("RenderTable without operations prints no column header", "[bench][report]") {
  Report report{.scenario = "connect", .figures = {{"open_seconds", 2.5}}};
  CHECK(RenderTable(report) ==
        "connect: (medians of the runs; errors are totals)\n"
        "open_seconds: 2.500\n");
}
