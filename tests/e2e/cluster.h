#pragma once

// The real binaries, started as a client team would meet them: plaza-identity behind
// plaza-gateway, on a fresh database and a private Redis, with keys made for the run. Tests
// talk only to the gateway's port, and can kill, restart and signal each process by its PID.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "plaza/identity/v1/identity_service.grpc.pb.h"
#include "plaza/testing/testing.h"

namespace plaza::e2e {

struct Account {
  int64_t user_id = 0;
  std::string phone;
  std::string device_id;
  identity::v1::SessionTokens tokens;
};

struct ClusterOptions {
  int route_ttl_seconds = 90;
  int heartbeat_interval_seconds = 30;
};

class Cluster {
 public:
  explicit Cluster(ClusterOptions options = {});
  ~Cluster();

  // A new client connection to the gateway.
  std::shared_ptr<grpc::Channel> Connect() const;
  std::unique_ptr<identity::v1::IdentityService::Stub> Identity() const;

  // Through the gateway: requests a code, reads it from the development outbox and registers a
  // new phone with a password; or logs the account in on another device with that password.
  Account SignUp(const std::string& display_name, const std::string& device_id);
  Account LogIn(const Account& account, const std::string& device_id);

  void StartIdentity();
  void StartGateway();
  testing::ChildProcess& identity() { return *identity_; }
  testing::ChildProcess& gateway() { return *gateway_; }
  testing::RedisServer& redis() { return redis_; }
  std::string redis_url() const { return redis_.Url(); }
  int gateway_port() const { return gateway_port_; }
  int gateway_metrics_port() const { return gateway_port_metrics_; }

 private:
  std::string LatestCode(const std::string& phone);

  const ClusterOptions options_;
  testing::TestDatabase database_;
  testing::RedisServer redis_;
  std::string signing_key_;
  std::string public_keys_;
  int identity_port_;
  int identity_metrics_port_;
  int gateway_port_;
  int gateway_port_metrics_;
  std::unique_ptr<testing::ChildProcess> identity_;
  std::unique_ptr<testing::ChildProcess> gateway_;
};

// Waits until GET /healthz on `metrics_port` answers 200, or the process exits.
bool WaitHealthy(testing::ChildProcess& process, int metrics_port);

}  // namespace plaza::e2e
