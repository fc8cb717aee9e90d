// docker-compose.yml: Debian's docker-compose accepts it (`docker-compose config`), and the
// resolved file keeps Plaza's rules (PostgreSQL 15 + Redis 7 with volumes and health checks,
// services depending on them healthy, only the gateway's API published, metrics on loopback).

import assert from "node:assert/strict";
import test from "node:test";
import { composeConfig, composeViolations } from "./lib/compose.mjs";
import { ROOT, readServices } from "./lib/repo.mjs";

test("docker-compose config accepts docker-compose.yml and it keeps Plaza's rules", () => {
  const config = composeConfig(ROOT);
  assert.deepEqual(composeViolations(config, readServices(ROOT)), []);
});

test("keys are made by the one-shot, and a service mounts only its own secrets", () => {
  const { services } = composeConfig(ROOT);
  assert.deepEqual(services.keys.command, ["init-keys"]);
  assert.equal(services.keys.restart, "no");
  const volumes = (service) => (service.volumes ?? []).map((v) => String(typeof v === "object" ? v.source : v).split(":")[0]);
  for (const [name, service] of Object.entries(services)) {
    if (name === "keys") continue;
    for (const volume of volumes(service)) {
      if (volume === "token-signing-key") assert.equal(name, "identity", `${name} mounts the token signing key`);
      const owner = /^(.*)-keys$/.exec(volume)?.[1];
      if (owner && owner !== "token-public") assert.equal(name, owner, `${name} mounts ${volume}`);
    }
  }
  // Each key volume is made by the one-shot.
  for (const volume of new Set(Object.values(services).flatMap(volumes).filter((v) => /-keys?$/.test(v)))) {
    assert.ok(volumes(services.keys).includes(volume), `the keys one-shot does not fill ${volume}`);
  }
});
