#include "tools/cli/ids.h"

#include <catch2/catch.hpp>
#include <regex>

TEST_CASE("Device ids are cli- and 16 hex digits", "[cli][ids]") {
  CHECK(plaza::cli::NewDeviceId(0xfedcba9876543210) == "cli-fedcba9876543210");
  CHECK(plaza::cli::NewDeviceId(1) == "cli-0000000000000001");
  std::string random = plaza::cli::NewDeviceId(plaza::cli::RandomBits());
  CHECK(std::regex_match(random, std::regex("cli-[0-9a-f]{16}")));
}

TEST_CASE("Client message ids carry the time and randomness within messaging's alphabet",
          "[cli][ids]") {
  CHECK(plaza::cli::NewClientMessageId(1'763'712'000'000, 0xab) ==
        "cli-19aa56d6000-00000000000000ab");
  std::string id = plaza::cli::NewClientMessageId(1'763'712'000'000, plaza::cli::RandomBits());
  CHECK(id.size() <= 64);
  CHECK(std::regex_match(id, std::regex("[A-Za-z0-9._:-]+")));
  CHECK(plaza::cli::RandomBits() != plaza::cli::RandomBits());
}

TEST_CASE("Device names name the host and fit identity's 64 bytes", "[cli][ids]") {
  CHECK(plaza::cli::DeviceName("build-box") == "plaza CLI on build-box");
  CHECK(plaza::cli::DeviceName("") == "plaza CLI");
  CHECK(plaza::cli::DeviceName(std::string(100, 'h')).size() == 64);
}
