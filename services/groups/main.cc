// plaza-groups: wires configuration, pools, store and service into a running server.

#include <grpcpp/create_channel.h>
#include <spdlog/spdlog.h>

#include <atomic>

#include "plaza/auth/token.h"
#include "plaza/core/config.h"
#include "plaza/core/ids.h"
#include "plaza/core/logging.h"
#include "plaza/pg/migrate.h"
#include "plaza/rpc/server.h"
#include "plaza/rpc/service_config.h"
#include "services/groups/config.h"
#include "services/groups/groups_service.h"
#include "services/groups/migrations.h"

int main(int argc, char** argv) {
  using namespace plaza;
  rpc::BlockTerminationSignals();
  auto config = core::Config::LoadOrExit(groups::ConfigKeys(), argc, argv);
  core::InitLogging("groups", config.String("log_level"));
  spdlog::info("starting with {}", config.Describe());

  const auto& clock = core::SystemClock::Instance();
  auto verifier = rpc::OrExit(auth::Verifier::Create(config.String("token_public_keys"), clock),
                              "token_public_keys");
  auto invites = rpc::OrExit(groups::InviteSigner::Create(config.String("invite_signing_key")),
                             "invite_signing_key");
  pg::Pool pg({.url = config.String("pg_url"),
               .max_connections = static_cast<int>(config.Int("pg_pool_size"))});
  redis::Pool redis({.url = config.String("redis_url"),
                     .max_connections = static_cast<int>(config.Int("redis_pool_size"))});
  // Logouts take effect here at once: the revocation set identity writes (and alone expires).
  rpc::SessionRevocations revocations(redis, std::chrono::hours(2));
  core::IdGenerator ids(config.Int("node_id"), clock);
  groups::GroupsStore store(pg, ids, clock);
  groups::People people(
      grpc::CreateChannel(config.String("identity_address"), grpc::InsecureChannelCredentials()),
      std::chrono::milliseconds(config.Int("identity_deadline_ms")));
  groups::OutboxRelay relay(
      store, people,
      grpc::CreateChannel(config.String("messaging_address"), grpc::InsecureChannelCredentials()),
      std::chrono::milliseconds(config.Int("messaging_deadline_ms")), clock);
  groups::GroupsService service({store, people, relay, invites, clock, redis});
  groups::InternalService internal(store, clock);

  rpc::Server server(rpc::ServerOptionsFrom(config, "groups"), &verifier, &revocations);
  server.Register(&service);
  server.Register(&internal);
  // Serving waits for the schema; then changes not yet delivered to messaging (from before a
  // crash, or while it was down) are retried in the background.
  int exit_code =
      rpc::ServeUntilTerminated(server, "groups", [&](const std::atomic<bool>& stopping) {
        if (!pg::MigrateWhenReachable(pg, "groups", groups::Migrations(), stopping)) return false;
        relay.Start(std::chrono::milliseconds(config.Int("outbox_interval_ms")));
        return true;
      });
  relay.Stop();
  pg.Close();
  spdlog::info("stopped");
  return exit_code;
}
