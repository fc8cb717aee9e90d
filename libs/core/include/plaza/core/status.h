#pragma once

// Errors inside Plaza are absl::Status values whose codes are gRPC's codes. Every error a client
// can see also carries a stable machine-readable reason (e.g. "INVALID_PHONE"), which the RPC
// layer sends as the `x-plaza-reason` trailing metadata.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace plaza {

// Builds a status with `code`, a short human `message` and a stable `reason`.
absl::Status Error(absl::StatusCode code, std::string_view reason, std::string_view message);

// The reason attached by Error(), or "" when the status has none.
std::string ReasonOf(const absl::Status& status);

inline absl::Status InvalidArgument(std::string_view reason, std::string_view message) {
  return Error(absl::StatusCode::kInvalidArgument, reason, message);
}
inline absl::Status Unauthenticated(std::string_view reason, std::string_view message) {
  return Error(absl::StatusCode::kUnauthenticated, reason, message);
}
inline absl::Status PermissionDenied(std::string_view reason, std::string_view message) {
  return Error(absl::StatusCode::kPermissionDenied, reason, message);
}
inline absl::Status NotFound(std::string_view reason, std::string_view message) {
  return Error(absl::StatusCode::kNotFound, reason, message);
}
inline absl::Status AlreadyExists(std::string_view reason, std::string_view message) {
  return Error(absl::StatusCode::kAlreadyExists, reason, message);
}
inline absl::Status FailedPrecondition(std::string_view reason, std::string_view message) {
  return Error(absl::StatusCode::kFailedPrecondition, reason, message);
}
inline absl::Status ResourceExhausted(std::string_view reason, std::string_view message) {
  return Error(absl::StatusCode::kResourceExhausted, reason, message);
}
inline absl::Status Unavailable(std::string_view reason, std::string_view message) {
  return Error(absl::StatusCode::kUnavailable, reason, message);
}
inline absl::Status Internal(std::string_view reason, std::string_view message) {
  return Error(absl::StatusCode::kInternal, reason, message);
}

}  // namespace plaza

// Evaluates `expr` (an absl::Status); returns it from the enclosing function if it is not OK.
#define PLAZA_RETURN_IF_ERROR(expr)                 \
  do {                                              \
    if (absl::Status plaza_status_ = (expr); !plaza_status_.ok()) return plaza_status_; \
  } while (0)

#define PLAZA_CONCAT_INNER_(a, b) a##b
#define PLAZA_CONCAT_(a, b) PLAZA_CONCAT_INNER_(a, b)
#define PLAZA_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(*tmp)

// `PLAZA_ASSIGN_OR_RETURN(auto x, StatusOrExpr());` unwraps or returns the error.
#define PLAZA_ASSIGN_OR_RETURN(lhs, expr) \
  PLAZA_ASSIGN_OR_RETURN_IMPL_(PLAZA_CONCAT_(plaza_statusor_, __LINE__), lhs, expr)
