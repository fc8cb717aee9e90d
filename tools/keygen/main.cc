// plaza-keygen: prints a fresh access-token key pair as two environment assignments,
//   PLAZA_TOKEN_SIGNING_KEY=<kid>:<base64 seed>     (identity only; secret)
//   PLAZA_TOKEN_PUBLIC_KEYS=<kid>:<base64 public>   (every service)
// With --add-to=<current public key set>, the second line holds the current keys and the new
// one, the set to publish before identity switches to the new signing key.

#include <iostream>

#include "plaza/core/clock.h"
#include "plaza/core/config.h"
#include "tools/keygen/keygen.h"

int main(int argc, char** argv) {
  using namespace plaza;
  std::vector<core::ConfigKey> keys = {
      {.name = "kid",
       .default_value = keygen::DefaultKeyId(core::SystemClock::Instance().Now()),
       .help = "key id of the new pair, 1..64 of [A-Za-z0-9._-] (default: k + today's UTC date)"},
      {.name = "add_to",
       .default_value = "",
       .help = "current public key set; print it with the new key added, for a rotation"},
  };
  auto config = core::Config::LoadOrExit(keys, argc, argv);

  auto pair = keygen::NewKeyPair(config.String("kid"));
  if (!pair.ok()) {
    std::cerr << "plaza-keygen: --kid: " << pair.status().message() << "\n";
    return 2;
  }
  std::string public_keys = pair->public_key;
  if (!config.String("add_to").empty()) {
    auto combined = keygen::AddPublicKey(config.String("add_to"), pair->public_key);
    if (!combined.ok()) {
      std::cerr << "plaza-keygen: --add-to: " << combined.status().message() << "\n";
      return 2;
    }
    public_keys = *std::move(combined);
  }
  std::cout << "PLAZA_TOKEN_SIGNING_KEY=" << pair->signing_key << "\n"
            << "PLAZA_TOKEN_PUBLIC_KEYS=" << public_keys << "\n";
  return 0;
}
