// plaza-identity: wires configuration, pools, store and service into a running server.

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "plaza/auth/token.h"
#include "plaza/core/config.h"
#include "plaza/core/ids.h"
#include "plaza/core/logging.h"
#include "plaza/events/event_sender.h"
#include "plaza/events/publisher.h"
#include "plaza/pg/migrate.h"
#include "plaza/redis/rate_limiter.h"
#include "plaza/rpc/echo_service.h"
#include "plaza/rpc/server.h"
#include "plaza/rpc/service_config.h"
#include "services/identity/config.h"
#include "services/identity/identity_service.h"
#include "services/identity/migrations.h"
#include "services/identity/notifier.h"
#include "services/identity/revocation_mirror.h"

int main(int argc, char** argv) {
  using namespace plaza;
  rpc::BlockTerminationSignals();
  auto config = core::Config::LoadOrExit(identity::ConfigKeys(), argc, argv);
  core::InitLogging("identity", config.String("log_level"));
  spdlog::info("starting with {}", config.Describe());

  const auto& clock = core::SystemClock::Instance();
  auto signer =
      rpc::OrExit(auth::Signer::Create(config.String("token_signing_key")), "token_signing_key");
  auto verifier = rpc::OrExit(auth::Verifier::Create(config.String("token_public_keys"), clock),
                              "token_public_keys");
  identity::IdentityOptions options;
  options.access_token_ttl = std::chrono::seconds(config.Int("access_token_ttl_seconds"));
  const std::string& strength = config.String("password_hash_strength");
  if (strength != "interactive" && strength != "fast_for_tests") {
    spdlog::critical("PLAZA_PASSWORD_HASH_STRENGTH must be interactive or fast_for_tests");
    return 2;
  }
  if (strength == "fast_for_tests") options.password_strength = auth::HashStrength::kFastForTests;
  if (!config.Bool("dev_mode")) {
    spdlog::critical("no SMS provider is configured; set PLAZA_DEV_MODE=true for development");
    return 2;
  }

  pg::Pool pg({.url = config.String("pg_url"),
               .max_connections = static_cast<int>(config.Int("pg_pool_size"))});
  redis::Pool redis({.url = config.String("redis_url"),
                     .max_connections = static_cast<int>(config.Int("redis_pool_size"))});
  core::IdGenerator ids(config.Int("node_id"), clock);
  identity::IdentityStore store(pg, ids, clock);
  // Revocations must outlive every access token minted before them, plus clock skew.
  auto remember = options.access_token_ttl + std::chrono::seconds(60);
  rpc::SessionRevocations revocations(redis, remember);
  redis::RateLimiter limiter(redis);
  identity::DevSmsSender sms(store);
  events::Publisher publisher(redis);
  events::EventSender events(publisher, ids, clock);
  identity::Notifier notifier(events, redis);
  identity::IdentityService service(
      {store, signer, verifier, revocations, limiter, sms, notifier, clock}, options);
  identity::InternalService internal(store);
  identity::RevocationMirror mirror(store, revocations, clock, remember, std::chrono::seconds(30));

  rpc::Server server(rpc::ServerOptionsFrom(config, "identity"), &verifier, &revocations);
  server.Register(&service);
  server.Register(&internal);
  // Diagnostics: the bare cost of a call, direct or through the gateway (plaza-bench proxy).
  rpc::EchoService echo;
  server.Register(&echo);
  // Serving waits for the schema and for Redis; either may come up after us.
  int exit_code =
      rpc::ServeUntilTerminated(server, "identity", [&](const std::atomic<bool>& stopping) {
        if (!pg::MigrateWhenReachable(pg, "identity", identity::Migrations(), stopping))
          return false;
        absl::Status pinged;
        while (!stopping && !(pinged = redis.Ping()).ok()) {
          spdlog::warn("redis not ready ({}); retrying", pinged.ToString());
          std::this_thread::sleep_for(std::chrono::seconds(1));
        }
        if (stopping) return false;
        mirror.Start();
        return true;
      });
  mirror.Stop();
  pg.Close();
  spdlog::info("stopped");
  return exit_code;
}
