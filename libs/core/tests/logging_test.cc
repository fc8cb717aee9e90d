#include <catch2/catch.hpp>

#include "plaza/core/logging.h"

using plaza::core::CurrentRequestId;
using plaza::core::RequestIdScope;

TEST_CASE("Request id scopes nest and restore", "[core][logging]") {
  CHECK(CurrentRequestId() == "-");
  {
    RequestIdScope outer("outer");
    CHECK(CurrentRequestId() == "outer");
    {
      RequestIdScope inner("inner");
      CHECK(CurrentRequestId() == "inner");
    }
    CHECK(CurrentRequestId() == "outer");
  }
  CHECK(CurrentRequestId() == "-");
}

TEST_CASE("New request ids are distinct hex strings", "[core][logging]") {
  auto a = plaza::core::NewRequestId();
  auto b = plaza::core::NewRequestId();
  CHECK(a.size() == 16);
  CHECK(a != b);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
}
