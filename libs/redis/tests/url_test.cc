#include <catch2/catch.hpp>

#include <signal.h>

#include <stdexcept>

#include "plaza/redis/redis.h"

using plaza::redis::Endpoint;
using plaza::redis::ParseUrl;
using plaza::redis::Pool;

TEST_CASE("ParseUrl reads host, port, credentials and database", "[redis][url]") {
  Endpoint plain = ParseUrl("redis://127.0.0.1:6390");
  CHECK(plain.host == "127.0.0.1");
  CHECK(plain.port == 6390);
  CHECK(plain.user.empty());
  CHECK(plain.password.empty());
  CHECK(plain.db == 0);

  Endpoint full = ParseUrl("redis://:s3cret@cache.internal:7000/5");
  CHECK(full.host == "cache.internal");
  CHECK(full.port == 7000);
  CHECK(full.password == "s3cret");
  CHECK(full.db == 5);

  Endpoint acl = ParseUrl("redis://alice:pw@[::1]:6379/");
  CHECK(acl.host == "::1");
  CHECK(acl.user == "alice");
  CHECK(acl.password == "pw");
  CHECK(acl.db == 0);

  CHECK(ParseUrl("redis://localhost").port == 6379);
}

TEST_CASE("ParseUrl decodes percent-escaped credentials", "[redis][url]") {
  Endpoint endpoint = ParseUrl("redis://:p%40ss%3Aw%2Frd@host:1");
  CHECK(endpoint.password == "p@ss:w/rd");
  CHECK(ParseUrl("redis://:a@b@host:1").password == "a@b");
}

TEST_CASE("ParseUrl rejects malformed URLs naming the problem", "[redis][url]") {
  auto rejects = [](const char* url, const char* problem) {
    INFO(url);
    CHECK_THROWS_MATCHES(ParseUrl(url), std::invalid_argument,
                         Catch::Matchers::Message(std::string("invalid Redis URL: ") + problem));
  };
  rejects("http://host:1", "it must start with redis://");
  rejects("rediss://host:1", "rediss:// (TLS) is not supported");
  rejects("redis://:6379", "the host is missing");
  rejects("redis://host:", "the port (1-65535) is ''");
  rejects("redis://host:http", "the port (1-65535) is 'http'");
  rejects("redis://host:70000", "the port (1-65535) is '70000'");
  rejects("redis://host:1/x", "the database number (0 or more) is 'x'");
  rejects("redis://host:1/-1", "the database number (0 or more) is '-1'");
  rejects("redis://host:1/0?timeout=1", "query parameters are not supported");
  rejects("redis://s3cret@host:1", "credentials must be ':password@' or 'user:password@'");
  rejects("redis://:bad%zzescape@host:1", "bad %-escape in the password");
  rejects("redis://[::1:6379", "unterminated '[' in an IPv6 host");
}

TEST_CASE("A pool refuses a bad URL or bad options at construction", "[redis][url]") {
  CHECK_THROWS_AS(Pool({.url = "redis//nope"}), std::invalid_argument);
  CHECK_THROWS_WITH(Pool({.url = "redis://:topsecret@host:0"}),
                    Catch::Contains("port") && !Catch::Contains("topsecret"));
  CHECK_THROWS_WITH(Pool({.url = "redis://host:1", .max_connections = 0}),
                    Catch::Contains("max_connections"));
  CHECK_THROWS_WITH(
      Pool({.url = "redis://host:1", .command_timeout = std::chrono::milliseconds(0)}),
      Catch::Contains("timeouts must be positive"));
}

TEST_CASE("Creating a pool keeps SIGPIPE from killing the process", "[redis][url]") {
  Pool pool({.url = "redis://127.0.0.1:1"});
  struct sigaction current {};
  REQUIRE(sigaction(SIGPIPE, nullptr, &current) == 0);
  CHECK(current.sa_handler == SIG_IGN);
}
