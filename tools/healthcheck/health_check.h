#pragma once

// What plaza-healthcheck does: one grpc.health.v1.Health/Check call with a short deadline.
// The request and response are encoded by hand (two tiny messages), so the tool needs neither
// health.proto nor reflection, and it links nothing but gRPC and protobuf's wire reader.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace plaza::healthcheck {

// grpc.health.v1.HealthCheckResponse.ServingStatus.
enum class ServingStatus { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };

// "SERVING", "NOT_SERVING", ...; "STATUS_<n>" for values this tool does not know.
std::string StatusName(int status);

// HealthCheckRequest{service} in protobuf wire format.
std::string EncodeRequest(std::string_view service);

// The `status` field of a HealthCheckResponse (0 when absent, as proto3 encodes UNKNOWN);
// nullopt if `bytes` is not a well-formed message.
std::optional<int> DecodeStatus(std::string_view bytes);

struct Result {
  bool serving = false;
  std::string detail;  // "SERVING", "NOT_SERVING", or why the call failed
};

// Calls Health/Check for `service` ("" = the whole server) at `target` (host:port, plaintext)
// and waits at most `timeout`, connecting included.
Result Check(const std::string& target, const std::string& service,
             std::chrono::milliseconds timeout);

}  // namespace plaza::healthcheck
