// plaza code | register | login | logout | whoami | profile

#include <google/protobuf/util/time_util.h>
#include <unistd.h>

#include "tools/cli/command.h"
#include "tools/cli/format.h"
#include "tools/cli/ids.h"

namespace plaza::cli {
namespace {

using identity::v1::Device;
using identity::v1::GetMyProfileRequest;
using identity::v1::GetMyProfileResponse;
using identity::v1::LoginRequest;
using identity::v1::LoginResponse;
using identity::v1::LogoutRequest;
using identity::v1::LogoutResponse;
using identity::v1::Profile;
using identity::v1::RegisterRequest;
using identity::v1::RegisterResponse;
using identity::v1::RequestCodeRequest;
using identity::v1::RequestCodeResponse;
using identity::v1::SetPlazaIdRequest;
using identity::v1::SetPlazaIdResponse;
using identity::v1::UpdateProfileRequest;
using identity::v1::UpdateProfileResponse;

Device ThisDevice(const std::string& device_id) {
  Device device;
  device.set_device_id(device_id);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  device.set_name(DeviceName(host));
  device.set_platform(identity::v1::PLATFORM_CLI);
  return device;
}

// What a login prints for scripts: the account and the session, never the tokens (they stay in
// the config file, readable by its owner only).
std::string LoginJson(const Profile& profile, const identity::v1::SessionTokens& tokens,
                      const std::string& device_id) {
  return JsonObject()
      .AddJson("profile", ProtoJson(profile))
      .Add("device_id", device_id)
      .Add("session_id", std::to_string(tokens.session_id()))
      .Add("access_token_expire_time",
           google::protobuf::util::TimeUtil::ToString(tokens.access_token_expire_time()))
      .str();
}

std::string LoginText(const Profile& profile, const std::string& device_id) {
  return "Logged in as " + ProfileName(profile) + ", user " + std::to_string(profile.user_id()) +
         ", on device " + device_id + ".\n";
}

absl::StatusOr<GetMyProfileResponse> GetMyProfile(Session& session) {
  return session.Call<GetMyProfileResponse>(
      [&](grpc::ClientContext* context, GetMyProfileResponse* out) {
        return session.identity().GetMyProfile(context, GetMyProfileRequest(), out);
      });
}

}  // namespace

absl::Status RunCode(CommandContext& context) {
  RequestCodeRequest request;
  request.set_phone(context.arg(0));
  Session& session = context.session();
  PLAZA_ASSIGN_OR_RETURN(
      auto response,
      session.CallPublic<RequestCodeResponse>([&](grpc::ClientContext* call, auto* out) {
        return session.identity().RequestCode(call, request, out);
      }));
  context.Emit(ProtoJson(response), [&] {
    return "A code was sent to " + request.phone() + "; it works for " +
           std::to_string(response.expires_in_seconds()) + " s. Use it with `plaza register` or " +
           "`plaza login --code`.\n";
  });
  return absl::OkStatus();
}

absl::Status RunRegister(CommandContext& context) {
  auto name = context.invocation().Flag("name");
  if (!name) return UsageError("plaza register needs --name NAME: how others see you");
  Session& session = context.session();
  RegisterRequest request;
  request.set_phone(context.arg(0));
  request.set_code(context.arg(1));
  request.set_display_name(*name);
  if (auto password = context.invocation().Flag("password")) {
    PLAZA_ASSIGN_OR_RETURN(*request.mutable_password(), ValueOrStdin(*password));
  }
  PLAZA_ASSIGN_OR_RETURN(std::string device_id, session.DeviceId());
  *request.mutable_device() = ThisDevice(device_id);
  PLAZA_ASSIGN_OR_RETURN(
      auto response,
      session.CallPublic<RegisterResponse>([&](grpc::ClientContext* call, auto* out) {
        return session.identity().Register(call, request, out);
      }));
  PLAZA_RETURN_IF_ERROR(session.SaveLogin(response.profile().user_id(), response.tokens()));
  context.Emit(LoginJson(response.profile(), response.tokens(), device_id), [&] {
    return "Welcome to Plaza! " + LoginText(response.profile(), device_id) +
           "Set a Plaza ID so friends can find you: plaza profile --plaza-id NAME\n";
  });
  return absl::OkStatus();
}

absl::Status RunLogin(CommandContext& context) {
  const Invocation& invocation = context.invocation();
  auto code = invocation.Flag("code");
  auto password = invocation.Flag("password");
  if (code.has_value() == password.has_value()) {
    return UsageError("plaza login needs exactly one of --code C and --password P");
  }
  Session& session = context.session();
  LoginRequest request;
  request.set_phone(context.arg(0));
  if (code) request.set_code(*code);
  if (password) {
    PLAZA_ASSIGN_OR_RETURN(*request.mutable_password(), ValueOrStdin(*password));
  }
  PLAZA_ASSIGN_OR_RETURN(std::string device_id, session.DeviceId());
  *request.mutable_device() = ThisDevice(device_id);
  PLAZA_ASSIGN_OR_RETURN(
      auto response, session.CallPublic<LoginResponse>([&](grpc::ClientContext* call, auto* out) {
        return session.identity().Login(call, request, out);
      }));
  PLAZA_RETURN_IF_ERROR(session.SaveLogin(response.profile().user_id(), response.tokens()));
  context.Emit(LoginJson(response.profile(), response.tokens(), device_id),
               [&] { return LoginText(response.profile(), device_id); });
  return absl::OkStatus();
}

absl::Status RunLogout(CommandContext& context) {
  Session& session = context.session();
  int64_t session_id = session.config().session_id();
  bool had_tokens = !session.config().refresh_token().empty();
  absl::Status ended = absl::OkStatus();
  if (had_tokens) {
    ended = session
                .Call<LogoutResponse>([&](grpc::ClientContext* call, LogoutResponse* out) {
                  return session.identity().Logout(call, LogoutRequest(), out);
                })
                .status();
  }
  // A session the server already ended is as logged out as it gets; forget it here too.
  if (!ended.ok() && ended.code() != absl::StatusCode::kUnauthenticated) return ended;
  PLAZA_RETURN_IF_ERROR(session
                            .UpdateConfig([](CliConfig& config) {
                              config.clear_session_id();
                              config.clear_access_token();
                              config.clear_access_token_expire_time();
                              config.clear_refresh_token();
                              return absl::OkStatus();
                            })
                            .status());
  context.Emit(JsonObject()
                   .AddBool("logged_out", had_tokens)
                   .Add("session_id", std::to_string(session_id))
                   .str(),
               [&]() -> std::string {
                 if (!had_tokens) return "Not logged in.\n";
                 return ended.ok() ? "Logged out.\n"
                                   : "Logged out (the session had already ended).\n";
               });
  return absl::OkStatus();
}

absl::Status RunWhoami(CommandContext& context) {
  Session& session = context.session();
  PLAZA_ASSIGN_OR_RETURN(auto account, GetMyProfile(session));
  CliConfig config = session.config();
  std::string expires =
      google::protobuf::util::TimeUtil::ToString(config.access_token_expire_time());
  context.Emit(JsonObject()
                   .Add("server", session.server())
                   .Add("config", context.config_path())
                   .Add("device_id", config.device_id())
                   .Add("user_id", std::to_string(config.user_id()))
                   .Add("session_id", std::to_string(config.session_id()))
                   .Add("access_token_expire_time", expires)
                   .AddJson("account", ProtoJson(account))
                   .str(),
               [&] {
                 int64_t expires_at = google::protobuf::util::TimeUtil::TimestampToSeconds(
                     config.access_token_expire_time());
                 return "Logged in as " + ProfileName(account.profile()) + ", user " +
                        std::to_string(account.profile().user_id()) + "\n" +
                        RenderFields({{"server", session.server()},
                                      {"config", context.config_path()},
                                      {"device", config.device_id()},
                                      {"session", std::to_string(config.session_id())},
                                      {"token expires", FormatTime(expires_at, NowUnixSeconds())}});
               });
  return absl::OkStatus();
}

absl::Status RunProfile(CommandContext& context) {
  const Invocation& invocation = context.invocation();
  Session& session = context.session();
  UpdateProfileRequest update;
  if (auto name = invocation.Flag("name")) update.set_display_name(*name);
  if (auto region = invocation.Flag("region")) update.set_region(*region);
  if (auto signature = invocation.Flag("signature")) update.set_signature(*signature);
  if (update.has_display_name() || update.has_region() || update.has_signature()) {
    PLAZA_RETURN_IF_ERROR(session
                              .Call<UpdateProfileResponse>(
                                  [&](grpc::ClientContext* call, UpdateProfileResponse* out) {
                                    return session.identity().UpdateProfile(call, update, out);
                                  })
                              .status());
  }
  if (auto plaza_id = invocation.Flag("plaza-id")) {
    SetPlazaIdRequest request;
    request.set_plaza_id(*plaza_id);
    PLAZA_RETURN_IF_ERROR(
        session
            .Call<SetPlazaIdResponse>([&](grpc::ClientContext* call, SetPlazaIdResponse* out) {
              return session.identity().SetPlazaId(call, request, out);
            })
            .status());
  }
  PLAZA_ASSIGN_OR_RETURN(auto account, GetMyProfile(session));
  context.Emit(ProtoJson(account), [&] { return RenderMyProfile(account); });
  return absl::OkStatus();
}

}  // namespace plaza::cli
