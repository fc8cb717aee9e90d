#include "scripts.h"

#include <string>

namespace plaza::events::scripts {
namespace {

// Shared by every script. Route values are "<instance> <connection> <expires_at_ms>"; ids stay
// strings throughout (Lua numbers are doubles and would round 64-bit ids), only the expiry is a
// number, and it is formatted back with %d.
constexpr const char* kPrelude = R"lua(
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- instance, connection, expires_at; nil for a malformed value (which is treated as expired).
local function parse_route(value)
  local instance, connection, expires = string.match(value, '^(%S+) (%d+) (%d+)$')
  if not instance then return nil end
  return instance, connection, tonumber(expires)
end

local function route_value(instance, connection, expires)
  return instance .. ' ' .. connection .. ' ' .. string.format('%d', expires)
end
)lua";

constexpr const char* kClaim = R"lua(
local key, user, device, instance, connection = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now = now_ms()
local expires_at = now + tonumber(ARGV[5])
local keep_until = expires_at
local previous = false
local entries = redis.call('HGETALL', key)
for i = 1, #entries, 2 do
  local field = entries[i]
  local held_on, held_by, expires = parse_route(entries[i + 1])
  if not held_on or expires <= now then
    redis.call('HDEL', key, field)
  elseif field == device then
    if held_on ~= instance or held_by ~= connection then
      previous = {held_on, held_by}
      if held_on ~= instance then
        redis.call('PUBLISH', 'plaza:gateway:' .. held_on,
                   'R' .. user .. ':' .. device .. ':' .. held_by)
      end
    end
  elseif expires > keep_until then
    keep_until = expires
  end
end
redis.call('HSET', key, device, route_value(instance, connection, expires_at))
redis.call('PEXPIREAT', key, string.format('%d', keep_until))
return previous
)lua";

constexpr const char* kRefresh = R"lua(
local instance = ARGV[1]
local expires_at = now_ms() + tonumber(ARGV[2])
local lost = {}
for i, key in ipairs(KEYS) do
  local device, connection = ARGV[1 + 2 * i], ARGV[2 + 2 * i]
  local current = redis.call('HGET', key, device)
  local held_on, held_by
  if current then held_on, held_by = parse_route(current) end
  if held_on == instance and held_by == connection then
    redis.call('HSET', key, device, route_value(instance, connection, expires_at))
    redis.call('PEXPIREAT', key, string.format('%d', expires_at), 'GT')
  else
    lost[#lost + 1] = i
  end
end
return lost
)lua";

constexpr const char* kRelease = R"lua(
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local held_on, held_by = parse_route(current)
  if held_on == ARGV[2] and held_by == ARGV[3] then
    redis.call('HDEL', KEYS[1], ARGV[1])
    return 1
  end
end
return 0
)lua";

constexpr const char* kOnline = R"lua(
local now = now_ms()
local result = {}
for i, key in ipairs(KEYS) do
  local live = {}
  local entries = redis.call('HGETALL', key)
  for j = 1, #entries, 2 do
    local instance, connection, expires = parse_route(entries[j + 1])
    if not instance or expires <= now then
      redis.call('HDEL', key, entries[j])
    else
      live[#live + 1] = entries[j]
      live[#live + 1] = instance
      live[#live + 1] = connection
    end
  end
  result[i] = live
end
return result
)lua";

constexpr const char* kPublish = R"lua(
local event, exclude_user, exclude_device = ARGV[1], ARGV[2], ARGV[3]
local exclude = ''
if exclude_user ~= '' then exclude = exclude_user .. ':' .. exclude_device end
local now = now_ms()
local recipients = {}  -- instance -> user ids with a live, not excluded device there
local instances = {}   -- the same instances, in the order first seen
local offline = {}
for i, key in ipairs(KEYS) do
  local user = ARGV[3 + i]
  local online = false
  local given = {}  -- instances that already list this user
  local entries = redis.call('HGETALL', key)
  for j = 1, #entries, 2 do
    local device = entries[j]
    local instance, _, expires = parse_route(entries[j + 1])
    if not instance or expires <= now then
      redis.call('HDEL', key, device)
    else
      online = true
      if not given[instance] and not (user == exclude_user and device == exclude_device) then
        given[instance] = true
        local list = recipients[instance]
        if not list then
          list = {}
          recipients[instance] = list
          instances[#instances + 1] = instance
        end
        list[#list + 1] = user
      end
    end
  end
  if not online then offline[#offline + 1] = i end
end
for _, instance in ipairs(instances) do
  redis.call('PUBLISH', 'plaza:gateway:' .. instance,
             'D' .. table.concat(recipients[instance], ',') .. '\n' .. exclude .. '\n' .. event)
end
return offline
)lua";

redis::Script WithPrelude(const char* body) { return redis::Script(std::string(kPrelude) + body); }

}  // namespace

const redis::Script& Claim() {
  static const redis::Script script = WithPrelude(kClaim);
  return script;
}

const redis::Script& Refresh() {
  static const redis::Script script = WithPrelude(kRefresh);
  return script;
}

const redis::Script& Release() {
  static const redis::Script script = WithPrelude(kRelease);
  return script;
}

const redis::Script& Online() {
  static const redis::Script script = WithPrelude(kOnline);
  return script;
}

const redis::Script& Publish() {
  static const redis::Script script = WithPrelude(kPublish);
  return script;
}

}  // namespace plaza::events::scripts
