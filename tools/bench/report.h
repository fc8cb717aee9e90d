#pragma once

// How plaza-bench prints a scenario's results: an aligned table for people, or one JSON object
// for scripts (--json). Pure, unit-tested in tests/report_test.cc.
//
// JSON shape (numbers are JSON numbers; rates per second, latencies in milliseconds):
//   {"scenario": "auth", "parameters": {"runs": 3, ...},
//    "operations": [{"name": "echo", "per_second": 1.5, "p50_ms": 0.2, "p99_ms": 0.9,
//                    "errors": 0}, ...],
//    "ratios": {"authenticated_echo/echo": 0.6}}

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
};

// A header line with the scenario and its parameters, one aligned line per operation (rate,
// p50, p99, errors), then one line per ratio; every line ends in '\n'.
std::string RenderTable(const Report& report);

// The report as one JSON object (shape above) and a final '\n'. Names are escaped, so any text
// is safe.
std::string RenderJson(const Report& report);

}  // namespace plaza::bench
