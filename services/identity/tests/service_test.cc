// Identity end to end inside one process: the real service, store, interceptors and gRPC server,
// against a fresh PostgreSQL database and a real Redis. Time is a FakeClock shared by the
// service, the store and the token verifier, so expiry is tested without sleeping.

#include <grpcpp/generic/generic_stub.h>

#include <catch2/catch.hpp>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "plaza/auth/token.h"
#include "plaza/core/ids.h"
#include "plaza/events/announcements.h"
#include "plaza/pg/migrate.h"
#include "plaza/redis/subscriber.h"
#include "plaza/rpc/server.h"
#include "plaza/testing/testing.h"
#include "push_probe.h"
#include "services/identity/identity_service.h"
#include "services/identity/migrations.h"
#include "services/identity/phone.h"
#include "services/identity/revocation_mirror.h"

namespace v1 = plaza::identity::v1;
using plaza::identity::IdentityOptions;
using plaza::identity::IdentityService;
using plaza::identity::IdentityStore;
using plaza::identity::InternalService;

namespace {

std::mt19937_64& Random() {
  static std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

// A valid, random mainland China mobile number, so runs sharing a Redis never share limits.
std::string RandomPhone() {
  std::string phone = "+86138";
  for (int i = 0; i < 8; ++i) phone += static_cast<char>('0' + Random()() % 10);
  return phone;
}

std::string RandomIp() {
  return "10." + std::to_string(Random()() % 256) + "." + std::to_string(Random()() % 256) + "." +
         std::to_string(Random()() % 256);
}

// Identity wired the way main() wires it, with test-sized knobs.
struct Identity {
  // Starts at the real time with a random node id so ids, and the revocation keys in the shared
  // Redis, never repeat across tests and runs.
  plaza::core::FakeClock clock{plaza::core::SystemClock::Instance().Now()};
  plaza::testing::TestDatabase db;
  plaza::pg::Pool pg{{.url = db.url(), .max_connections = 8}};
  std::string redis_url;
  plaza::redis::Pool redis;
  plaza::core::IdGenerator ids{static_cast<int64_t>(Random()() % 1024), clock};
  IdentityStore store{pg, ids, clock};
  plaza::auth::KeyPair keys = plaza::auth::GenerateKeyPair("test-key");
  plaza::auth::Signer signer = *plaza::auth::Signer::Create(keys.signing_key);
  plaza::auth::Verifier verifier = *plaza::auth::Verifier::Create(keys.public_key, clock);
  plaza::rpc::SessionRevocations revocations{redis, std::chrono::seconds(960)};
  plaza::redis::RateLimiter limiter{redis};
  plaza::identity::DevSmsSender sms{store};
  plaza::events::Publisher publisher{redis};
  plaza::events::EventSender events{publisher, ids, clock};
  plaza::identity::Notifier notifier{events, redis};
  IdentityService service{{store, signer, verifier, revocations, limiter, sms, notifier, clock},
                          Options()};
  InternalService internal{store};
  plaza::rpc::Server server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::IdentityService::Stub> stub;
  std::unique_ptr<v1::InternalService::Stub> internal_stub;

  // Clients name their IP through the gateway's header unless `behind_gateway` is false.
  explicit Identity(std::string url = plaza::testing::TestRedisUrl(), bool behind_gateway = true)
      : redis_url(std::move(url)),
        redis({.url = redis_url,
               .connect_timeout = std::chrono::milliseconds(300),
               .command_timeout = std::chrono::milliseconds(300)}),
        server({.service_name = "identity",
                .host = "127.0.0.1",
                .metrics_port = -1,
                .trust_client_ip_header = behind_gateway},
               &verifier, &revocations) {
    REQUIRE(plaza::pg::Migrate(pg, "identity", plaza::identity::Migrations()).ok());
    server.Register(&service);
    server.Register(&internal);
    REQUIRE(server.Start().ok());
    server.SetServing(true);
    channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server.grpc_port()),
                                  grpc::InsecureChannelCredentials());
    stub = v1::IdentityService::NewStub(channel);
    internal_stub = v1::InternalService::NewStub(channel);
  }

  static IdentityOptions Options() {
    IdentityOptions options;
    options.password_strength = plaza::auth::HashStrength::kFastForTests;
    return options;
  }

  // The newest code the development SMS sender "sent" to `phone`.
  std::string LatestCode(const std::string& phone) {
    auto code = pg.Transact([&](pqxx::work& tx) -> absl::StatusOr<std::string> {
      auto rows = tx.exec_params(
          "SELECT code FROM identity.dev_sms_outbox WHERE phone = $1 ORDER BY id DESC LIMIT 1",
          phone);
      if (rows.empty()) return plaza::NotFound("NO_CODE", "no code sent");
      return rows[0][0].as<std::string>();
    });
    REQUIRE(code.ok());
    return *code;
  }
};

// One user's client: their phone, the IP their requests come from, their device and tokens.
struct Client {
  std::string phone = RandomPhone();
  std::string ip = RandomIp();
  v1::Device device;
  v1::SessionTokens tokens;
  int64_t user_id = 0;

  explicit Client(std::string device_id = "device-" + std::to_string(Random()() % 1000000)) {
    device.set_device_id(device_id);
    device.set_name("test phone");
    device.set_platform(v1::PLATFORM_ANDROID);
  }
};

// The outcome of one call: status and the x-plaza-reason trailer.
struct Outcome {
  grpc::StatusCode code;
  std::string reason;
  bool ok() const { return code == grpc::StatusCode::OK; }
};

template <typename Request, typename Response>
using Method = grpc::Status (v1::IdentityService::Stub::*)(grpc::ClientContext*, const Request&,
                                                           Response*);

// Calls `method` as `client` (their IP, and their access token if they have one).
template <typename Request, typename Response>
Outcome Call(Identity& identity, Method<Request, Response> method, const Client* client,
             const Request& request, Response* response) {
  grpc::ClientContext context;
  if (client != nullptr) {
    context.AddMetadata("x-plaza-client-ip", client->ip);
    if (!client->tokens.access_token().empty()) {
      context.AddMetadata("authorization", "Bearer " + client->tokens.access_token());
    }
  }
  grpc::Status status = ((*identity.stub).*method)(&context, request, response);
  Outcome outcome{status.error_code(), ""};
  const auto& trailers = context.GetServerTrailingMetadata();
  if (auto it = trailers.find("x-plaza-reason"); it != trailers.end()) {
    outcome.reason.assign(it->second.data(), it->second.size());
  }
  if (status.error_code() == grpc::StatusCode::INTERNAL) FAIL("INTERNAL from identity");
  return outcome;
}

template <typename Request, typename Response>
Response Ok(Identity& identity, Method<Request, Response> method, const Client* client,
            const Request& request) {
  Response response;
  auto outcome = Call(identity, method, client, request, &response);
  INFO("reason: " << outcome.reason);
  REQUIRE(outcome.ok());
  return response;
}

template <typename Request, typename Response>
std::string Refused(Identity& identity, Method<Request, Response> method, const Client* client,
                    const Request& request, grpc::StatusCode expected) {
  Response response;
  auto outcome = Call(identity, method, client, request, &response);
  CHECK(outcome.code == expected);
  return outcome.reason;
}

#define STUB(name) &v1::IdentityService::Stub::name

std::string RequestCode(Identity& identity, Client& client) {
  v1::RequestCodeRequest request;
  request.set_phone(client.phone);
  auto response = Ok(identity, STUB(RequestCode), &client, request);
  CHECK(response.expires_in_seconds() == 300);
  return identity.LatestCode(*plaza::identity::NormalizePhone(client.phone));
}

void Register(Identity& identity, Client& client, const std::string& name = "Mei") {
  v1::RegisterRequest request;
  request.set_phone(client.phone);
  request.set_code(RequestCode(identity, client));
  request.set_display_name(name);
  *request.mutable_device() = client.device;
  auto response = Ok(identity, STUB(Register), &client, request);
  client.tokens = response.tokens();
  client.user_id = response.profile().user_id();
}

constexpr const char* kPassword = "a long password";

// Gives `owner` a password (once) and logs them in with it from another device.
Client LogInElsewhere(Identity& identity, Client& owner, const std::string& device_id) {
  auto me = Ok(identity, STUB(GetMyProfile), &owner, v1::GetMyProfileRequest());
  if (!me.has_password()) {
    v1::SetPasswordRequest set;
    set.set_new_password(kPassword);
    Ok(identity, STUB(SetPassword), &owner, set);
  }
  Client device(device_id);
  device.phone = owner.phone;
  device.ip = owner.ip;
  v1::LoginRequest login;
  login.set_phone(owner.phone);
  login.set_password(kPassword);
  *login.mutable_device() = device.device;
  device.tokens = Ok(identity, STUB(Login), &device, login).tokens();
  device.user_id = owner.user_id;
  return device;
}

void BeFriends(Identity& identity, Client& a, Client& b) {
  v1::SendFriendRequestRequest send;
  send.set_user_id(b.user_id);
  auto sent = Ok(identity, STUB(SendFriendRequest), &a, send);
  if (sent.became_friends()) return;
  v1::AcceptFriendRequestRequest accept;
  accept.set_request_id(sent.request().request_id());
  Ok(identity, STUB(AcceptFriendRequest), &b, accept);
}

}  // namespace

TEST_CASE("Register with a code, then log in with a code or a password", "[identity][db]") {
  Identity identity;
  Client mei;
  v1::RegisterRequest request;
  request.set_phone("+86 138-" + mei.phone.substr(6, 4) + " " + mei.phone.substr(10));
  request.set_code(RequestCode(identity, mei));
  request.set_display_name("美美");
  request.set_password("correct horse battery");
  *request.mutable_device() = mei.device;
  auto registered = Ok(identity, STUB(Register), &mei, request);
  CHECK(registered.profile().display_name() == "美美");
  CHECK_FALSE(registered.tokens().access_token().empty());
  CHECK(registered.tokens().refresh_token().size() >= 43);
  mei.tokens = registered.tokens();

  auto me = Ok(identity, STUB(GetMyProfile), &mei, v1::GetMyProfileRequest());
  CHECK(me.phone() == mei.phone);
  CHECK(me.has_password());
  CHECK(me.privacy().findable_by_phone());

  SECTION("the same code does not work twice") {
    CHECK(Refused(identity, STUB(Register), &mei, request, grpc::StatusCode::ALREADY_EXISTS) ==
          "PHONE_TAKEN");
  }
  SECTION("login with a password from another device") {
    Client laptop("laptop-1");
    laptop.phone = mei.phone;
    v1::LoginRequest login;
    login.set_phone(mei.phone);
    login.set_password("correct horse battery");
    *login.mutable_device() = laptop.device;
    auto logged_in = Ok(identity, STUB(Login), &laptop, login);
    CHECK(logged_in.profile().user_id() == registered.profile().user_id());
    laptop.tokens = logged_in.tokens();
    auto sessions = Ok(identity, STUB(ListSessions), &laptop, v1::ListSessionsRequest());
    REQUIRE(sessions.sessions_size() == 2);
    CHECK(sessions.sessions(0).current() != sessions.sessions(1).current());

    login.set_password("wrong password!");
    CHECK(Refused(identity, STUB(Login), &laptop, login, grpc::StatusCode::UNAUTHENTICATED) ==
          "WRONG_PASSWORD");
  }
  SECTION("login with a code needs a code that was sent") {
    v1::LoginRequest login;
    login.set_phone(mei.phone);
    *login.mutable_device() = mei.device;
    login.set_code("000000");
    auto reason =
        Refused(identity, STUB(Login), &mei, login, grpc::StatusCode::FAILED_PRECONDITION);
    CHECK(reason == "CODE_NOT_REQUESTED");
  }
}

TEST_CASE("Codes refuse wrong tries, expiry and a sixth attempt", "[identity][db]") {
  Identity identity;
  Client mei;
  std::string code = RequestCode(identity, mei);
  v1::RegisterRequest request;
  request.set_phone(mei.phone);
  request.set_display_name("Mei");
  *request.mutable_device() = mei.device;

  SECTION("expired after five minutes") {
    identity.clock.Advance(std::chrono::minutes(5));
    request.set_code(code);
    CHECK(Refused(identity, STUB(Register), &mei, request, grpc::StatusCode::FAILED_PRECONDITION) ==
          "CODE_EXPIRED");
  }
  SECTION("five wrong tries kill the code, even for the right one") {
    std::string wrong = code == "111111" ? "222222" : "111111";
    request.set_code(wrong);
    for (int i = 0; i < 5; ++i) {
      CHECK(Refused(identity, STUB(Register), &mei, request,
                    grpc::StatusCode::FAILED_PRECONDITION) == "CODE_INVALID");
    }
    request.set_code(code);
    CHECK(Refused(identity, STUB(Register), &mei, request, grpc::StatusCode::FAILED_PRECONDITION) ==
          "CODE_TOO_MANY_ATTEMPTS");
  }
  SECTION("malformed input changes nothing") {
    request.set_code("12ab56");
    CHECK(Refused(identity, STUB(Register), &mei, request, grpc::StatusCode::INVALID_ARGUMENT) ==
          "CODE_INVALID_FORMAT");
    request.set_code(code);
    request.set_display_name("");
    CHECK(Refused(identity, STUB(Register), &mei, request, grpc::StatusCode::INVALID_ARGUMENT) ==
          "DISPLAY_NAME_INVALID");
    request.set_display_name("Mei");
    request.mutable_device()->set_platform(v1::PLATFORM_UNSPECIFIED);
    CHECK(Refused(identity, STUB(Register), &mei, request, grpc::StatusCode::INVALID_ARGUMENT) ==
          "DEVICE_PLATFORM_INVALID");
    // The code is still good after all those refusals.
    *request.mutable_device() = mei.device;
    Ok(identity, STUB(Register), &mei, request);
  }
}

TEST_CASE("Code requests are rate limited per phone and refuse invalid numbers", "[identity][db]") {
  Identity identity;
  Client mei;
  RequestCode(identity, mei);
  v1::RequestCodeRequest request;
  request.set_phone(mei.phone);
  CHECK(Refused(identity, STUB(RequestCode), &mei, request, grpc::StatusCode::RESOURCE_EXHAUSTED) ==
        "RATE_LIMITED");
  request.set_phone("12345");
  CHECK(Refused(identity, STUB(RequestCode), &mei, request, grpc::StatusCode::INVALID_ARGUMENT) ==
        "INVALID_PHONE");
}

TEST_CASE("Code requests are rate limited per IP", "[identity][db]") {
  Identity identity;
  Client crawler;
  v1::RequestCodeRequest request;
  int refused = 0;
  for (int i = 0; i < 25; ++i) {
    request.set_phone(RandomPhone());
    v1::RequestCodeResponse response;
    auto outcome = Call(identity, STUB(RequestCode), &crawler, request, &response);
    if (outcome.code == grpc::StatusCode::RESOURCE_EXHAUSTED) ++refused;
  }
  CHECK(refused == 5);
}

TEST_CASE("Without a gateway in front, a forged client IP header does not dodge the IP limit",
          "[identity][db]") {
  Identity identity(plaza::testing::TestRedisUrl(), /*behind_gateway=*/false);
  // All of these come from 127.0.0.1, whatever header they carry; other runs may already have
  // used part of this hour's allowance for 127.0.0.1, so only the ceiling is certain.
  v1::RequestCodeRequest request;
  int accepted = 0;
  for (int i = 0; i < 25; ++i) {
    Client liar;
    request.set_phone(liar.phone);
    v1::RequestCodeResponse response;
    if (Call(identity, STUB(RequestCode), &liar, request, &response).ok()) ++accepted;
  }
  CHECK(accepted <= 20);
}

TEST_CASE("Refresh tokens rotate and a reused one ends the session", "[identity][db]") {
  Identity identity;
  Client mei;
  Register(identity, mei);
  std::string first = mei.tokens.refresh_token();

  v1::RefreshSessionRequest refresh;
  refresh.set_refresh_token(first);
  auto rotated = Ok(identity, STUB(RefreshSession), nullptr, refresh);
  CHECK(rotated.tokens().refresh_token() != first);
  CHECK(rotated.tokens().session_id() == mei.tokens.session_id());

  // Someone replays the first token: the whole session family ends, both tokens die.
  CHECK(Refused(identity, STUB(RefreshSession), nullptr, refresh,
                grpc::StatusCode::UNAUTHENTICATED) == "REFRESH_TOKEN_REUSED");
  refresh.set_refresh_token(rotated.tokens().refresh_token());
  CHECK(Refused(identity, STUB(RefreshSession), nullptr, refresh,
                grpc::StatusCode::UNAUTHENTICATED) == "REFRESH_TOKEN_INVALID");
  mei.tokens.set_access_token(rotated.tokens().access_token());
  CHECK(Refused(identity, STUB(GetMyProfile), &mei, v1::GetMyProfileRequest(),
                grpc::StatusCode::UNAUTHENTICATED) == "SESSION_REVOKED");

  refresh.set_refresh_token("never-issued");
  CHECK(Refused(identity, STUB(RefreshSession), nullptr, refresh,
                grpc::StatusCode::UNAUTHENTICATED) == "REFRESH_TOKEN_INVALID");
  refresh.set_refresh_token("");
  CHECK(Refused(identity, STUB(RefreshSession), nullptr, refresh,
                grpc::StatusCode::INVALID_ARGUMENT) == "REFRESH_TOKEN_INVALID");
}

TEST_CASE("Access tokens expire, and forged or missing tokens are refused", "[identity][db]") {
  Identity identity;
  Client mei;
  Register(identity, mei);
  Ok(identity, STUB(GetMyProfile), &mei, v1::GetMyProfileRequest());

  Client anonymous;
  CHECK(Refused(identity, STUB(GetMyProfile), &anonymous, v1::GetMyProfileRequest(),
                grpc::StatusCode::UNAUTHENTICATED) == "TOKEN_MISSING");
  Client forger = mei;
  forger.tokens.set_access_token(mei.tokens.access_token() + "x");
  CHECK(Refused(identity, STUB(GetMyProfile), &forger, v1::GetMyProfileRequest(),
                grpc::StatusCode::UNAUTHENTICATED) != "");
  // A QR payload is signed by the same key but is not an access token.
  auto qr = Ok(identity, STUB(CreateAddFriendQrCode), &mei, v1::CreateAddFriendQrCodeRequest());
  forger.tokens.set_access_token(qr.payload());
  CHECK(Refused(identity, STUB(GetMyProfile), &forger, v1::GetMyProfileRequest(),
                grpc::StatusCode::UNAUTHENTICATED) == "TOKEN_WRONG_KIND");

  identity.clock.Advance(std::chrono::minutes(15));
  CHECK(Refused(identity, STUB(GetMyProfile), &mei, v1::GetMyProfileRequest(),
                grpc::StatusCode::UNAUTHENTICATED) == "TOKEN_EXPIRED");
  v1::RefreshSessionRequest refresh;
  refresh.set_refresh_token(mei.tokens.refresh_token());
  mei.tokens = Ok(identity, STUB(RefreshSession), nullptr, refresh).tokens();
  Ok(identity, STUB(GetMyProfile), &mei, v1::GetMyProfileRequest());
}

TEST_CASE("Logout ends one session at once; logout-others ends the rest", "[identity][db]") {
  Identity identity;
  Client phone("phone-1");
  Register(identity, phone);
  std::vector<Client> devices = {LogInElsewhere(identity, phone, "tablet-1"),
                                 LogInElsewhere(identity, phone, "laptop-1")};
  v1::LogoutRequest logout;
  Ok(identity, STUB(Logout), &devices[0], logout);
  CHECK(Refused(identity, STUB(GetMyProfile), &devices[0], v1::GetMyProfileRequest(),
                grpc::StatusCode::UNAUTHENTICATED) == "SESSION_REVOKED");
  Ok(identity, STUB(GetMyProfile), &devices[1], v1::GetMyProfileRequest());

  auto ended = Ok(identity, STUB(LogoutOtherSessions), &phone, v1::LogoutOtherSessionsRequest());
  CHECK(ended.ended_count() == 1);
  CHECK(Refused(identity, STUB(GetMyProfile), &devices[1], v1::GetMyProfileRequest(),
                grpc::StatusCode::UNAUTHENTICATED) == "SESSION_REVOKED");
  auto sessions = Ok(identity, STUB(ListSessions), &phone, v1::ListSessionsRequest());
  REQUIRE(sessions.sessions_size() == 1);
  CHECK(sessions.sessions(0).current());

  // Another user's session cannot be ended.
  Client stranger;
  Register(identity, stranger);
  logout.set_session_id(phone.tokens.session_id());
  CHECK(Refused(identity, STUB(Logout), &stranger, logout, grpc::StatusCode::NOT_FOUND) ==
        "SESSION_NOT_FOUND");
  Ok(identity, STUB(GetMyProfile), &phone, v1::GetMyProfileRequest());
}

TEST_CASE("A second login of the same device replaces its session", "[identity][db]") {
  Identity identity;
  Client mei("same-device");
  Register(identity, mei);
  Client again = LogInElsewhere(identity, mei, "same-device");
  CHECK(Refused(identity, STUB(GetMyProfile), &mei, v1::GetMyProfileRequest(),
                grpc::StatusCode::UNAUTHENTICATED) == "SESSION_REVOKED");
  CHECK(Ok(identity, STUB(ListSessions), &again, v1::ListSessionsRequest()).sessions_size() == 1);

  SECTION("changing the password needs the current one") {
    v1::SetPasswordRequest set;
    set.set_new_password("another long one");
    set.set_current_password("not it at all");
    CHECK(Refused(identity, STUB(SetPassword), &again, set, grpc::StatusCode::UNAUTHENTICATED) ==
          "WRONG_PASSWORD");
    set.set_current_password(kPassword);
    Ok(identity, STUB(SetPassword), &again, set);
  }
}

TEST_CASE("Profiles update field by field and the Plaza ID changes once a year", "[identity][db]") {
  Identity identity;
  Client mei;
  Register(identity, mei);
  v1::UpdateProfileRequest update;
  update.set_signature("今天天气很好");
  update.set_gender(v1::GENDER_FEMALE);
  auto updated = Ok(identity, STUB(UpdateProfile), &mei, update).profile();
  CHECK(updated.signature() == "今天天气很好");
  CHECK(updated.display_name() == "Mei");

  update.Clear();
  update.set_region(std::string(65, 'x'));
  CHECK(Refused(identity, STUB(UpdateProfile), &mei, update, grpc::StatusCode::INVALID_ARGUMENT) ==
        "REGION_INVALID");
  update.Clear();
  update.set_display_name("two\nlines");
  CHECK(Refused(identity, STUB(UpdateProfile), &mei, update, grpc::StatusCode::INVALID_ARGUMENT) ==
        "DISPLAY_NAME_INVALID");
  CHECK(Ok(identity, STUB(GetMyProfile), &mei, v1::GetMyProfileRequest()).profile().signature() ==
        "今天天气很好");

  std::string handle = "mei_" + std::to_string(Random()() % 1000000);
  v1::SetPlazaIdRequest set;
  set.set_plaza_id(handle);
  Ok(identity, STUB(SetPlazaId), &mei, set);
  set.set_plaza_id(handle + "x");
  CHECK(Refused(identity, STUB(SetPlazaId), &mei, set, grpc::StatusCode::FAILED_PRECONDITION) ==
        "PLAZA_ID_CHANGE_TOO_SOON");

  Client lei;
  Register(identity, lei, "Lei");
  set.set_plaza_id("MEI_" + handle.substr(4));  // same handle, other case
  CHECK(Refused(identity, STUB(SetPlazaId), &lei, set, grpc::StatusCode::ALREADY_EXISTS) ==
        "PLAZA_ID_TAKEN");
  set.set_plaza_id("1bad");
  CHECK(Refused(identity, STUB(SetPlazaId), &lei, set, grpc::StatusCode::INVALID_ARGUMENT) ==
        "PLAZA_ID_INVALID");

  identity.clock.Advance(std::chrono::hours(24 * 366));
  v1::RefreshSessionRequest refresh;
  refresh.set_refresh_token(mei.tokens.refresh_token());
  // The refresh token lives 30 days, so a year later Mei logs in again with a fresh code.
  CHECK(Refused(identity, STUB(RefreshSession), nullptr, refresh,
                grpc::StatusCode::UNAUTHENTICATED) == "REFRESH_TOKEN_INVALID");
}

TEST_CASE("Search respects privacy settings and never shows a phone number", "[identity][db]") {
  Identity identity;
  Client mei, lei;
  Register(identity, mei, "Mei");
  Register(identity, lei, "Lei");
  std::string handle = "lei" + std::to_string(Random()() % 1000000);
  v1::SetPlazaIdRequest set;
  set.set_plaza_id(handle);
  Ok(identity, STUB(SetPlazaId), &lei, set);

  v1::SearchUserRequest search;
  search.set_query(lei.phone);
  auto found = Ok(identity, STUB(SearchUser), &mei, search);
  CHECK(found.profile().user_id() == lei.user_id);
  CHECK(found.profile().DebugString().find(lei.phone.substr(3)) == std::string::npos);
  search.set_query(handle);
  CHECK(Ok(identity, STUB(SearchUser), &mei, search).profile().user_id() == lei.user_id);

  v1::UpdatePrivacySettingsRequest privacy;
  privacy.mutable_privacy()->set_findable_by_phone(false);
  privacy.mutable_privacy()->set_findable_by_plaza_id(false);
  privacy.mutable_privacy()->set_friend_requests_need_approval(true);
  Ok(identity, STUB(UpdatePrivacySettings), &lei, privacy);
  CHECK(Refused(identity, STUB(SearchUser), &mei, search, grpc::StatusCode::NOT_FOUND) ==
        "USER_NOT_FOUND");
  search.set_query(lei.phone);
  CHECK(Refused(identity, STUB(SearchUser), &mei, search, grpc::StatusCode::NOT_FOUND) ==
        "USER_NOT_FOUND");
  // Hidden and absent look the same.
  search.set_query(RandomPhone());
  CHECK(Refused(identity, STUB(SearchUser), &mei, search, grpc::StatusCode::NOT_FOUND) ==
        "USER_NOT_FOUND");

  SECTION("contact discovery matches hashes of users who allow it") {
    Client zhao;
    Register(identity, zhao, "Zhao");
    v1::DiscoverContactsRequest discover;
    discover.add_phone_hashes(plaza::identity::PhoneHash(lei.phone));   // hidden
    discover.add_phone_hashes(plaza::identity::PhoneHash(zhao.phone));  // findable
    discover.add_phone_hashes(plaza::identity::PhoneHash(RandomPhone()));
    auto matches = Ok(identity, STUB(DiscoverContacts), &mei, discover);
    REQUIRE(matches.contacts_size() == 1);
    CHECK(matches.contacts(0).profile().user_id() == zhao.user_id);
    discover.add_phone_hashes("not-a-hash");
    CHECK(Refused(identity, STUB(DiscoverContacts), &mei, discover,
                  grpc::StatusCode::INVALID_ARGUMENT) == "PHONE_HASH_INVALID");
  }
}

TEST_CASE("Friend requests, approval, remarks and removal", "[identity][db]") {
  Identity identity;
  Client mei, lei;
  Register(identity, mei, "Mei");
  Register(identity, lei, "Lei");

  v1::SendFriendRequestRequest send;
  send.set_user_id(lei.user_id);
  send.set_greeting("hi, it's Mei");
  send.set_source(v1::FRIEND_REQUEST_SOURCE_SEARCH);
  auto sent = Ok(identity, STUB(SendFriendRequest), &mei, send);
  CHECK_FALSE(sent.became_friends());
  // Re-sending updates the pending request instead of piling up.
  send.set_greeting("hello again");
  CHECK(Ok(identity, STUB(SendFriendRequest), &mei, send).request().request_id() ==
        sent.request().request_id());

  v1::ListFriendRequestsRequest list;
  list.set_direction(v1::FRIEND_REQUEST_DIRECTION_INCOMING);
  auto incoming = Ok(identity, STUB(ListFriendRequests), &lei, list);
  REQUIRE(incoming.requests_size() == 1);
  CHECK(incoming.requests(0).greeting() == "hello again");
  CHECK(incoming.requests(0).peer().display_name() == "Mei");

  // Only the recipient can accept.
  v1::AcceptFriendRequestRequest accept;
  accept.set_request_id(sent.request().request_id());
  accept.set_remark("Mei from school");
  CHECK(Refused(identity, STUB(AcceptFriendRequest), &mei, accept, grpc::StatusCode::NOT_FOUND) ==
        "FRIEND_REQUEST_NOT_FOUND");
  auto accepted = Ok(identity, STUB(AcceptFriendRequest), &lei, accept);
  CHECK(accepted.friend_().remark() == "Mei from school");
  CHECK(accepted.friend_().profile().user_id() == mei.user_id);

  v1::CheckFriendshipRequest check;
  check.set_user_id(mei.user_id);
  check.set_other_user_id(lei.user_id);
  v1::CheckFriendshipResponse relation;
  grpc::ClientContext context;
  REQUIRE(identity.internal_stub->CheckFriendship(&context, check, &relation).ok());
  CHECK(relation.are_friends());

  CHECK(Refused(identity, STUB(SendFriendRequest), &mei, send, grpc::StatusCode::ALREADY_EXISTS) ==
        "ALREADY_FRIENDS");
  send.set_user_id(mei.user_id);
  CHECK(Refused(identity, STUB(SendFriendRequest), &mei, send,
                grpc::StatusCode::INVALID_ARGUMENT) == "CANNOT_TARGET_SELF");

  v1::SetFriendRemarkRequest remark;
  remark.set_user_id(lei.user_id);
  remark.set_remark("Lei 🎸");
  CHECK(Ok(identity, STUB(SetFriendRemark), &mei, remark).friend_().remark() == "Lei 🎸");
  v1::GetProfileRequest get;
  get.set_user_id(lei.user_id);
  auto profile = Ok(identity, STUB(GetProfile), &mei, get);
  CHECK(profile.is_friend());
  CHECK(profile.remark() == "Lei 🎸");

  v1::RemoveFriendRequest remove;
  remove.set_user_id(lei.user_id);
  Ok(identity, STUB(RemoveFriend), &mei, remove);
  CHECK(Refused(identity, STUB(RemoveFriend), &mei, remove, grpc::StatusCode::NOT_FOUND) ==
        "NOT_FRIENDS");
  CHECK(Ok(identity, STUB(ListFriends), &lei, v1::ListFriendsRequest()).friends_size() == 0);
}

TEST_CASE("Requests skip approval when the recipient allows it, or answer a request back",
          "[identity][db]") {
  Identity identity;
  Client mei, lei, zhao;
  Register(identity, mei, "Mei");
  Register(identity, lei, "Lei");
  Register(identity, zhao, "Zhao");
  v1::UpdatePrivacySettingsRequest open;
  open.mutable_privacy()->set_findable_by_phone(true);
  open.mutable_privacy()->set_findable_by_plaza_id(true);
  open.mutable_privacy()->set_friend_requests_need_approval(false);
  Ok(identity, STUB(UpdatePrivacySettings), &lei, open);
  v1::SendFriendRequestRequest send;
  send.set_user_id(lei.user_id);
  CHECK(Ok(identity, STUB(SendFriendRequest), &mei, send).became_friends());

  send.set_user_id(zhao.user_id);
  CHECK_FALSE(Ok(identity, STUB(SendFriendRequest), &mei, send).became_friends());
  send.set_user_id(mei.user_id);
  CHECK(Ok(identity, STUB(SendFriendRequest), &zhao, send).became_friends());
}

TEST_CASE("Blocking ends the friendship and refuses requests both ways", "[identity][db]") {
  Identity identity;
  Client mei, lei;
  Register(identity, mei, "Mei");
  Register(identity, lei, "Lei");
  BeFriends(identity, mei, lei);

  v1::BlockUserRequest block;
  block.set_user_id(lei.user_id);
  Ok(identity, STUB(BlockUser), &mei, block);
  Ok(identity, STUB(BlockUser), &mei, block);  // idempotent
  CHECK(Ok(identity, STUB(ListFriends), &mei, v1::ListFriendsRequest()).friends_size() == 0);
  CHECK(Ok(identity, STUB(ListFriends), &lei, v1::ListFriendsRequest()).friends_size() == 0);

  v1::SendFriendRequestRequest send;
  send.set_user_id(mei.user_id);
  CHECK(Refused(identity, STUB(SendFriendRequest), &lei, send,
                grpc::StatusCode::PERMISSION_DENIED) == "BLOCKED");
  send.set_user_id(lei.user_id);
  CHECK(Refused(identity, STUB(SendFriendRequest), &mei, send,
                grpc::StatusCode::PERMISSION_DENIED) == "BLOCKED");
  v1::GetProfileRequest get;
  get.set_user_id(mei.user_id);
  CHECK(Refused(identity, STUB(GetProfile), &lei, get, grpc::StatusCode::NOT_FOUND) ==
        "USER_NOT_FOUND");

  auto blocked = Ok(identity, STUB(ListBlockedUsers), &mei, v1::ListBlockedUsersRequest());
  REQUIRE(blocked.profiles_size() == 1);
  CHECK(blocked.profiles(0).user_id() == lei.user_id);

  v1::UnblockUserRequest unblock;
  unblock.set_user_id(lei.user_id);
  Ok(identity, STUB(UnblockUser), &mei, unblock);
  CHECK(Refused(identity, STUB(UnblockUser), &mei, unblock, grpc::StatusCode::NOT_FOUND) ==
        "NOT_BLOCKED");
  Ok(identity, STUB(SendFriendRequest), &mei, send);
}

TEST_CASE("Friends list pages through every friend exactly once", "[identity][db]") {
  Identity identity;
  Client mei;
  Register(identity, mei, "Mei");
  v1::UpdatePrivacySettingsRequest open;
  open.mutable_privacy()->set_friend_requests_need_approval(false);
  std::set<int64_t> expected;
  for (int i = 0; i < 7; ++i) {
    Client friend_;
    Register(identity, friend_, "Friend " + std::to_string(i));
    Ok(identity, STUB(UpdatePrivacySettings), &friend_, open);
    BeFriends(identity, mei, friend_);
    expected.insert(friend_.user_id);
  }
  std::set<int64_t> seen;
  v1::ListFriendsRequest list;
  list.set_page_size(3);
  int pages = 0;
  do {
    auto page = Ok(identity, STUB(ListFriends), &mei, list);
    for (const auto& f : page.friends()) CHECK(seen.insert(f.profile().user_id()).second);
    list.set_page_token(page.next_page_token());
    ++pages;
  } while (!list.page_token().empty() && pages < 10);
  CHECK(pages == 3);
  CHECK(seen == expected);

  list.set_page_token("forged");
  CHECK(Refused(identity, STUB(ListFriends), &mei, list, grpc::StatusCode::INVALID_ARGUMENT) ==
        "PAGE_TOKEN_INVALID");
  list.set_page_token("");
  list.set_page_size(-1);
  CHECK(Refused(identity, STUB(ListFriends), &mei, list, grpc::StatusCode::INVALID_ARGUMENT) ==
        "PAGE_SIZE_INVALID");
}

TEST_CASE("Tags hold only friends and feed the internal friend list", "[identity][db]") {
  Identity identity;
  Client mei, lei, zhao;
  Register(identity, mei, "Mei");
  Register(identity, lei, "Lei");
  Register(identity, zhao, "Zhao");
  BeFriends(identity, mei, lei);

  v1::CreateTagRequest create;
  create.set_name("Family");
  create.add_member_ids(lei.user_id);
  auto tag = Ok(identity, STUB(CreateTag), &mei, create).tag();
  CHECK(tag.member_ids_size() == 1);
  CHECK(Refused(identity, STUB(CreateTag), &mei, create, grpc::StatusCode::ALREADY_EXISTS) ==
        "TAG_NAME_TAKEN");
  create.set_name("Work");
  create.add_member_ids(zhao.user_id);  // not a friend
  CHECK(Refused(identity, STUB(CreateTag), &mei, create, grpc::StatusCode::FAILED_PRECONDITION) ==
        "NOT_A_FRIEND");

  v1::GetFriendIdsRequest ids;
  ids.set_user_id(mei.user_id);
  v1::GetFriendIdsResponse friends;
  grpc::ClientContext context;
  REQUIRE(identity.internal_stub->GetFriendIds(&context, ids, &friends).ok());
  REQUIRE(friends.friends_size() == 1);
  CHECK(friends.friends(0).user_id() == lei.user_id);
  REQUIRE(friends.friends(0).tag_ids_size() == 1);
  CHECK(friends.friends(0).tag_ids(0) == tag.tag_id());

  v1::UpdateTagRequest update;
  update.set_tag_id(tag.tag_id());
  update.set_name("Close family");
  CHECK(Ok(identity, STUB(UpdateTag), &mei, update).tag().member_ids_size() == 0);
  // Another user cannot touch Mei's tag.
  CHECK(Refused(identity, STUB(UpdateTag), &lei, update, grpc::StatusCode::NOT_FOUND) ==
        "TAG_NOT_FOUND");
  v1::DeleteTagRequest remove;
  remove.set_tag_id(tag.tag_id());
  Ok(identity, STUB(DeleteTag), &mei, remove);
  CHECK(Ok(identity, STUB(ListTags), &mei, v1::ListTagsRequest()).tags_size() == 0);
}

TEST_CASE("An add-friend QR code sends a request to its owner until it expires", "[identity][db]") {
  Identity identity;
  Client mei, lei;
  Register(identity, mei, "Mei");
  Register(identity, lei, "Lei");
  auto qr = Ok(identity, STUB(CreateAddFriendQrCode), &mei, v1::CreateAddFriendQrCodeRequest());
  v1::RedeemAddFriendQrCodeRequest redeem;
  redeem.set_payload(qr.payload());
  redeem.set_greeting("scanned your code");
  auto redeemed = Ok(identity, STUB(RedeemAddFriendQrCode), &lei, redeem);
  CHECK(redeemed.request().to_user_id() == mei.user_id);
  CHECK(redeemed.request().source() == v1::FRIEND_REQUEST_SOURCE_QR_CODE);

  CHECK(Refused(identity, STUB(RedeemAddFriendQrCode), &mei, redeem,
                grpc::StatusCode::INVALID_ARGUMENT) == "CANNOT_TARGET_SELF");
  redeem.set_payload(mei.tokens.access_token());
  CHECK(Refused(identity, STUB(RedeemAddFriendQrCode), &lei, redeem,
                grpc::StatusCode::INVALID_ARGUMENT) == "QR_CODE_INVALID");
  identity.clock.Advance(std::chrono::hours(24 * 8));
  redeem.set_payload(qr.payload());
  v1::RefreshSessionRequest refresh;
  refresh.set_refresh_token(lei.tokens.refresh_token());
  lei.tokens = Ok(identity, STUB(RefreshSession), nullptr, refresh).tokens();
  CHECK(Refused(identity, STUB(RedeemAddFriendQrCode), &lei, redeem,
                grpc::StatusCode::FAILED_PRECONDITION) == "QR_CODE_EXPIRED");
}

TEST_CASE("Internal batch profiles keep request order and skip unknown ids", "[identity][db]") {
  Identity identity;
  Client mei, lei;
  Register(identity, mei, "Mei");
  Register(identity, lei, "Lei");
  v1::BatchGetProfilesRequest request;
  request.add_user_ids(lei.user_id);
  request.add_user_ids(987654321);
  request.add_user_ids(mei.user_id);
  v1::BatchGetProfilesResponse response;
  grpc::ClientContext context;
  REQUIRE(identity.internal_stub->BatchGetProfiles(&context, request, &response).ok());
  REQUIRE(response.profiles_size() == 2);
  CHECK(response.profiles(0).display_name() == "Lei");
  CHECK(response.profiles(1).display_name() == "Mei");
  for (int i = 0; i < 500; ++i) request.add_user_ids(i + 1);
  grpc::ClientContext too_many;
  CHECK(identity.internal_stub->BatchGetProfiles(&too_many, request, &response).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("Identity fails fast while Redis is down and recovers when it returns",
          "[identity][db]") {
  plaza::testing::RedisServer redis;
  Identity identity(redis.Url());
  Client mei;
  Register(identity, mei);

  redis.Stop();
  Client lei;
  v1::RequestCodeRequest request;
  request.set_phone(lei.phone);
  auto started = std::chrono::steady_clock::now();
  CHECK(Refused(identity, STUB(RequestCode), &lei, request, grpc::StatusCode::UNAVAILABLE) ==
        "REDIS_UNAVAILABLE");
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
  // Token checks degrade to signature and expiry; PostgreSQL-only calls keep working.
  Ok(identity, STUB(GetMyProfile), &mei, v1::GetMyProfileRequest());

  redis.Start();
  Register(identity, lei);
  Ok(identity, STUB(GetMyProfile), &lei, v1::GetMyProfileRequest());
}

TEST_CASE("Identity recovers when PostgreSQL drops its connections", "[identity][db]") {
  Identity identity;
  Client mei;
  Register(identity, mei);
  {
    pqxx::connection admin(plaza::testing::RequireEnv("PLAZA_TEST_PG_URL"));
    pqxx::nontransaction tx(admin);
    tx.exec_params("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                   identity.db.name());
  }
  for (int i = 0; i < 3; ++i) Ok(identity, STUB(GetMyProfile), &mei, v1::GetMyProfileRequest());
}

TEST_CASE("Revocations survive a Redis that lost its data", "[identity][db]") {
  plaza::testing::RedisServer redis;
  Identity identity(redis.Url());
  Client mei("phone");
  Register(identity, mei);
  Client laptop = LogInElsewhere(identity, mei, "laptop");
  Ok(identity, STUB(LogoutOtherSessions), &mei, v1::LogoutOtherSessionsRequest());

  redis.Stop();  // nothing is persisted: the revocation set is gone
  redis.Start();
  plaza::identity::RevocationMirror mirror(identity.store, identity.revocations, identity.clock,
                                           std::chrono::seconds(960), std::chrono::seconds(30));
  REQUIRE(mirror.SyncOnce().ok());
  CHECK(Refused(identity, STUB(GetMyProfile), &laptop, v1::GetMyProfileRequest(),
                grpc::StatusCode::UNAUTHENTICATED) == "SESSION_REVOKED");
}

namespace {

using plaza::events::v1::Event;

// Each user's pushes as their first connected device sees them.
class Devices {
 public:
  explicit Devices(Identity& identity) : probe_(identity.redis, identity.redis_url) {}

  void Connect(const Client& client) {
    probe_.Connect(client.user_id, client.device.device_id());
    first_device_.try_emplace(client.user_id, client.device.device_id());
  }

  std::vector<Event> EventsFor(int64_t user_id, size_t count) {
    auto events = probe_.EventsFor(user_id, first_device_.at(user_id), count);
    CHECK(probe_.unexpected() == 0);
    return events;
  }

 private:
  plaza::events::testing::PushProbe probe_;
  std::map<int64_t, std::string> first_device_;
};

std::set<int64_t> RevokedSessions(const std::vector<Event>& events) {
  std::set<int64_t> sessions;
  for (const auto& event : events) {
    CHECK(event.kind_case() == Event::kSessionRevoked);
    sessions.insert(event.session_revoked().session_id());
  }
  return sessions;
}

}  // namespace

TEST_CASE("Ending sessions pushes SessionRevoked for each to the user's devices",
          "[identity][db]") {
  Identity identity;
  Devices devices(identity);
  Client phone("phone-1");
  Register(identity, phone);
  Client tablet = LogInElsewhere(identity, phone, "tablet-1");
  Client laptop = LogInElsewhere(identity, phone, "laptop-1");
  Client watch = LogInElsewhere(identity, phone, "watch-1");
  for (const Client* device : {&phone, &tablet, &laptop, &watch}) devices.Connect(*device);

  Ok(identity, STUB(Logout), &tablet, v1::LogoutRequest());
  auto events = devices.EventsFor(phone.user_id, 1);
  REQUIRE(events.size() == 1);
  CHECK(RevokedSessions(events) == std::set<int64_t>{tablet.tokens.session_id()});
  CHECK(events[0].event_id() > 0);
  CHECK(events[0].time().seconds() == plaza::core::UnixSeconds(identity.clock.Now()));

  Ok(identity, STUB(LogoutOtherSessions), &phone, v1::LogoutOtherSessionsRequest());
  events = devices.EventsFor(phone.user_id, 3);
  REQUIRE(events.size() == 3);
  CHECK(RevokedSessions({events.begin() + 1, events.end()}) ==
        std::set<int64_t>{laptop.tokens.session_id(), watch.tokens.session_id()});
  CHECK(events[1].event_id() != events[2].event_id());

  // A replayed refresh token ends the session it belonged to.
  v1::RefreshSessionRequest refresh;
  refresh.set_refresh_token(phone.tokens.refresh_token());
  Ok(identity, STUB(RefreshSession), nullptr, refresh);
  Refused(identity, STUB(RefreshSession), nullptr, refresh, grpc::StatusCode::UNAUTHENTICATED);
  events = devices.EventsFor(phone.user_id, 4);
  REQUIRE(events.size() == 4);
  CHECK(RevokedSessions({events.back()}) == std::set<int64_t>{phone.tokens.session_id()});
}

TEST_CASE("A new login of a device pushes SessionRevoked for the session it replaced",
          "[identity][db]") {
  Identity identity;
  Devices devices(identity);
  Client mei("same-device");
  Register(identity, mei);
  devices.Connect(mei);
  Client again = LogInElsewhere(identity, mei, "same-device");
  REQUIRE(again.tokens.session_id() != mei.tokens.session_id());
  auto events = devices.EventsFor(mei.user_id, 1);
  REQUIRE(events.size() == 1);
  CHECK(RevokedSessions(events) == std::set<int64_t>{mei.tokens.session_id()});
}

TEST_CASE("Friend requests and new friendships are pushed to the users they concern",
          "[identity][db]") {
  Identity identity;
  Devices devices(identity);
  Client mei, lei, zhao, wu;
  Register(identity, mei, "Mei");
  Register(identity, lei, "Lei");
  Register(identity, zhao, "Zhao");
  Register(identity, wu, "Wu");
  for (const Client* client : {&mei, &lei, &zhao, &wu}) devices.Connect(*client);
  auto friend_added = [](const Event& event) {
    CHECK(event.kind_case() == Event::kFriendAdded);
    return event.friend_added().friend_user_id();
  };
  auto request_received = [](const Event& event) {
    CHECK(event.kind_case() == Event::kFriendRequestReceived);
    return std::pair{event.friend_request_received().request_id(),
                     event.friend_request_received().from_user_id()};
  };

  // Refused requests push nothing; the exact event lists at the end show it.
  v1::SendFriendRequestRequest send;
  send.set_user_id(mei.user_id);
  Refused(identity, STUB(SendFriendRequest), &mei, send, grpc::StatusCode::INVALID_ARGUMENT);
  v1::BlockUserRequest block;
  block.set_user_id(wu.user_id);
  Ok(identity, STUB(BlockUser), &mei, block);
  Refused(identity, STUB(SendFriendRequest), &wu, send, grpc::StatusCode::PERMISSION_DENIED);
  send.set_user_id(wu.user_id);
  Refused(identity, STUB(SendFriendRequest), &mei, send, grpc::StatusCode::PERMISSION_DENIED);

  // A request that waits for approval, then its acceptance.
  send.set_user_id(lei.user_id);
  auto sent = Ok(identity, STUB(SendFriendRequest), &mei, send);
  REQUIRE_FALSE(sent.became_friends());
  auto to_lei = devices.EventsFor(lei.user_id, 1);
  REQUIRE(to_lei.size() == 1);
  CHECK(request_received(to_lei[0]) == std::pair{sent.request().request_id(), mei.user_id});
  v1::AcceptFriendRequestRequest accept;
  accept.set_request_id(sent.request().request_id());
  Ok(identity, STUB(AcceptFriendRequest), &lei, accept);
  to_lei = devices.EventsFor(lei.user_id, 2);
  REQUIRE(to_lei.size() == 2);
  CHECK(friend_added(to_lei[1]) == mei.user_id);

  // A request answering one the other side sent first makes friends at once.
  send.set_user_id(mei.user_id);
  auto asked = Ok(identity, STUB(SendFriendRequest), &zhao, send);
  send.set_user_id(zhao.user_id);
  REQUIRE(Ok(identity, STUB(SendFriendRequest), &mei, send).became_friends());
  auto to_zhao = devices.EventsFor(zhao.user_id, 1);
  REQUIRE(to_zhao.size() == 1);
  CHECK(friend_added(to_zhao[0]) == mei.user_id);

  auto to_mei = devices.EventsFor(mei.user_id, 3);
  REQUIRE(to_mei.size() == 3);
  CHECK(friend_added(to_mei[0]) == lei.user_id);
  CHECK(request_received(to_mei[1]) == std::pair{asked.request().request_id(), zhao.user_id});
  CHECK(friend_added(to_mei[2]) == zhao.user_id);

  // A recipient who needs no approval: both are told of the friendship, neither of a request.
  v1::UnblockUserRequest unblock;
  unblock.set_user_id(wu.user_id);
  Ok(identity, STUB(UnblockUser), &mei, unblock);
  v1::UpdatePrivacySettingsRequest open;
  open.mutable_privacy()->set_friend_requests_need_approval(false);
  Ok(identity, STUB(UpdatePrivacySettings), &wu, open);
  send.set_user_id(wu.user_id);
  REQUIRE(Ok(identity, STUB(SendFriendRequest), &mei, send).became_friends());
  auto to_wu = devices.EventsFor(wu.user_id, 1);
  REQUIRE(to_wu.size() == 1);
  CHECK(friend_added(to_wu[0]) == mei.user_id);
  to_mei = devices.EventsFor(mei.user_id, 4);
  REQUIRE(to_mei.size() == 4);
  CHECK(friend_added(to_mei[3]) == wu.user_id);
}

TEST_CASE("Calls that would push succeed at once while Redis is down", "[identity][db]") {
  plaza::testing::RedisServer redis;
  Identity identity(redis.Url());
  Client phone("phone"), lei;
  Register(identity, phone);
  Register(identity, lei, "Lei");
  Client laptop = LogInElsewhere(identity, phone, "laptop");
  Client tablet = LogInElsewhere(identity, phone, "tablet");
  v1::SendFriendRequestRequest send;
  send.set_user_id(lei.user_id);
  auto sent = Ok(identity, STUB(SendFriendRequest), &phone, send);

  redis.Stop();
  auto started = std::chrono::steady_clock::now();
  Ok(identity, STUB(Logout), &tablet, v1::LogoutRequest());
  Ok(identity, STUB(LogoutOtherSessions), &phone, v1::LogoutOtherSessionsRequest());
  v1::AcceptFriendRequestRequest accept;
  accept.set_request_id(sent.request().request_id());
  Ok(identity, STUB(AcceptFriendRequest), &lei, accept);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
  CHECK(Ok(identity, STUB(ListSessions), &phone, v1::ListSessionsRequest()).sessions_size() == 1);
  CHECK(Ok(identity, STUB(ListFriends), &phone, v1::ListFriendsRequest()).friends_size() == 1);
}

namespace {

// Calls /plaza.identity.v1.<service>/<method> with an empty request body and no token.
Outcome CallEmpty(Identity& identity, const std::string& path) {
  grpc::GenericStub stub(identity.channel);
  grpc::ClientContext context;
  context.AddMetadata("x-plaza-client-ip", RandomIp());
  grpc::Slice empty;
  grpc::ByteBuffer request(&empty, 1), response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, path, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status status) { done.set_value(std::move(status)); });
  grpc::Status status = done.get_future().get();
  Outcome outcome{status.error_code(), ""};
  if (auto it = context.GetServerTrailingMetadata().find("x-plaza-reason");
      it != context.GetServerTrailingMetadata().end()) {
    outcome.reason.assign(it->second.data(), it->second.size());
  }
  return outcome;
}

}  // namespace

TEST_CASE("Every identity method refuses callers without a token, public ones refuse empty input",
          "[identity][db]") {
  Identity identity;
  const std::set<std::string> kPublic = {"RequestCode", "Register", "Login", "RefreshSession"};
  const auto* service = v1::Profile::descriptor()->file()->FindServiceByName("IdentityService");
  REQUIRE(service != nullptr);
  for (int i = 0; i < service->method_count(); ++i) {
    std::string name = service->method(i)->name();
    INFO(name);
    Outcome outcome = CallEmpty(identity, "/plaza.identity.v1.IdentityService/" + name);
    if (kPublic.count(name) > 0) {
      CHECK(outcome.code == grpc::StatusCode::INVALID_ARGUMENT);
      CHECK_FALSE(outcome.reason.empty());
    } else {
      CHECK(outcome.code == grpc::StatusCode::UNAUTHENTICATED);
      CHECK(outcome.reason == "TOKEN_MISSING");
    }
  }
  // Internal methods trust their peers but not their input.
  for (const char* name : {"CheckFriendship", "GetFriendIds"}) {
    INFO(name);
    Outcome outcome =
        CallEmpty(identity, std::string("/plaza.identity.v1.InternalService/") + name);
    CHECK(outcome.code == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK(outcome.reason == "USER_ID_INVALID");
  }
}

TEST_CASE("Unfriending and blocking are announced to services that remember relations",
          "[identity][db]") {
  Identity identity;
  std::mutex mutex;
  std::vector<std::string> announced;
  plaza::redis::SubscriberOptions options;
  options.url = identity.redis_url;
  options.channels = {std::string(plaza::events::kRelationChangesChannel)};
  options.on_message = [&](std::string_view, std::string_view payload) {
    std::lock_guard lock(mutex);
    announced.emplace_back(payload);
  };
  plaza::redis::Subscriber subscriber(std::move(options));
  REQUIRE(subscriber.WaitSubscribed(std::chrono::seconds(5)));
  Client mei, lei, zhao;
  for (Client* client : {&mei, &lei, &zhao}) Register(identity, *client);
  BeFriends(identity, mei, lei);
  BeFriends(identity, mei, zhao);
  v1::RemoveFriendRequest remove;
  remove.set_user_id(lei.user_id);
  Ok(identity, STUB(RemoveFriend), &mei, remove);
  v1::BlockUserRequest block;
  block.set_user_id(mei.user_id);
  Ok(identity, STUB(BlockUser), &zhao, block);
  auto expected =
      std::vector<std::string>{plaza::events::EncodeRelationChange(mei.user_id, lei.user_id),
                               plaza::events::EncodeRelationChange(zhao.user_id, mei.user_id)};
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard lock(mutex);
      if (announced.size() >= expected.size()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard lock(mutex);
  CHECK(announced == expected);
}
