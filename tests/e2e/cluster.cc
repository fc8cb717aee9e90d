#include "tests/e2e/cluster.h"

#include <pqxx/pqxx>
#include <random>
#include <stdexcept>
#include <thread>

#include "plaza/auth/token.h"

namespace plaza::e2e {
namespace {

std::string RandomPhone() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return "+86138" + std::to_string(10'000'000 + random() % 89'999'999);
}

// groups' invitation key: 48 random bytes in base64, as scripts/cluster makes it with
// `head -c 48 /dev/urandom | base64` (groups wants at least 32 bytes).
std::string RandomInviteKey() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::random_device random;
  std::string key;
  for (int i = 0; i < 64; ++i) key += kAlphabet[random() % 64];
  return key;
}

void Check(const grpc::Status& status, const char* what) {
  if (!status.ok()) {
    throw std::runtime_error(std::string(what) + ": " + std::to_string(status.error_code()) + " " +
                             status.error_message());
  }
}

}  // namespace

void Authorize(grpc::ClientContext& context, const Account& account) {
  context.AddMetadata("authorization", "Bearer " + account.tokens.access_token());
}

bool WaitHealthy(testing::ChildProcess& process, int metrics_port) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline && process.running()) {
    if (testing::HttpGet(metrics_port, "/healthz").find("200 OK") != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

Cluster::Cluster(ClusterOptions options)
    : options_(options),
      identity_port_(testing::FreePort()),
      identity_metrics_port_(testing::FreePort()),
      messaging_port_(testing::FreePort()),
      messaging_metrics_port_(testing::FreePort()),
      groups_port_(testing::FreePort()),
      groups_metrics_port_(testing::FreePort()),
      invite_signing_key_(RandomInviteKey()),
      gateway_port_(testing::FreePort()),
      gateway_port_metrics_(testing::FreePort()) {
  auto keys = auth::GenerateKeyPair("e2e");
  signing_key_ = keys.signing_key;
  public_keys_ = keys.public_key;
  if (options.own_postgres) {
    postgres_ = std::make_unique<testing::PostgresServer>();
    pg_url_ = postgres_->Url();
  } else {
    database_ = std::make_unique<testing::TestDatabase>();
    pg_url_ = database_->url();
  }
  StartIdentity();
  StartMessaging();
  StartGroups();
  StartGateway();
}

Cluster::~Cluster() {
  // The gateway first, as an operator would drain it.
  gateway_.reset();
  groups_.reset();
  messaging_.reset();
  identity_.reset();
}

std::unique_ptr<testing::ChildProcess> Cluster::Launch(const char* binary, int port,
                                                       int metrics_port,
                                                       std::vector<std::string> extra_env) {
  std::vector<std::string> env = {"PLAZA_GRPC_HOST=127.0.0.1",
                                  "PLAZA_GRPC_PORT=" + std::to_string(port),
                                  "PLAZA_METRICS_PORT=" + std::to_string(metrics_port),
                                  "PLAZA_PG_URL=" + pg_url_,
                                  "PLAZA_REDIS_URL=" + redis_.Url(),
                                  "PLAZA_TOKEN_PUBLIC_KEYS=" + public_keys_,
                                  "PLAZA_NODE_ID=" + std::to_string(std::random_device{}() % 1024),
                                  "PLAZA_DRAIN_TIMEOUT_MS=1000",
                                  "PLAZA_TRUST_CLIENT_IP_HEADER=true"};
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  auto process = std::make_unique<testing::ChildProcess>(std::vector<std::string>{binary}, env);
  if (!WaitHealthy(*process, metrics_port)) {
    throw std::runtime_error(std::string(binary) + " did not become healthy:\n" +
                             process->Output());
  }
  return process;
}

void Cluster::StartIdentity() {
  identity_ = Launch(PLAZA_IDENTITY_BINARY, identity_port_, identity_metrics_port_,
                     {"PLAZA_TOKEN_SIGNING_KEY=" + signing_key_, "PLAZA_DEV_MODE=true",
                      "PLAZA_PASSWORD_HASH_STRENGTH=fast_for_tests"});
}

void Cluster::StartMessaging() {
  messaging_ = Launch(PLAZA_MESSAGING_BINARY, messaging_port_, messaging_metrics_port_,
                      {"PLAZA_IDENTITY_ADDRESS=127.0.0.1:" + std::to_string(identity_port_),
                       "PLAZA_GROUPS_ADDRESS=127.0.0.1:" + std::to_string(groups_port_)});
}

void Cluster::StartGroups() {
  groups_ = Launch(PLAZA_GROUPS_BINARY, groups_port_, groups_metrics_port_,
                   {"PLAZA_IDENTITY_ADDRESS=127.0.0.1:" + std::to_string(identity_port_),
                    "PLAZA_MESSAGING_ADDRESS=127.0.0.1:" + std::to_string(messaging_port_),
                    "PLAZA_INVITE_SIGNING_KEY=" + invite_signing_key_});
}

void Cluster::StartGateway() {
  gateway_ = std::make_unique<testing::ChildProcess>(
      std::vector<std::string>{PLAZA_GATEWAY_BINARY},
      std::vector<std::string>{
          "PLAZA_GRPC_HOST=127.0.0.1", "PLAZA_GRPC_PORT=" + std::to_string(gateway_port_),
          "PLAZA_METRICS_PORT=" + std::to_string(gateway_port_metrics_),
          "PLAZA_REDIS_URL=" + redis_.Url(), "PLAZA_TOKEN_PUBLIC_KEYS=" + public_keys_,
          "PLAZA_ROUTES=identity=127.0.0.1:" + std::to_string(identity_port_) +
              ";messaging=127.0.0.1:" + std::to_string(messaging_port_) +
              ";groups=127.0.0.1:" + std::to_string(groups_port_),
          "PLAZA_INSTANCE_ID=e2e-gateway",
          "PLAZA_PUSH_ROUTE_TTL_SECONDS=" + std::to_string(options_.route_ttl_seconds),
          "PLAZA_HEARTBEAT_INTERVAL_SECONDS=" + std::to_string(options_.heartbeat_interval_seconds),
          "PLAZA_DRAIN_TIMEOUT_MS=2000"});
  if (!WaitHealthy(*gateway_, gateway_port_metrics_)) {
    throw std::runtime_error("plaza-gateway did not become healthy:\n" + gateway_->Output());
  }
}

std::shared_ptr<grpc::Channel> Cluster::Connect() const {
  grpc::ChannelArguments args;
  static std::atomic<int> serial{0};
  args.SetInt("plaza.e2e.channel", ++serial);
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(gateway_port_),
                                   grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<identity::v1::IdentityService::Stub> Cluster::Identity() const {
  return identity::v1::IdentityService::NewStub(Connect());
}

std::unique_ptr<messaging::v1::MessagingService::Stub> Cluster::Messaging() const {
  return messaging::v1::MessagingService::NewStub(Connect());
}

std::unique_ptr<groups::v1::GroupsService::Stub> Cluster::Groups() const {
  return groups::v1::GroupsService::NewStub(Connect());
}

void Cluster::BeFriends(const Account& a, const Account& b) {
  auto stub = Identity();
  identity::v1::SendFriendRequestResponse sent;
  {
    grpc::ClientContext context;
    Authorize(context, a);
    identity::v1::SendFriendRequestRequest request;
    request.set_user_id(b.user_id);
    Check(stub->SendFriendRequest(&context, request, &sent), "SendFriendRequest");
  }
  if (sent.became_friends()) return;
  grpc::ClientContext context;
  Authorize(context, b);
  identity::v1::AcceptFriendRequestRequest request;
  request.set_request_id(sent.request().request_id());
  identity::v1::AcceptFriendRequestResponse accepted;
  Check(stub->AcceptFriendRequest(&context, request, &accepted), "AcceptFriendRequest");
}

std::string Cluster::LatestCode(const std::string& phone) {
  pqxx::connection connection(pg_url_);
  pqxx::work work(connection);
  auto rows = work.exec_params(
      "SELECT code FROM identity.dev_sms_outbox WHERE phone = $1 ORDER BY id DESC LIMIT 1", phone);
  if (rows.empty()) throw std::runtime_error("no code was sent to " + phone);
  return rows[0][0].as<std::string>();
}

Account Cluster::SignUp(const std::string& display_name, const std::string& device_id) {
  auto stub = Identity();
  Account account{.phone = RandomPhone(), .device_id = device_id};
  {
    grpc::ClientContext context;
    identity::v1::RequestCodeRequest request;
    request.set_phone(account.phone);
    identity::v1::RequestCodeResponse response;
    Check(stub->RequestCode(&context, request, &response), "RequestCode");
  }
  grpc::ClientContext context;
  identity::v1::RegisterRequest request;
  request.set_phone(account.phone);
  request.set_code(LatestCode(account.phone));
  request.set_display_name(display_name);
  request.set_password(kAccountPassword);
  request.mutable_device()->set_device_id(device_id);
  request.mutable_device()->set_platform(identity::v1::PLATFORM_IOS);
  identity::v1::RegisterResponse response;
  Check(stub->Register(&context, request, &response), "Register");
  account.user_id = response.profile().user_id();
  account.tokens = response.tokens();
  return account;
}

Account Cluster::LogIn(const Account& account, const std::string& device_id) {
  auto stub = Identity();
  grpc::ClientContext context;
  identity::v1::LoginRequest request;
  request.set_phone(account.phone);
  request.set_password(kAccountPassword);
  request.mutable_device()->set_device_id(device_id);
  request.mutable_device()->set_platform(identity::v1::PLATFORM_ANDROID);
  identity::v1::LoginResponse response;
  Check(stub->Login(&context, request, &response), "Login");
  Account other = account;
  other.device_id = device_id;
  other.tokens = response.tokens();
  return other;
}

}  // namespace plaza::e2e
