#pragma once

// The services a chat needs, inside one test process and wired the way their main()s wire them:
// identity's InternalService, messaging (client and internal API) and groups (client and
// internal API), each on a gRPC server of its own with the real interceptors, against a fresh
// PostgreSQL database and the test Redis. Time is one FakeClock shared by everything, so
// windows, mutes and expiries are tested without sleeping. Messaging's server can start late,
// to play an outage. Service tests (messaging's, groups') build their fixtures on it.

#include <grpcpp/create_channel.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "plaza/auth/token.h"
#include "plaza/core/ids.h"
#include "plaza/core/status.h"
#include "plaza/events/event_sender.h"
#include "plaza/pg/migrate.h"
#include "plaza/rpc/server.h"
#include "plaza/testing/rpc_call.h"
#include "plaza/testing/testing.h"
#include "push_probe.h"
#include "services/groups/groups_service.h"
#include "services/groups/migrations.h"
#include "services/identity/identity_service.h"
#include "services/identity/migrations.h"
#include "services/messaging/messaging_service.h"
#include "services/messaging/migrations.h"

namespace plaza::testing {

// Randomness for ids the tests make up (client ids, phone numbers).
inline std::mt19937_64& Random() {
  static std::mt19937_64 engine{std::random_device{}()};
  return engine;
}

struct TestUser {
  int64_t user_id = 0;
  std::string device_id;
  std::string token;
};

class InProcessServices {
 public:
  explicit InProcessServices(bool messaging_up = true) {
    using namespace std::chrono_literals;
    REQUIRE(pg::Migrate(pg, "identity", identity::Migrations()).ok());
    REQUIRE(pg::Migrate(pg, "messaging", messaging::Migrations()).ok());
    REQUIRE(pg::Migrate(pg, "groups", groups::Migrations()).ok());
    identity_server.Register(&identity_internal);
    REQUIRE(identity_server.Start().ok());
    identity_server.SetServing(true);
    identity_channel = Channel(identity_server.grpc_port());

    relations = std::make_unique<messaging::Relations>(identity_channel, 2s, redis_url);
    group_policies =
        std::make_unique<messaging::GroupPolicies>(Channel(groups_port), 2s, redis_url);
    messaging_service = std::make_unique<messaging::MessagingService>(messaging_store, *relations,
                                                                      *group_policies, pushes);
    if (messaging_up) StartMessaging();

    people = std::make_unique<groups::People>(identity_channel, 2s);
    relay = std::make_unique<groups::OutboxRelay>(groups_store, *people, Channel(messaging_port),
                                                  2s, clock);
    groups_service = std::make_unique<groups::GroupsService>(
        groups::GroupsDependencies{groups_store, *people, *relay, invites, clock, redis});
    groups_server.Register(groups_service.get());
    groups_server.Register(&groups_internal);
    REQUIRE(groups_server.Start().ok());
    groups_server.SetServing(true);

    messaging = messaging::v1::MessagingService::NewStub(Channel(messaging_port));
    messaging_internal_stub = messaging::v1::InternalService::NewStub(Channel(messaging_port));
    groups = groups::v1::GroupsService::NewStub(Channel(groups_port));
    groups_internal_stub = groups::v1::InternalService::NewStub(Channel(groups_port));
    // Answers are remembered only while announcements are heard; tests rely on remembering.
    for (int i = 0; i < 500 && !(relations->listening() && group_policies->listening()); ++i) {
      std::this_thread::sleep_for(10ms);
    }
    REQUIRE(relations->listening());
    REQUIRE(group_policies->listening());
  }

  void StartMessaging() {
    messaging_server = std::make_unique<rpc::Server>(rpc::ServerOptions{.service_name = "messaging",
                                                                        .host = "127.0.0.1",
                                                                        .grpc_port = messaging_port,
                                                                        .metrics_port = -1},
                                                     &verifier, &revocations);
    messaging_server->Register(messaging_service.get());
    messaging_server->Register(&messaging_internal);
    REQUIRE(messaging_server->Start().ok());
    messaging_server->SetServing(true);
  }

  // A new account with a token for `device_id`, whose pushes the probe collects.
  TestUser NewUser(const std::string& name, const std::string& device_id = "phone") {
    std::string phone = "+86139" + std::to_string(10'000'000 + next_phone++);
    auto account =
        identity_store.CreateAccount({.phone = phone, .phone_hash = phone, .display_name = name});
    REQUIRE(account.ok());
    return Device(account->profile.user_id(), device_id);
  }

  // Another device of the same user.
  TestUser Device(int64_t user_id, const std::string& device_id) {
    auth::Claims claims;
    claims.kind = auth::TokenKind::kAccess;
    claims.user_id = user_id;
    claims.device_id = device_id;
    claims.session_id = ids.Next();
    claims.issued_at = clock.Now();
    claims.expires_at = claims.issued_at + std::chrono::hours(24);
    probe.Connect(user_id, device_id);
    return TestUser{user_id, device_id, signer.Sign(claims)};
  }

  // Makes the two friends, if they are not yet.
  void BeFriends(const TestUser& a, const TestUser& b) {
    auto sent = identity_store.SendFriendRequest(a.user_id, b.user_id, "hi",
                                                 identity::v1::FRIEND_REQUEST_SOURCE_SEARCH);
    if (ReasonOf(sent.status()) == "ALREADY_FRIENDS") return;
    REQUIRE(sent.ok());
    if (!sent->became_friends) {
      REQUIRE(identity_store.AcceptFriendRequest(b.user_id, sent->request.request_id(), "").ok());
    }
  }

  // `count` new users, each a friend of `of`.
  std::vector<TestUser> Friends(const TestUser& of, int count, const std::string& name = "Friend") {
    std::vector<TestUser> friends;
    for (int i = 0; i < count; ++i) {
      friends.push_back(NewUser(name + " " + std::to_string(i)));
      BeFriends(of, friends.back());
    }
    return friends;
  }

  core::FakeClock clock{core::SystemClock::Instance().Now()};
  TestDatabase db;
  pg::Pool pg{
      {.url = db.url(), .max_connections = 32, .acquire_timeout = std::chrono::seconds(30)}};
  std::string redis_url = TestRedisUrl();
  redis::Pool redis{{.url = redis_url}};
  core::IdGenerator ids{static_cast<int64_t>(Random()() % 1024), clock};
  auth::KeyPair keys = auth::GenerateKeyPair("test-key");
  auth::Signer signer = *auth::Signer::Create(keys.signing_key);
  auth::Verifier verifier = *auth::Verifier::Create(keys.public_key, clock);
  rpc::SessionRevocations revocations{redis, std::chrono::seconds(960)};
  std::atomic<int64_t> next_phone{static_cast<int64_t>(Random()() % 50'000'000)};

  identity::IdentityStore identity_store{pg, ids, clock};
  identity::InternalService identity_internal{identity_store};
  rpc::Server identity_server{{.service_name = "identity", .host = "127.0.0.1", .metrics_port = -1},
                              &verifier,
                              &revocations};
  std::shared_ptr<grpc::Channel> identity_channel;

  const int messaging_port = FreePort();
  const int groups_port = FreePort();

  messaging::MessagingStore messaging_store{pg, ids, clock};
  std::unique_ptr<messaging::Relations> relations;
  std::unique_ptr<messaging::GroupPolicies> group_policies;
  events::Publisher publisher{redis};
  events::EventSender sender{publisher, ids, clock};
  messaging::Pushes pushes{sender};
  std::unique_ptr<messaging::MessagingService> messaging_service;
  messaging::InternalService messaging_internal{messaging_store, pushes};
  std::unique_ptr<rpc::Server> messaging_server;

  groups::GroupsStore groups_store{pg, ids, clock};
  std::unique_ptr<groups::People> people;
  std::unique_ptr<groups::OutboxRelay> relay;
  groups::InviteSigner invites =
      *groups::InviteSigner::Create("test-invite-key-0123456789abcdef0123456789");
  std::unique_ptr<groups::GroupsService> groups_service;
  groups::InternalService groups_internal{groups_store, clock};
  rpc::Server groups_server{
      {.service_name = "groups", .host = "127.0.0.1", .grpc_port = groups_port, .metrics_port = -1},
      &verifier,
      &revocations};

  std::unique_ptr<messaging::v1::MessagingService::Stub> messaging;
  std::unique_ptr<messaging::v1::InternalService::Stub> messaging_internal_stub;
  std::unique_ptr<groups::v1::GroupsService::Stub> groups;
  std::unique_ptr<groups::v1::InternalService::Stub> groups_internal_stub;
  events::testing::PushProbe probe{redis, redis_url};

 private:
  // Reconnects quickly once a server is back, as the outage tests need.
  static std::shared_ptr<grpc::Channel> Channel(int port) {
    grpc::ChannelArguments arguments;
    arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
    arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
    arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 100);
    return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                     grpc::InsecureChannelCredentials(), arguments);
  }
};

// Calls as `user` (or anonymously, with nullptr); an INTERNAL answer is always a bug.
template <typename Stub, typename Request, typename Response>
Outcome CallAs(Stub& stub, Method<Stub, Request, Response> method, const TestUser* user,
               const Request& request, Response* response) {
  Outcome outcome =
      Call(stub, method, user != nullptr ? user->token : std::string(), request, response);
  if (outcome.code == grpc::StatusCode::INTERNAL) FAIL("INTERNAL: " << outcome.message);
  return outcome;
}

// The client stub of the service `method` belongs to: messaging's or groups'.
template <typename Stub>
Stub& StubFor(InProcessServices& services) {
  if constexpr (std::is_same_v<Stub, groups::v1::GroupsService::Stub>) {
    return *services.groups;
  } else {
    return *services.messaging;
  }
}

// Calls as `user` and requires success.
template <typename Stub, typename Request, typename Response>
Response Ok(InProcessServices& services, Method<Stub, Request, Response> method,
            const TestUser& user, const Request& request) {
  Response response;
  auto outcome = CallAs(StubFor<Stub>(services), method, &user, request, &response);
  INFO("reason: " << outcome.reason);
  REQUIRE(outcome.ok());
  return response;
}

// The reason of a refusal, after checking its code.
template <typename Stub, typename Request, typename Response>
std::string Refused(InProcessServices& services, Method<Stub, Request, Response> method,
                    const TestUser& user, const Request& request, grpc::StatusCode expected) {
  Response response;
  auto outcome = CallAs(StubFor<Stub>(services), method, &user, request, &response);
  CHECK(outcome.code == expected);
  return outcome.reason;
}

}  // namespace plaza::testing
