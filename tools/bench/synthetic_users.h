#pragma once

// Accounts for load tests, signed up through a running identity service the way a phone app
// does it: RequestCode, then the code, then Register (or Login if the number is taken). The
// code is read back from identity's dev-only table identity.dev_sms_outbox, so identity must run
// with dev_mode on, and `outbox` must be its database.
//
// Identity limits code requests to 1 a minute per phone and 20 an hour per client IP, and logins
// to 60 a minute per client IP (Redis keys plaza:rate:<name>:{<subject>}). Every synthetic user
// has a fresh random phone number (+86 138 and 8 random digits, valid for libphonenumber) and
// presents its own random client IP from 198.18.0.0/15, the range RFC 2544 sets aside for
// benchmarks, in the `x-plaza-client-ip` metadata that identity takes from the gateway. So each
// user stays within every limit, as many real users behind many addresses would, and the limits
// themselves are left as they are. The accounts stay in identity's database.
//
// MakeFriends then makes two of them friends the way their apps would (a request and its
// acceptance, each with the user's own token), for scenarios that need friends (chat).

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "plaza/identity/v1/identity_service.grpc.pb.h"
#include "plaza/pg/pool.h"

namespace plaza::bench {

struct SyntheticUser {
  int64_t user_id = 0;
  std::string access_token;  // lives as long as identity's access_token_ttl_seconds says

  // The `authorization` metadata value for the user's calls: "Bearer <access token>".
  std::string authorization() const { return "Bearer " + access_token; }
};

class SyntheticUsers {
 public:
  // `identity` is a channel to the identity service; `outbox` a pool on its database. The pool
  // must outlive this object.
  SyntheticUsers(std::shared_ptr<grpc::Channel> identity, pg::Pool& outbox);

  // Signs up a new user on a new device and returns its first access token. Fails with the
  // first failing step's status: identity's (with its reason, e.g. RATE_LIMITED), or NOT_FOUND
  // (CODE_NOT_IN_OUTBOX) if identity wrote no code to the outbox, or the database's.
  // Thread-safe.
  absl::StatusOr<SyntheticUser> SignUp();

 private:
  // The newest code identity wrote to the outbox for `phone` (E.164).
  absl::StatusOr<std::string> LatestCode(const std::string& phone);

  std::unique_ptr<identity::v1::IdentityService::Stub> stub_;
  pg::Pool& outbox_;
};

// Makes `from` and `to` friends: `from` sends `to` a friend request and `to` accepts it (unless
// identity answers that they are friends already, e.g. `to` had asked first). `identity` is a
// stub on identity itself or on the gateway, which routes IdentityService; each call carries
// the acting user's own token, and the per-user limits of identity (60 friend requests an hour)
// and of the gateway apply. Fails with the first failing call's status.
absl::Status MakeFriends(identity::v1::IdentityService::Stub& identity, const SyntheticUser& from,
                         const SyntheticUser& to);

}  // namespace plaza::bench
