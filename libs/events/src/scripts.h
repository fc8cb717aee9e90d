#pragma once

// The Lua scripts behind RouteRegistry, OnlineDevices and Publisher, in one place because they
// share the route format of wire.h. Each runs atomically in Redis and reads the clock with
// TIME, so every gateway and service agrees on what has expired whatever their own clocks say.
//
// Every script takes several route keys except Claim and Release. Under Redis Cluster those keys
// must share a hash slot: the caller would group users by slot (CLUSTER KEYSLOT of the hash tag)
// and make one call per node. Plaza runs a single Redis today, so this is not done.

#include "plaza/redis/script.h"

namespace plaza::events::scripts {

// KEYS[1] route key; ARGV user id, device id, instance id, connection id, ttl ms.
// Returns nil, or {instance id, connection id} of the previous live holder when it is another
// connection (and publishes a replace message if that is on another instance).
const redis::Script& Claim();

// KEYS route keys, one per route; ARGV instance id, ttl ms, then device id and connection id per
// route. Returns the 1-based positions of the routes not held by their connection any more.
const redis::Script& Refresh();

// KEYS[1] route key; ARGV device id, instance id, connection id. Returns 1 if it deleted.
const redis::Script& Release();

// KEYS route keys; no ARGV. Returns, per key, a flat array {device, instance, connection, ...}
// of its live routes.
const redis::Script& Online();

// KEYS route keys of distinct users; ARGV event bytes, exclude user id or "", exclude device id
// or "", then the user id of each key. Publishes one delivery message per instance and returns
// the 1-based positions of the users with no live route.
const redis::Script& Publish();

}  // namespace plaza::events::scripts
