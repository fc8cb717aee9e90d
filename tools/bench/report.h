#pragma once

// How plaza-bench prints a scenario's results: an aligned table for people, or one JSON object
// for scripts (--json). Pure, unit-tested in tests/report_test.cc.
//
// JSON shape (numbers are JSON numbers; rates per second, latencies in milliseconds):
//   {"scenario": "auth", "parameters": {"runs": 3, ...},
//    "operations": [{"name": "echo", "per_second": 1.5, "p50_ms": 0.2, "p99_ms": 0.9,
//                    "errors": 0}, ...],
//    "ratios": {"authenticated_echo/echo": 0.6}}
// followed, only when the report has any, by
//    "figures": {"rss_per_stream_kib": 14.2, ...}, "counts": {"gateway UNAVAILABLE": 3, ...},
//    "notes": ["...", ...]
// (a figure or ratio that is not a number, e.g. unmeasured, is null).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tools/bench/stats.h"

namespace plaza::bench {

struct Report {
  std::string scenario;
  // What was asked for, in order, e.g. {"runs", 3}, {"seconds", 5}.
  std::vector<std::pair<std::string, int64_t>> parameters;
  // One row per measured operation, in order.
  std::vector<std::pair<std::string, Summary>> operations;
  // Derived figures, e.g. {"authenticated_echo/echo", 0.6}.
  std::vector<std::pair<std::string, double>> ratios;
  // Other measured values, unit in the name, e.g. {"rss_per_stream_kib", 14.2}.
  std::vector<std::pair<std::string, double>> figures;
  // Things counted, e.g. failures by kind: {"gateway RESOURCE_EXHAUSTED RATE_LIMITED", 12}.
  std::vector<std::pair<std::string, int64_t>> counts;
  // Free text for the reader, e.g. why a figure is missing or whether a target was met.
  std::vector<std::string> notes;
};

// A header line with the scenario and its parameters, one aligned line per operation (rate,
// p50, p99, errors), then one line per ratio, figure ("name: value", 3 decimals, "n/a" if not a
// number), count ("name: N") and note ("note: text"); every line ends in '\n'. Without
// operations there is no column header either.
std::string RenderTable(const Report& report);

// The report as one JSON object (shape above) and a final '\n'. Names are escaped, so any text
// is safe.
std::string RenderJson(const Report& report);

}  // namespace plaza::bench
