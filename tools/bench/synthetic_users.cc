#include "tools/bench/synthetic_users.h"

#include <spdlog/fmt/fmt.h>

#include <random>

#include "plaza/core/status.h"
#include "plaza/rpc/call.h"
#include "tools/bench/client.h"

namespace plaza::bench {
namespace {

namespace v1 = identity::v1;

constexpr const char* kLatestCode =
    "SELECT code FROM identity.dev_sms_outbox WHERE phone = $1 ORDER BY id DESC LIMIT 1";

// Random enough that runs never reuse a number or an address in practice, and cheap per thread.
uint64_t RandomBits() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator();
}

// Identity sees each synthetic user at its own address (see the header).
void PrepareCall(grpc::ClientContext& context, const std::string& client_ip) {
  SetCallDeadline(context);
  context.AddMetadata(std::string(rpc::kClientIpKey), client_ip);
}

}  // namespace

SyntheticUsers::SyntheticUsers(std::shared_ptr<grpc::Channel> identity, pg::Pool& outbox)
    : stub_(v1::IdentityService::NewStub(std::move(identity))), outbox_(outbox) {}

absl::StatusOr<std::string> SyntheticUsers::LatestCode(const std::string& phone) {
  return outbox_.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::string> {
    pqxx::result rows = tx.exec_params(kLatestCode, phone);
    if (rows.empty()) {
      return NotFound("CODE_NOT_IN_OUTBOX",
                      "identity wrote no code to identity.dev_sms_outbox: is it in dev_mode, and "
                      "is --pg-url its database?");
    }
    return rows[0][0].as<std::string>();
  });
}

absl::StatusOr<SyntheticUser> SyntheticUsers::SignUp() {
  uint64_t bits = RandomBits();
  std::string phone = fmt::format("+86138{:08}", bits % 100'000'000);
  bits /= 100'000'000;
  std::string client_ip =
      fmt::format("198.{}.{}.{}", 18 + bits % 2, bits / 2 % 256, bits / 512 % 256);

  {
    grpc::ClientContext context;
    PrepareCall(context, client_ip);
    v1::RequestCodeRequest request;
    request.set_phone(phone);
    v1::RequestCodeResponse response;
    PLAZA_RETURN_IF_ERROR(FromGrpc(stub_->RequestCode(&context, request, &response), context));
  }
  PLAZA_ASSIGN_OR_RETURN(std::string code, LatestCode(phone));

  v1::Device device;
  device.set_device_id("bench-" + phone.substr(1));
  device.set_name("plaza-bench");
  device.set_platform(v1::PLATFORM_CLI);
  {
    grpc::ClientContext context;
    PrepareCall(context, client_ip);
    v1::RegisterRequest request;
    request.set_phone(phone);
    request.set_code(code);
    request.set_display_name("bench user");
    *request.mutable_device() = device;
    v1::RegisterResponse response;
    absl::Status status = FromGrpc(stub_->Register(&context, request, &response), context);
    if (status.ok()) {
      return SyntheticUser{response.profile().user_id(), response.tokens().access_token()};
    }
    if (ReasonOf(status) != "PHONE_TAKEN") return status;
  }
  // The number was registered by an earlier run; a refused Register leaves the code unspent.
  grpc::ClientContext context;
  PrepareCall(context, client_ip);
  v1::LoginRequest request;
  request.set_phone(phone);
  request.set_code(code);
  *request.mutable_device() = device;
  v1::LoginResponse response;
  PLAZA_RETURN_IF_ERROR(FromGrpc(stub_->Login(&context, request, &response), context));
  return SyntheticUser{response.profile().user_id(), response.tokens().access_token()};
}

absl::Status MakeFriends(v1::IdentityService::Stub& identity, const SyntheticUser& from,
                         const SyntheticUser& to) {
  int64_t request_id = 0;
  {
    grpc::ClientContext context;
    SetCallDeadline(context);
    context.AddMetadata("authorization", from.authorization());
    v1::SendFriendRequestRequest request;
    request.set_user_id(to.user_id);
    request.set_greeting("plaza-bench");
    v1::SendFriendRequestResponse response;
    PLAZA_RETURN_IF_ERROR(
        FromGrpc(identity.SendFriendRequest(&context, request, &response), context));
    if (response.became_friends()) return absl::OkStatus();
    request_id = response.request().request_id();
  }
  grpc::ClientContext context;
  SetCallDeadline(context);
  context.AddMetadata("authorization", to.authorization());
  v1::AcceptFriendRequestRequest request;
  request.set_request_id(request_id);
  v1::AcceptFriendRequestResponse response;
  return FromGrpc(identity.AcceptFriendRequest(&context, request, &response), context);
}

}  // namespace plaza::bench
