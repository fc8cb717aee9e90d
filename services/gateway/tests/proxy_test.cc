// The proxy against real backends (plaza_relay_backend processes) and a real Redis: every call
// kind, metadata and status pass-through, deadlines and cancellation, the door (tokens,
// allow-list, rate limits, overload shedding), limits on messages and streams, and failover.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <future>
#include <set>
#include <thread>

#include "plaza/relay/v1/relay_service.grpc.pb.h"
#include "plaza/testing/testing.h"
#include "services/gateway/tests/gateway_harness.h"

using namespace std::chrono_literals;
using plaza::gateway::testing::GatewayHarness;
using plaza::relay::v1::RelayRequest;
using plaza::relay::v1::RelayResponse;
using plaza::relay::v1::RelayService;

namespace {

std::string Trailer(const grpc::ClientContext& context, const std::string& key) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(key);
  return it == trailers.end() ? "" : std::string(it->second.data(), it->second.size());
}

struct Backend {
  explicit Backend(std::string backend_name) : name(std::move(backend_name)) { Start(); }
  void Start() {
    process = std::make_unique<plaza::testing::ChildProcess>(
        std::vector<std::string>{PLAZA_RELAY_BACKEND, std::to_string(port), name},
        std::vector<std::string>{});
    REQUIRE(plaza::testing::WaitForPort(port, 10s));
  }
  void Kill() {
    process->Signal(SIGKILL);
    process->Wait(5s);
  }
  std::string Address() const { return "127.0.0.1:" + std::to_string(port); }

  std::string name;
  int port = plaza::testing::FreePort();
  std::unique_ptr<plaza::testing::ChildProcess> process;
};

struct Setup {
  explicit Setup(plaza::gateway::testing::HarnessOptions options = {}) {
    if (options.routes.empty()) {
      options.routes = "relay=" + a.Address() + "," + b.Address() + ";identity=" + a.Address() +
                       ";messaging=" + a.Address() + ";moments=" + a.Address() +
                       ";payments=" + a.Address();
    }
    options.redis_url = redis.Url();
    gateway = std::make_unique<GatewayHarness>(options);
    channel = gateway->NewChannel();
    relay = RelayService::NewStub(channel);
  }

  void Authorize(grpc::ClientContext& context, int64_t user = 42,
                 const std::string& device = "phone", int64_t session = 7) {
    context.AddMetadata("authorization", "Bearer " + gateway->Token(user, device, session));
  }

  // A unary call with raw bytes to any method, the way a client of an unknown service would.
  grpc::Status Raw(grpc::ClientContext& context, const std::string& method,
                   const std::string& payload = "x") {
    grpc::GenericStub stub(channel);
    grpc::Slice slice(payload);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                   [&](grpc::Status status) { done.set_value(std::move(status)); });
    return done.get_future().get();
  }

  grpc::Status RawAs(int64_t user, const std::string& method) {
    grpc::ClientContext context;
    Authorize(context, user);
    return Raw(context, method);
  }

  plaza::testing::RedisServer redis;
  Backend a{"a"};
  Backend b{"b"};
  std::unique_ptr<GatewayHarness> gateway;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<RelayService::Stub> relay;
};

RelayRequest Request(std::string text, int repeat = 0) {
  RelayRequest request;
  request.set_text(std::move(text));
  request.set_repeat(repeat);
  return request;
}

}  // namespace

TEST_CASE("unary calls pass through with verified identity and clean metadata", "[proxy]") {
  Setup setup;
  grpc::ClientContext context;
  setup.Authorize(context, 42, "phone", 7);
  context.AddMetadata("x-plaza-user-id", "1");  // forged: must not reach the backend
  context.AddMetadata("x-plaza-client-ip", "6.6.6.6");
  context.AddMetadata("x-plaza-anything", "forged");
  context.AddMetadata("x-app-version", "3.1");
  RelayResponse response;
  REQUIRE(setup.relay->Unary(&context, Request("hi"), &response).ok());
  CHECK(response.text() == "hi");
  const auto& seen = response.metadata();
  CHECK(seen.at("x-plaza-user-id") == "42");
  CHECK(seen.at("x-plaza-device-id") == "phone");
  CHECK(seen.at("x-plaza-session-id") == "7");
  CHECK(seen.at("x-plaza-client-ip") == "127.0.0.1");
  CHECK(seen.count("x-plaza-anything") == 0);
  CHECK(seen.at("x-app-version") == "3.1");
  CHECK(seen.at("authorization").starts_with("Bearer "));  // services verify it again
  CHECK_FALSE(seen.at("x-plaza-request-id").empty());
  CHECK(Trailer(context, "x-plaza-request-id") == seen.at("x-plaza-request-id"));
  CHECK(context.GetServerInitialMetadata().count("x-relay-initial") == 1);
  CHECK(Trailer(context, "x-relay-detail") == "fine");
}

TEST_CASE("server, client and bidi streams pass through in order", "[proxy]") {
  Setup setup;
  SECTION("server streaming") {
    grpc::ClientContext context;
    setup.Authorize(context);
    auto reader = setup.relay->ServerStream(&context, Request("s", 200));
    RelayResponse response;
    int count = 0;
    while (reader->Read(&response)) {
      CHECK(response.text() == "s#" + std::to_string(count));
      ++count;
    }
    CHECK(reader->Finish().ok());
    CHECK(count == 200);
  }
  SECTION("client streaming") {
    grpc::ClientContext context;
    setup.Authorize(context);
    RelayResponse response;
    auto writer = setup.relay->ClientStream(&context, &response);
    for (int i = 0; i < 50; ++i) REQUIRE(writer->Write(Request(std::to_string(i % 10))));
    writer->WritesDone();
    REQUIRE(writer->Finish().ok());
    CHECK(response.received() == 50);
    CHECK(response.text().size() == 50);
  }
  SECTION("bidi ping-pong") {
    grpc::ClientContext context;
    setup.Authorize(context);
    auto stream = setup.relay->Bidi(&context);
    for (int i = 0; i < 100; ++i) {
      REQUIRE(stream->Write(Request("m" + std::to_string(i))));
      RelayResponse response;
      REQUIRE(stream->Read(&response));
      CHECK(response.text() == "m" + std::to_string(i));
      CHECK(response.received() == i + 1);
    }
    stream->WritesDone();
    CHECK(stream->Finish().ok());
  }
}

TEST_CASE("status codes, messages and trailing metadata come back unchanged", "[proxy]") {
  Setup setup;
  for (auto code : {grpc::StatusCode::NOT_FOUND, grpc::StatusCode::FAILED_PRECONDITION,
                    grpc::StatusCode::PERMISSION_DENIED, grpc::StatusCode::INTERNAL}) {
    grpc::ClientContext context;
    setup.Authorize(context);
    auto request = Request("boom");
    request.set_fail_code(code);
    RelayResponse response;
    grpc::Status status = setup.relay->Unary(&context, request, &response);
    CHECK(status.error_code() == code);
    CHECK(status.error_message() == "failed: boom");
    CHECK(Trailer(context, "x-relay-detail") == "failed on purpose");
    CHECK(Trailer(context, "x-relay-blob-bin") == std::string("\0\1\2\xff", 4));
  }
  // An error after some streamed messages.
  grpc::ClientContext context;
  setup.Authorize(context);
  auto stream = setup.relay->Bidi(&context);
  REQUIRE(stream->Write(Request("ok")));
  RelayResponse response;
  REQUIRE(stream->Read(&response));
  auto failing = Request("late");
  failing.set_fail_code(grpc::StatusCode::ABORTED);
  REQUIRE(stream->Write(failing));
  CHECK_FALSE(stream->Read(&response));
  grpc::Status status = stream->Finish();
  CHECK(status.error_code() == grpc::StatusCode::ABORTED);
  CHECK(status.error_message() == "failed: late");
}

TEST_CASE("deadlines are passed on and capped", "[proxy]") {
  Setup setup;  // the harness caps deadlines at 5 s
  // grpc-timeout travels in whole units, rounded up, so a forwarded deadline may gain a little.
  constexpr int64_t kSlackMs = 50;
  constexpr int64_t kCapMs = 5000 + kSlackMs;
  RelayResponse response;
  {
    grpc::ClientContext context;
    setup.Authorize(context);
    context.set_deadline(std::chrono::system_clock::now() + 2s);
    REQUIRE(setup.relay->Unary(&context, Request("d"), &response).ok());
    CHECK(response.deadline_ms() > 1000);
    CHECK(response.deadline_ms() <= 2000 + kSlackMs);
  }
  {
    grpc::ClientContext context;  // none: gets the cap
    setup.Authorize(context);
    REQUIRE(setup.relay->Unary(&context, Request("d"), &response).ok());
    CHECK(response.deadline_ms() > 4000);
    CHECK(response.deadline_ms() <= kCapMs);
  }
  {
    grpc::ClientContext context;  // longer than the cap: capped
    setup.Authorize(context);
    context.set_deadline(std::chrono::system_clock::now() + 1h);
    REQUIRE(setup.relay->Unary(&context, Request("d"), &response).ok());
    CHECK(response.deadline_ms() <= kCapMs);
  }
  {
    grpc::ClientContext context;  // expires while the backend holds it
    setup.Authorize(context);
    context.set_deadline(std::chrono::system_clock::now() + 200ms);
    auto slow = Request("slow");
    slow.set_hold_ms(3000);
    auto started = std::chrono::steady_clock::now();
    CHECK(setup.relay->Unary(&context, slow, &response).error_code() ==
          grpc::StatusCode::DEADLINE_EXCEEDED);
    CHECK(std::chrono::steady_clock::now() - started < 2s);
  }
}

TEST_CASE("cancellation travels from the client to the backend", "[proxy]") {
  Setup setup;
  grpc::ClientContext context;
  setup.Authorize(context);
  auto stream = setup.relay->Bidi(&context);
  auto hold = Request("hold");
  hold.set_hold_ms(10'000);
  REQUIRE(stream->Write(hold));
  std::this_thread::sleep_for(200ms);
  context.TryCancel();
  RelayResponse response;
  CHECK_FALSE(stream->Read(&response));
  CHECK(stream->Finish().error_code() == grpc::StatusCode::CANCELLED);
  // The backend that held the call saw it cancelled; poll both, since balancing picked one.
  bool seen = false;
  for (int attempt = 0; attempt < 100 && !seen; ++attempt) {
    int total = 0;
    for (int i = 0; i < 4; ++i) {
      grpc::ClientContext probe;
      setup.Authorize(probe);
      RelayResponse answer;
      REQUIRE(setup.relay->Unary(&probe, Request("count"), &answer).ok());
      total = std::max(total, answer.cancelled_calls());
    }
    seen = total >= 1;
    if (!seen) std::this_thread::sleep_for(20ms);
  }
  CHECK(seen);
}

TEST_CASE("backends are balanced and a killed one is skipped until it is back", "[proxy]") {
  Setup setup;
  auto backends_answering = [&](int calls) {
    std::set<std::string> names;
    for (int i = 0; i < calls; ++i) {
      grpc::ClientContext context;
      setup.Authorize(context);
      RelayResponse response;
      grpc::Status status = setup.relay->Unary(&context, Request("who"), &response);
      if (status.ok()) names.insert(response.backend());
    }
    return names;
  };
  // Round robin reaches both once both are healthy.
  std::set<std::string> names;
  for (int attempt = 0; attempt < 50 && names.size() < 2; ++attempt) names = backends_answering(10);
  CHECK(names == std::set<std::string>{"a", "b"});

  // A call in flight on a backend that dies gets UNAVAILABLE.
  std::vector<std::future<grpc::Status>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::async(std::launch::async, [&] {
      grpc::ClientContext context;
      setup.Authorize(context);
      auto slow = Request("slow");
      slow.set_hold_ms(5000);
      RelayResponse response;
      return setup.relay->Unary(&context, slow, &response);
    }));
  }
  std::this_thread::sleep_for(300ms);
  setup.a.Kill();
  int unavailable = 0;
  for (auto& call : held) unavailable += call.get().error_code() == grpc::StatusCode::UNAVAILABLE;
  CHECK(unavailable >= 1);  // round robin sent some of the four to a

  // Every later call goes to b.
  names = backends_answering(20);
  CHECK(names == std::set<std::string>{"b"});

  // a comes back and is used again.
  setup.a.Start();
  names.clear();
  for (int attempt = 0; attempt < 100 && names.count("a") == 0; ++attempt) {
    names = backends_answering(4);
    if (names.count("a") == 0) std::this_thread::sleep_for(50ms);
  }
  CHECK(names.count("a") == 1);
}

TEST_CASE("with every backend of a route down, calls fail fast with UNAVAILABLE and recover",
          "[proxy]") {
  Setup setup;
  setup.a.Kill();
  grpc::ClientContext context;
  setup.Authorize(context);
  context.set_deadline(std::chrono::system_clock::now() + 5s);
  auto started = std::chrono::steady_clock::now();
  CHECK(setup.Raw(context, "/plaza.messaging.v1.MessagingService/SendMessage").error_code() ==
        grpc::StatusCode::UNAVAILABLE);
  CHECK(std::chrono::steady_clock::now() - started < 4s);
  setup.a.Start();
  bool recovered = false;
  for (int attempt = 0; attempt < 100 && !recovered; ++attempt) {
    recovered = setup.RawAs(42, "/plaza.messaging.v1.MessagingService/SendMessage").ok();
    if (!recovered) std::this_thread::sleep_for(50ms);
  }
  CHECK(recovered);
}

TEST_CASE("the door: tokens, the public allow-list and unroutable methods", "[proxy][auth]") {
  Setup setup;
  SECTION("public methods need no token") {
    for (const char* method : {"/plaza.identity.v1.IdentityService/Login",
                               "/plaza.identity.v1.IdentityService/RequestCode"}) {
      grpc::ClientContext context;
      CHECK(setup.Raw(context, method).ok());
    }
  }
  SECTION("everything else does") {
    grpc::ClientContext context;
    grpc::Status status = setup.Raw(context, "/plaza.identity.v1.IdentityService/GetMyProfile");
    CHECK(status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
    CHECK(Trailer(context, "x-plaza-reason") == "TOKEN_MISSING");
  }
  SECTION("garbage, foreign, expired and revoked tokens are refused") {
    auto refused = [&](const std::string& header) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", header);
      grpc::Status status = setup.Raw(context, "/plaza.messaging.v1.MessagingService/SendMessage");
      CHECK(status.error_code() == grpc::StatusCode::UNAUTHENTICATED);
      return Trailer(context, "x-plaza-reason");
    };
    CHECK(refused("Bearer garbage") == "TOKEN_MALFORMED");
    CHECK(refused("Basic abc") == "TOKEN_MALFORMED");
    CHECK(refused("Bearer " + setup.gateway->ForeignToken(42)) == "TOKEN_BAD_SIGNATURE");
    CHECK(refused("Bearer " + setup.gateway->Token(42, "d", 1, -1s)) == "TOKEN_EXPIRED");
    REQUIRE(setup.gateway->revocations().Revoke({99}).ok());
    CHECK(refused("Bearer " + setup.gateway->Token(42, "d", 99)) == "SESSION_REVOKED");
  }
  SECTION("unknown, internal and unconfigured methods are UNIMPLEMENTED") {
    for (const char* method :
         {"/plaza.identity.v1.InternalService/GetFriendIds", "/nothing/here",
          "/plaza.groups.v1.GroupsService/CreateGroup", "/grpc.health.v1.Foo/Bar"}) {
      INFO(method);
      grpc::ClientContext context;
      setup.Authorize(context);
      CHECK(setup.Raw(context, method).error_code() == grpc::StatusCode::UNIMPLEMENTED);
    }
  }
}

TEST_CASE("rate limits answer RESOURCE_EXHAUSTED with a retry hint, per user", "[proxy][limits]") {
  plaza::gateway::testing::HarnessOptions options;
  options.rate_limits = "default:user=1/3 public:ip=1/2";
  Setup setup(options);
  const std::string method = "/plaza.messaging.v1.MessagingService/SendMessage";
  for (int i = 0; i < 3; ++i) CHECK(setup.RawAs(42, method).ok());
  grpc::ClientContext context;
  setup.Authorize(context, 42);
  grpc::Status status = setup.Raw(context, method);
  CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  CHECK(Trailer(context, "x-plaza-reason") == "RATE_LIMITED");
  CHECK(std::stoi(Trailer(context, "x-plaza-retry-after-ms")) > 0);
  CHECK(setup.RawAs(43, method).ok());  // another user is unaffected
  setup.gateway->clock().Advance(1s);
  CHECK(setup.RawAs(42, method).ok());  // refilled
  // Anonymous public calls are limited per IP.
  int refused = 0;
  for (int i = 0; i < 4; ++i) {
    grpc::ClientContext anonymous;
    refused += setup.Raw(anonymous, "/plaza.identity.v1.IdentityService/Login").error_code() ==
               grpc::StatusCode::RESOURCE_EXHAUSTED;
  }
  CHECK(refused == 2);
}

TEST_CASE("under overload the lowest priorities are shed first", "[proxy][overload]") {
  Setup setup;
  const std::string login = "/plaza.identity.v1.IdentityService/Login";
  const std::string pay = "/plaza.payments.v1.PaymentsService/Transfer";
  const std::string chat = "/plaza.messaging.v1.MessagingService/SendMessage";
  const std::string moments = "/plaza.moments.v1.MomentsService/ListTimeline";
  const std::string search = "/plaza.messaging.v1.MessagingService/SearchMessages";
  auto admitted = [&](const std::string& method, int users) {
    int ok = 0;
    for (int user = 1; user <= users; ++user) {
      grpc::ClientContext context;
      if (method != login) setup.Authorize(context, user);
      grpc::Status status = setup.Raw(context, method);
      if (status.ok()) {
        ++ok;
      } else {
        CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
        CHECK(Trailer(context, "x-plaza-reason") == "OVERLOADED");
        CHECK_FALSE(Trailer(context, "x-plaza-retry-after-ms").empty());
      }
    }
    return ok;
  };
  // Not overloaded: everything gets in.
  for (const auto& method : {login, pay, chat, moments, search}) CHECK(admitted(method, 20) == 20);

  // Sustained queueing delay above the threshold, window after window, with a mixed load.
  auto overloaded_window = [&] {
    for (const auto& method : {login, pay, chat, moments, search}) admitted(method, 10);
    setup.gateway->admission().ObserveQueueDelay(50ms);
    setup.gateway->clock().Advance(150ms);
    setup.gateway->admission().ObserveQueueDelay(50ms);
  };
  for (int window = 0; window < 200 && admitted(search, 20) > 0; ++window) overloaded_window();
  CHECK(admitted(search, 20) == 0);  // search goes first
  CHECK(admitted(chat, 20) == 20);   // chat, payments and logins still flow
  CHECK(admitted(pay, 20) == 20);
  CHECK(admitted(login, 20) == 20);
  for (int window = 0; window < 400 && admitted(moments, 20) > 0; ++window) overloaded_window();
  CHECK(admitted(moments, 20) == 0);
  CHECK(admitted(pay, 20) == 20);
  CHECK(admitted(login, 20) == 20);
  for (int window = 0; window < 2000 && admitted(pay, 20) > 0; ++window) overloaded_window();
  CHECK(admitted(chat, 20) == 0);    // payments fell after chat
  CHECK(admitted(login, 20) == 20);  // logins are never shed
  CHECK(setup.gateway->server().metrics().Value(
            "plaza_gateway_refused_total",
            plaza::rpc::Metrics::Labels({{"route", "messaging"}, {"reason", "OVERLOADED"}})) > 0);
}

TEST_CASE("oversized messages are refused without harming other calls", "[proxy][limits]") {
  plaza::gateway::testing::HarnessOptions options;
  options.max_message_bytes = 64 * 1024;
  Setup setup(options);
  grpc::ClientContext big;
  setup.Authorize(big);
  RelayResponse response;
  grpc::Status status = setup.relay->Unary(&big, Request(std::string(100 * 1024, 'x')), &response);
  CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  grpc::ClientContext small;
  setup.Authorize(small);
  CHECK(setup.relay->Unary(&small, Request("fine"), &response).ok());
}

TEST_CASE("a connection gets at most max_concurrent_streams calls at once", "[proxy][limits]") {
  plaza::gateway::testing::HarnessOptions options;
  options.max_concurrent_streams = 4;
  Setup setup(options);
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReaderWriter<RelayRequest, RelayResponse>>> streams;
  for (int i = 0; i < 4; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    setup.Authorize(*contexts.back());
    streams.push_back(setup.relay->Bidi(contexts.back().get()));
    REQUIRE(streams.back()->Write(Request("open")));
    RelayResponse response;
    REQUIRE(streams.back()->Read(&response));
  }
  {
    grpc::ClientContext context;  // a fifth call on the same connection waits for a slot
    setup.Authorize(context);
    context.set_deadline(std::chrono::system_clock::now() + 300ms);
    RelayResponse response;
    CHECK(setup.relay->Unary(&context, Request("fifth"), &response).error_code() ==
          grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  {
    auto other = RelayService::NewStub(setup.gateway->NewChannel());  // another client is served
    grpc::ClientContext context;
    setup.Authorize(context);
    RelayResponse response;
    CHECK(other->Unary(&context, Request("other"), &response).ok());
  }
  for (auto& stream : streams) {
    stream->WritesDone();
    CHECK(stream->Finish().ok());
  }
}

TEST_CASE("losing Redis keeps unary calls working on signature and expiry", "[proxy][redis]") {
  Setup setup;
  setup.redis.Stop();
  grpc::ClientContext context;
  setup.Authorize(context);
  RelayResponse response;
  CHECK(setup.relay->Unary(&context, Request("still here"), &response).ok());
  setup.redis.Start();
}

TEST_CASE("a request the backend cannot parse is INVALID_ARGUMENT, not INTERNAL", "[proxy]") {
  Setup setup;
  grpc::ClientContext context;
  setup.Authorize(context);
  // Field 1 (string) holding invalid UTF-8.
  grpc::Status status =
      setup.Raw(context, "/plaza.relay.v1.RelayService/Unary", std::string("\x0a\x02\xc3\x28", 4));
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(Trailer(context, "x-plaza-reason") == "MALFORMED_REQUEST");
  CHECK(status.error_message() == "the request does not parse as the method's message");
}
