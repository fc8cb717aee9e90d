#include <catch2/catch.hpp>

#include "plaza/core/status.h"

namespace {
absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return plaza::InvalidArgument("ODD_NUMBER", "n must be even");
  return n / 2;
}
absl::Status Quarter(int n, int& out) {
  PLAZA_ASSIGN_OR_RETURN(int half, Half(n));
  PLAZA_ASSIGN_OR_RETURN(out, Half(half));
  return absl::OkStatus();
}
}  // namespace

TEST_CASE("Errors carry a stable reason", "[core][status]") {
  auto status = plaza::NotFound("USER_NOT_FOUND", "no such user");
  CHECK(status.code() == absl::StatusCode::kNotFound);
  CHECK(status.message() == "no such user");
  CHECK(plaza::ReasonOf(status) == "USER_NOT_FOUND");
  CHECK(plaza::ReasonOf(absl::InternalError("x")).empty());
}

TEST_CASE("ASSIGN_OR_RETURN propagates the first error", "[core][status]") {
  int out = 0;
  CHECK(Quarter(8, out).ok());
  CHECK(out == 2);
  auto status = Quarter(6, out);
  CHECK(plaza::ReasonOf(status) == "ODD_NUMBER");
}
