// plaza-messaging: wires configuration, pools, store and service into a running server.

#include <grpcpp/create_channel.h>
#include <spdlog/spdlog.h>

#include <atomic>

#include "plaza/auth/token.h"
#include "plaza/core/config.h"
#include "plaza/core/ids.h"
#include "plaza/core/logging.h"
#include "plaza/events/event_sender.h"
#include "plaza/events/publisher.h"
#include "plaza/pg/migrate.h"
#include "plaza/rpc/server.h"
#include "plaza/rpc/service_config.h"
#include "services/messaging/config.h"
#include "services/messaging/messaging_service.h"
#include "services/messaging/migrations.h"

int main(int argc, char** argv) {
  using namespace plaza;
  rpc::BlockTerminationSignals();
  auto config = core::Config::LoadOrExit(messaging::ConfigKeys(), argc, argv);
  core::InitLogging("messaging", config.String("log_level"));
  spdlog::info("starting with {}", config.Describe());

  const auto& clock = core::SystemClock::Instance();
  auto verifier = rpc::OrExit(auth::Verifier::Create(config.String("token_public_keys"), clock),
                              "token_public_keys");
  pg::Pool pg({.url = config.String("pg_url"),
               .max_connections = static_cast<int>(config.Int("pg_pool_size"))});
  redis::Pool redis({.url = config.String("redis_url"),
                     .max_connections = static_cast<int>(config.Int("redis_pool_size"))});
  // Logouts take effect here at once: the revocation set identity writes (and alone expires).
  rpc::SessionRevocations revocations(redis, std::chrono::hours(2));
  core::IdGenerator ids(config.Int("node_id"), clock);
  messaging::MessagingStore store(pg, ids, clock);
  messaging::Relations relations(
      grpc::CreateChannel(config.String("identity_address"), grpc::InsecureChannelCredentials()),
      std::chrono::milliseconds(config.Int("identity_deadline_ms")), config.String("redis_url"));
  messaging::GroupPolicies group_policies(
      grpc::CreateChannel(config.String("groups_address"), grpc::InsecureChannelCredentials()),
      std::chrono::milliseconds(config.Int("groups_deadline_ms")), config.String("redis_url"));
  events::Publisher publisher(redis);
  events::EventSender sender(publisher, ids, clock);
  messaging::Pushes pushes(sender);
  messaging::MessagingService service(store, relations, group_policies, pushes);
  messaging::InternalService internal(store, pushes);

  rpc::Server server(rpc::ServerOptionsFrom(config, "messaging"), &verifier, &revocations);
  server.Register(&service);
  server.Register(&internal);
  // Serving waits for the schema; Redis only carries pushes, which are hints.
  int exit_code =
      rpc::ServeUntilTerminated(server, "messaging", [&](const std::atomic<bool>& stopping) {
        return pg::MigrateWhenReachable(pg, "messaging", messaging::Migrations(), stopping);
      });
  pg.Close();
  spdlog::info("stopped");
  return exit_code;
}
