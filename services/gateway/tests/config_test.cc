#include "services/gateway/config.h"

#include <catch2/catch.hpp>

#include "plaza/core/status.h"

using plaza::gateway::ParseRoutes;

TEST_CASE("routes map services to gRPC targets", "[config]") {
  auto routes = ParseRoutes(
      "identity=127.0.0.1:7101,127.0.0.1:7111; messaging=messaging:7102\n"
      "groups=[::1]:7103");
  REQUIRE(routes.ok());
  CHECK(routes->at("identity") == "ipv4:127.0.0.1:7101,127.0.0.1:7111");
  CHECK(routes->at("messaging") == "dns:///messaging:7102");
  CHECK(routes->at("groups") == "ipv6:[::1]:7103");
  CHECK(routes->size() == 3);
}

TEST_CASE("bad routes are refused with the entry named", "[config]") {
  for (const char* text :
       {"", "identity", "identity=", "=1.2.3.4:1", "Identity=1.2.3.4:1", "identity=1.2.3.4",
        "identity=1.2.3.4:0", "identity=1.2.3.4:70000", "identity=1.2.3.4:x", "identity=a:1,b:2",
        "identity=1.2.3.4:1,[::1]:2", "identity=1.2.3.4:1 identity=1.2.3.4:2", "gateway=1.2.3.4:1",
        "identity=bad_host!:1"}) {
    INFO(text);
    auto routes = ParseRoutes(text);
    REQUIRE_FALSE(routes.ok());
    CHECK(plaza::ReasonOf(routes.status()) == "ROUTES_INVALID");
  }
}
