#include "services/gateway/method_policy.h"

#include <catch2/catch.hpp>

#include "services/gateway/proxy.h"

using namespace plaza::gateway;

TEST_CASE("a Plaza method routes by its package", "[method_policy]") {
  auto policy = PolicyFor("/plaza.messaging.v1.MessagingService/SendMessage");
  REQUIRE(policy);
  CHECK(policy->route == "messaging");
  CHECK_FALSE(policy->is_public);
  CHECK(policy->rate_group == "messaging");
  CHECK(PolicyFor("/plaza.messaging.v2.MessagingService/SendMessage")->route == "messaging");
}

TEST_CASE("only the sign-in methods are public", "[method_policy]") {
  for (const char* method :
       {"/plaza.identity.v1.IdentityService/RequestCode",
        "/plaza.identity.v1.IdentityService/Register", "/plaza.identity.v1.IdentityService/Login",
        "/plaza.identity.v1.IdentityService/RefreshSession"}) {
    auto policy = PolicyFor(method);
    REQUIRE(policy);
    CHECK(policy->is_public);
    CHECK(policy->rate_group == "public");
    CHECK(policy->business_priority == 0);
  }
  for (const char* method :
       {"/plaza.identity.v1.IdentityService/Logout",
        "/plaza.identity.v1.IdentityService/GetMyProfile",
        "/plaza.identity.v2.IdentityService/Login", "/plaza.identity.v1.IdentityService/LoginX"}) {
    INFO(method);
    CHECK_FALSE(PolicyFor(method)->is_public);
  }
}

TEST_CASE("internal services and malformed paths are never routed", "[method_policy]") {
  for (const char* method :
       {"/plaza.identity.v1.InternalService/GetFriendIds",
        "/plaza.groups.v1.InternalGroupsService/X", "", "/",
        "plaza.identity.v1.IdentityService/Login", "/grpc.health.v1.Health/Check",
        "/plaza.identity.IdentityService/Login", "/plaza.Identity.v1.IdentityService/Login",
        "/plaza.identity.v1.IdentityService/", "/plaza.identity.v1.IdentityService/Lo-gin",
        "/plaza.identity.v1.IdentityService/Login/extra", "/plaza..v1.X/Y",
        "/plaza.identity.vx.S/M", "/plaza.identity.v1.a.IdentityService/Login"}) {
    INFO(method);
    CHECK_FALSE(PolicyFor(method));
  }
  CHECK_FALSE(PolicyFor("/plaza.identity.v1.IdentityService/" + std::string(300, 'a')));
}

TEST_CASE("business priorities put sign-in and money first and search last", "[method_policy]") {
  int login = PolicyFor("/plaza.identity.v1.IdentityService/Login")->business_priority;
  int pay = PolicyFor("/plaza.payments.v1.PaymentsService/Transfer")->business_priority;
  int chat = PolicyFor("/plaza.messaging.v1.MessagingService/SendMessage")->business_priority;
  int moments = PolicyFor("/plaza.moments.v1.MomentsService/ListTimeline")->business_priority;
  int search = PolicyFor("/plaza.messaging.v1.MessagingService/SearchMessages")->business_priority;
  CHECK(login < pay);
  CHECK(pay < chat);
  CHECK(chat < moments);
  CHECK(moments < search);
}

TEST_CASE("metric labels are routes, never arbitrary paths", "[method_policy]") {
  CHECK(RouteLabel("/plaza.messaging.v1.MessagingService/Anything") == "messaging");
  CHECK(RouteLabel("/plaza.gateway.v1.PushService/Connect") == "gateway");
  CHECK(RouteLabel("/random/thing") == "unroutable");
  CHECK(RouteLabel("/plaza.identity.v1.InternalService/GetFriendIds") == "unroutable");
}
