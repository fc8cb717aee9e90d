#include "plaza/redis/reply.h"

#include <stdexcept>
#include <utility>

namespace plaza::redis {
namespace {

void Expect(Reply::Type actual, Reply::Type wanted, const char* accessor) {
  if (actual != wanted) {
    throw std::logic_error(std::string("Reply::") + accessor + "() called on a " +
                           TypeName(actual) + " reply, not " + TypeName(wanted));
  }
}

}  // namespace

const char* TypeName(Reply::Type type) {
  switch (type) {
    case Reply::Type::kNil:
      return "nil";
    case Reply::Type::kInteger:
      return "integer";
    case Reply::Type::kString:
      return "string";
    case Reply::Type::kStatus:
      return "status";
    case Reply::Type::kError:
      return "error";
    case Reply::Type::kArray:
      return "array";
  }
  return "unknown";
}

Reply Reply::Integer(int64_t value) {
  Reply reply;
  reply.type_ = Type::kInteger;
  reply.integer_ = value;
  return reply;
}

Reply Reply::String(std::string value) {
  Reply reply;
  reply.type_ = Type::kString;
  reply.str_ = std::move(value);
  return reply;
}

Reply Reply::Status(std::string value) {
  Reply reply;
  reply.type_ = Type::kStatus;
  reply.str_ = std::move(value);
  return reply;
}

Reply Reply::Error(std::string message) {
  Reply reply;
  reply.type_ = Type::kError;
  reply.str_ = std::move(message);
  return reply;
}

Reply Reply::Array(std::vector<Reply> elements) {
  Reply reply;
  reply.type_ = Type::kArray;
  reply.elements_ = std::move(elements);
  return reply;
}

int64_t Reply::integer() const {
  Expect(type_, Type::kInteger, "integer");
  return integer_;
}

const std::string& Reply::str() const {
  if (type_ != Type::kStatus && type_ != Type::kError) Expect(type_, Type::kString, "str");
  return str_;
}

const std::vector<Reply>& Reply::elements() const {
  Expect(type_, Type::kArray, "elements");
  return elements_;
}

}  // namespace plaza::redis
