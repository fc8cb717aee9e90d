#include <catch2/catch.hpp>

#include "plaza/core/config.h"

using plaza::core::Config;
using plaza::core::ConfigError;
using plaza::core::ConfigKey;
using plaza::core::ConfigType;

namespace {

std::vector<ConfigKey> Keys() {
  return {
      {.name = "grpc_port", .type = ConfigType::kInt, .default_value = "7101", .help = "port",
       .min = 1, .max = 65535},
      {.name = "pg_url", .type = ConfigType::kString, .help = "database", .secret = true},
      {.name = "verbose", .type = ConfigType::kBool, .default_value = "false", .help = "chatty"},
  };
}

plaza::core::EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("Config reads flags over environment over defaults", "[core][config]") {
  const char* argv[] = {"svc", "--grpc-port=9000", "--verbose"};
  auto config = Config::Load(Keys(), 3, argv, Env({{"PLAZA_GRPC_PORT", "8000"}, {"PLAZA_PG_URL", "x"}}));
  CHECK(config.Int("grpc_port") == 9000);
  CHECK(config.String("pg_url") == "x");
  CHECK(config.Bool("verbose"));

  const char* no_flags[] = {"svc"};
  auto from_env = Config::Load(Keys(), 1, no_flags, Env({{"PLAZA_GRPC_PORT", "8000"}, {"PLAZA_PG_URL", "x"}}));
  CHECK(from_env.Int("grpc_port") == 8000);
  CHECK_FALSE(from_env.Bool("verbose"));
}

TEST_CASE("Config accepts space separated flag values", "[core][config]") {
  const char* argv[] = {"svc", "--pg-url", "postgresql://db", "--grpc_port", "1"};
  auto config = Config::Load(Keys(), 5, argv, Env({}));
  CHECK(config.String("pg_url") == "postgresql://db");
  CHECK(config.Int("grpc_port") == 1);
}

TEST_CASE("Config errors name the bad key", "[core][config]") {
  const char* argv[] = {"svc"};
  REQUIRE_THROWS_WITH(Config::Load(Keys(), 1, argv, Env({})),
                      Catch::Contains("PLAZA_PG_URL") && Catch::Contains("required"));
  REQUIRE_THROWS_WITH(
      Config::Load(Keys(), 1, argv, Env({{"PLAZA_PG_URL", "x"}, {"PLAZA_GRPC_PORT", "abc"}})),
      Catch::Contains("PLAZA_GRPC_PORT") && Catch::Contains("--grpc-port") && Catch::Contains("abc"));
  REQUIRE_THROWS_WITH(
      Config::Load(Keys(), 1, argv, Env({{"PLAZA_PG_URL", "x"}, {"PLAZA_GRPC_PORT", "70000"}})),
      Catch::Contains("between 1 and 65535"));
  REQUIRE_THROWS_WITH(
      Config::Load(Keys(), 1, argv, Env({{"PLAZA_PG_URL", "x"}, {"PLAZA_VERBOSE", "maybe"}})),
      Catch::Contains("PLAZA_VERBOSE"));
  const char* unknown[] = {"svc", "--nope=1"};
  REQUIRE_THROWS_WITH(Config::Load(Keys(), 2, unknown, Env({{"PLAZA_PG_URL", "x"}})),
                      Catch::Contains("--nope"));
  const char* positional[] = {"svc", "stray"};
  REQUIRE_THROWS_AS(Config::Load(Keys(), 2, positional, Env({{"PLAZA_PG_URL", "x"}})), ConfigError);
}

TEST_CASE("Config Describe hides secrets", "[core][config]") {
  const char* argv[] = {"svc"};
  auto config = Config::Load(Keys(), 1, argv, Env({{"PLAZA_PG_URL", "postgresql://u:hunter2@h/db"}}));
  auto described = config.Describe();
  CHECK_THAT(described, Catch::Contains("pg_url=<set>"));
  CHECK_THAT(described, !Catch::Contains("hunter2"));
  CHECK_THAT(Config::Help(Keys()), Catch::Contains("PLAZA_GRPC_PORT"));
}
