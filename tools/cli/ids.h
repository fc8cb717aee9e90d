#pragma once

// Ids the client makes up itself. The random parts are parameters so tests can pin them.

#include <cstdint>
#include <string>
#include <string_view>

namespace plaza::cli {

// 64 random bits from the operating system.
uint64_t RandomBits();

// The device id of a new config file: "cli-" and 16 hex digits, within identity's
// [A-Za-z0-9._-]{1,64}. Random so that two config files on one machine are two devices (a login
// ends the same device's previous session).
std::string NewDeviceId(uint64_t random);

// A send's client_message_id: "cli-<unix ms in hex>-<16 hex digits>", within messaging's
// [A-Za-z0-9._:-]{1,64}; unique per send, and reused by every retry of that send.
std::string NewClientMessageId(int64_t unix_millis, uint64_t random);

// The device name shown in the session list, e.g. "plaza CLI on build-box", at most 64 bytes.
std::string DeviceName(std::string_view host_name);

}  // namespace plaza::cli
