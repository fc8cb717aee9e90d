#pragma once

// A Lua script run through Pool::Eval or Pool::Connection::Eval. Redis knows scripts by the SHA1
// of their source, which is computed here once, locally, so a Script is a plain immutable value
// that needs no server round trip to create. Typically a function-local static or a member of
// the store that uses it.

#include <string>

namespace plaza::redis {

class Script {
 public:
  explicit Script(std::string source);

  const std::string& source() const { return source_; }
  // 40 lowercase hex digits, as SCRIPT LOAD and EVALSHA spell it.
  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;
};

}  // namespace plaza::redis
