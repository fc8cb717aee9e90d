#pragma once

// A Redis reply as a plain value, detached from the driver: it owns its data and can be copied,
// compared and built by hand (e.g. by fakes in store tests).

#include <cstdint>
#include <string>
#include <vector>

namespace plaza::redis {

class Reply {
 public:
  // kString is a bulk string (binary-safe, may hold NUL bytes); kStatus is a simple status such
  // as "OK"; kError carries Redis's error text such as "WRONGTYPE Operation against ...".
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };

  Reply() = default;  // nil

  static Reply Nil() { return Reply(); }
  static Reply Integer(int64_t value);
  static Reply String(std::string value);
  static Reply Status(std::string value);
  static Reply Error(std::string message);
  static Reply Array(std::vector<Reply> elements);

  Type type() const { return type_; }
  bool is_nil() const { return type_ == Type::kNil; }

  // Each accessor throws std::logic_error naming both types when the reply is of another type:
  // asking a reply for the wrong type is a bug in the caller, not a Redis failure.

  // The value of a kInteger reply.
  int64_t integer() const;
  // The text of a kString, kStatus or kError reply.
  const std::string& str() const;
  // The elements of a kArray reply.
  const std::vector<Reply>& elements() const;

  bool operator==(const Reply& other) const = default;

 private:
  Type type_ = Type::kNil;
  int64_t integer_ = 0;
  std::string str_;
  std::vector<Reply> elements_;
};

// "nil", "integer", "string", "status", "error" or "array".
const char* TypeName(Reply::Type type);

}  // namespace plaza::redis
