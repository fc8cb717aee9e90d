#pragma once

// The real binaries, started as a client team would meet them: plaza-identity, plaza-messaging
// and plaza-groups behind plaza-gateway, on a fresh database (or a private PostgreSQL server the
// test may crash) and a private Redis, with keys made for the run. Tests talk only to the
// gateway's port, and can kill, restart and signal each process by its PID.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "plaza/groups/v1/groups_service.grpc.pb.h"
#include "plaza/identity/v1/identity_service.grpc.pb.h"
#include "plaza/messaging/v1/messaging_service.grpc.pb.h"
#include "plaza/testing/testing.h"

namespace plaza::e2e {

// SignUp gives every account this password, so a second device (or the CLI) can log in without
// waiting to resend a code.
inline constexpr char kAccountPassword[] = "e2e-Password-2026";

struct Account {
  int64_t user_id = 0;
  std::string phone;
  std::string device_id;
  identity::v1::SessionTokens tokens;
};

struct ClusterOptions {
  int route_ttl_seconds = 90;
  int heartbeat_interval_seconds = 30;
  // A PostgreSQL server of the test's own, for crashing it; otherwise a fresh database on the
  // shared server.
  bool own_postgres = false;
};

class Cluster {
 public:
  explicit Cluster(ClusterOptions options = {});
  ~Cluster();

  // A new client connection to the gateway.
  std::shared_ptr<grpc::Channel> Connect() const;
  std::unique_ptr<identity::v1::IdentityService::Stub> Identity() const;
  std::unique_ptr<messaging::v1::MessagingService::Stub> Messaging() const;
  std::unique_ptr<groups::v1::GroupsService::Stub> Groups() const;

  // Through the gateway: requests a code, reads it from the development outbox and registers a
  // new phone with a password; or logs the account in on another device with that password.
  Account SignUp(const std::string& display_name, const std::string& device_id);
  Account LogIn(const Account& account, const std::string& device_id);

  // Makes the two friends through identity, as their apps would.
  void BeFriends(const Account& a, const Account& b);

  // Each (re)starts its process with the same ports and keys; messaging and groups know each
  // other's address from the start, whichever runs first.
  void StartIdentity();
  void StartMessaging();
  void StartGroups();
  void StartGateway();
  testing::ChildProcess& identity() { return *identity_; }
  testing::ChildProcess& messaging() { return *messaging_; }
  testing::ChildProcess& groups() { return *groups_; }
  // Only with ClusterOptions::own_postgres.
  testing::PostgresServer& postgres() { return *postgres_; }
  const std::string& pg_url() const { return pg_url_; }
  testing::ChildProcess& gateway() { return *gateway_; }
  testing::RedisServer& redis() { return redis_; }
  std::string redis_url() const { return redis_.Url(); }
  int gateway_port() const { return gateway_port_; }
  int gateway_metrics_port() const { return gateway_port_metrics_; }

 private:
  std::string LatestCode(const std::string& phone);
  // Starts a service binary with the settings every service reads, and waits for /healthz.
  std::unique_ptr<testing::ChildProcess> Launch(const char* binary, int port, int metrics_port,
                                                std::vector<std::string> extra_env);

  const ClusterOptions options_;
  std::unique_ptr<testing::PostgresServer> postgres_;
  std::unique_ptr<testing::TestDatabase> database_;
  std::string pg_url_;
  testing::RedisServer redis_;
  std::string signing_key_;
  std::string public_keys_;
  int identity_port_;
  int identity_metrics_port_;
  int messaging_port_;
  int messaging_metrics_port_;
  // Messaging and groups call each other, so both ports are chosen before either starts.
  int groups_port_;
  int groups_metrics_port_;
  std::string invite_signing_key_;
  int gateway_port_;
  int gateway_port_metrics_;
  std::unique_ptr<testing::ChildProcess> identity_;
  std::unique_ptr<testing::ChildProcess> messaging_;
  std::unique_ptr<testing::ChildProcess> groups_;
  std::unique_ptr<testing::ChildProcess> gateway_;
};

// Adds the account's access token to a call.
void Authorize(grpc::ClientContext& context, const Account& account);

// Waits until GET /healthz on `metrics_port` answers 200, or the process exits.
bool WaitHealthy(testing::ChildProcess& process, int metrics_port);

}  // namespace plaza::e2e
