#include "tools/healthcheck/health_check.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>

#include <condition_variable>
#include <mutex>
#include <vector>

namespace plaza::healthcheck {

using google::protobuf::internal::WireFormatLite;

std::string StatusName(int status) {
  switch (status) {
    case 0: return "UNKNOWN";
    case 1: return "SERVING";
    case 2: return "NOT_SERVING";
    case 3: return "SERVICE_UNKNOWN";
    default: return "STATUS_" + std::to_string(status);
  }
}

std::string EncodeRequest(std::string_view service) {
  std::string out;
  if (service.empty()) return out;  // proto3 leaves default values out
  out += static_cast<char>(0x0a);   // field 1, length-delimited
  for (size_t size = service.size();; size >>= 7) {
    if (size < 0x80) {
      out += static_cast<char>(size);
      break;
    }
    out += static_cast<char>((size & 0x7f) | 0x80);
  }
  out.append(service);
  return out;
}

std::optional<int> DecodeStatus(std::string_view bytes) {
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const uint8_t*>(bytes.data()),
                                               static_cast<int>(bytes.size()));
  int status = 0;
  while (true) {
    uint32_t tag = input.ReadTag();
    if (tag == 0) break;
    if (WireFormatLite::GetTagFieldNumber(tag) == 1 &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_VARINT) {
      uint32_t value = 0;
      if (!input.ReadVarint32(&value)) return std::nullopt;
      status = static_cast<int>(value);
    } else if (!WireFormatLite::SkipField(&input, tag)) {
      return std::nullopt;
    }
  }
  // ReadTag() also returns 0 on a malformed varint; only a clean end of input is a message.
  if (!input.ConsumedEntireMessage() || input.CurrentPosition() != static_cast<int>(bytes.size())) {
    return std::nullopt;
  }
  return status;
}

Result Check(const std::string& target, const std::string& service,
             std::chrono::milliseconds timeout) {
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  // Wait for the connection within the deadline instead of failing at once while it comes up.
  context.set_wait_for_ready(true);

  std::string request_bytes = EncodeRequest(service);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;

  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                 &response, [&](grpc::Status s) {
                   std::lock_guard lock(mutex);
                   status = std::move(s);
                   done = true;
                   done_cv.notify_one();
                 });
  {
    std::unique_lock lock(mutex);
    done_cv.wait(lock, [&] { return done; });
  }

  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      return {false, "SERVICE_UNKNOWN: no health status for '" + service + "'"};
    }
    std::string why = status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
                          ? "no answer within " + std::to_string(timeout.count()) + " ms"
                          : status.error_message();
    return {false, "unreachable (gRPC code " + std::to_string(status.error_code()) + "): " + why};
  }
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return {false, "unreadable response"};
  std::string bytes;
  for (const auto& part : slices) {
    bytes.append(reinterpret_cast<const char*>(part.begin()), part.size());
  }
  auto serving = DecodeStatus(bytes);
  if (!serving) return {false, "malformed HealthCheckResponse"};
  return {*serving == static_cast<int>(ServingStatus::kServing), StatusName(*serving)};
}

}  // namespace plaza::healthcheck
