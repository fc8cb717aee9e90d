// deploy/postgres/init-roles.sh against a real PostgreSQL, with the real services started through
// the image's entrypoint (as in a container, minus Docker): each service connects as its own
// role, migrates its own schema, becomes SERVING (seen by plaza-healthcheck), and cannot read
// another service's schema. Needs PLAZA_TEST_PG_URL and PLAZA_TEST_REDIS_URL (scripts/test).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import test from "node:test";
import { ROOT, programKeys, readServices, run, serviceBinary, toolBinary } from "./lib/repo.mjs";

const PG_BIN = process.env.PLAZA_PG_BIN ?? "/usr/lib/postgresql/15/bin";

function requireEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through scripts/test (it starts PostgreSQL and Redis)`);
  return value;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("each service migrates its own schema as its own role and reaches nothing else", async (t) => {
  const admin = new URL(requireEnv("PLAZA_TEST_PG_URL"));
  const redisUrl = requireEnv("PLAZA_TEST_REDIS_URL");
  const services = readServices(ROOT).filter(({ name }) => programKeys(serviceBinary(name)).has("PLAZA_PG_URL"));
  assert.ok(services.length >= 2, "expected at least two services with tables");

  const database = `plaza_deploy_${crypto.randomBytes(4).toString("hex")}`;
  const pgEnv = {
    PATH: `${PG_BIN}:${process.env.PATH}`,
    PGHOST: admin.hostname,
    PGPORT: admin.port || "5432",
    PGUSER: decodeURIComponent(admin.username || "postgres"),
    PGPASSWORD: decodeURIComponent(admin.password),
  };
  const psql = (sql, { user, password, db = database } = {}) =>
    run(path.join(PG_BIN, "psql"), ["-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql], {
      env: { ...pgEnv, ...(user ? { PGUSER: user, PGPASSWORD: password } : {}) },
    });
  const created = psql(`CREATE DATABASE ${database}`, { db: "postgres" });
  assert.equal(created.status, 0, created.stderr);

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "plaza-roles-"));
  const children = [];
  t.after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await sleep(100);
    psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, { db: "postgres" });
    for (const { name } of services) psql(`DROP ROLE IF EXISTS plaza_${name}`, { db: "postgres" });
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  // Roles, exactly as compose and the dev overlay create them (a password with a quote in it).
  const passwords = Object.fromEntries(services.map(({ name }) => [name, `pw'${crypto.randomBytes(6).toString("hex")}`]));
  const roleEnv = { ...pgEnv, PLAZA_DB_NAME: database, PLAZA_DB_SERVICES: services.map((s) => s.name).join(" ") };
  for (const { name } of services) roleEnv[`PLAZA_DB_PASSWORD_${name.toUpperCase()}`] = passwords[name];
  const roles = run(path.join(ROOT, "deploy/postgres/init-roles.sh"), [], { env: roleEnv });
  assert.equal(roles.status, 0, roles.stderr);
  const again = run(path.join(ROOT, "deploy/postgres/init-roles.sh"), [], { env: roleEnv });
  assert.equal(again.status, 0, `running it twice must be harmless: ${again.stderr}`);

  // A PATH laid out like the image's /usr/local/bin, and keys made by init-keys.
  const bin = path.join(scratch, "bin");
  fs.mkdirSync(bin);
  for (const { name } of readServices(ROOT)) fs.symlinkSync(serviceBinary(name), path.join(bin, `plaza-${name}`));
  fs.symlinkSync(toolBinary("keygen", "plaza-keygen"), path.join(bin, "plaza-keygen"));
  fs.symlinkSync(toolBinary("healthcheck", "plaza-healthcheck"), path.join(bin, "plaza-healthcheck"));
  const entrypoint = path.join(ROOT, "deploy/docker/entrypoint.sh");
  const keyDir = path.join(scratch, "keys");
  const keys = { signing: path.join(keyDir, "signing"), public: path.join(keyDir, "public") };
  fs.mkdirSync(keys.signing, { recursive: true });
  fs.mkdirSync(keys.public, { recursive: true });
  const made = run("sh", [entrypoint, "init-keys", keyDir], { env: { PATH: `${bin}:/usr/bin:/bin` } });
  assert.equal(made.status, 0, made.stderr);

  const ports = {};
  for (const { name } of services) ports[name] = { grpc: await freePort(), metrics: await freePort() };
  const output = {};
  for (const [index, { name }] of services.entries()) {
    const env = {
      PATH: `${bin}:/usr/bin:/bin`,
      HOSTNAME: `plaza-${name}-0`,
      PLAZA_NODE_ID_BASE: String(100 * (index + 1)),
      PLAZA_GRPC_HOST: "127.0.0.1",
      PLAZA_GRPC_PORT: String(ports[name].grpc),
      PLAZA_METRICS_PORT: String(ports[name].metrics),
      PLAZA_PG_URL: `postgresql://plaza_${name}:${encodeURIComponent(passwords[name])}@${pgEnv.PGHOST}:${pgEnv.PGPORT}/${database}`,
      PLAZA_REDIS_URL: redisUrl,
      PLAZA_TOKEN_PUBLIC_KEYS_FILE: path.join(keys.public, "public_keys"),
      PLAZA_DRAIN_TIMEOUT_MS: "1000",
    };
    const serviceKeys = programKeys(serviceBinary(name));
    if (serviceKeys.has("PLAZA_TOKEN_SIGNING_KEY")) env.PLAZA_TOKEN_SIGNING_KEY_FILE = path.join(keys.signing, "signing_key");
    if (serviceKeys.has("PLAZA_DEV_MODE")) env.PLAZA_DEV_MODE = "true";
    if (serviceKeys.has("PLAZA_PASSWORD_HASH_STRENGTH")) env.PLAZA_PASSWORD_HASH_STRENGTH = "fast_for_tests";
    if (serviceKeys.has("PLAZA_INVITE_SIGNING_KEY")) env.PLAZA_INVITE_SIGNING_KEY = crypto.randomBytes(48).toString("base64");
    for (const [variable, key] of serviceKeys) {
      const peer = /^(.*)_address$/.exec(key.key)?.[1];
      if (peer && ports[peer]) env[variable] = `127.0.0.1:${ports[peer].grpc}`;
    }
    const child = spawn("sh", [entrypoint, name], { env, stdio: ["ignore", "pipe", "pipe"] });
    output[name] = "";
    child.stdout.on("data", (chunk) => { output[name] += chunk; });
    child.stderr.on("data", (chunk) => { output[name] += chunk; });
    children.push(child);
  }

  // SERVING, as plaza-healthcheck (the containers' health check) sees it.
  for (const [index, { name }] of services.entries()) {
    const deadline = Date.now() + 60_000;
    let healthy = false;
    while (!healthy && Date.now() < deadline && children[index].exitCode === null) {
      healthy = run(path.join(bin, "plaza-healthcheck"), [], {
        env: { PLAZA_GRPC_PORT: String(ports[name].grpc), PLAZA_HEALTH_TIMEOUT_MS: "500" },
      }).status === 0;
      if (!healthy) await sleep(200);
    }
    assert.ok(healthy, `plaza-${name} did not become SERVING as role plaza_${name}:\n${output[name]}`);
  }

  for (const { name } of services) {
    const owner = psql(`SELECT nspowner::regrole FROM pg_namespace WHERE nspname = '${name}'`);
    assert.equal(owner.stdout.trim(), `plaza_${name}`, `schema ${name}'s owner`);
    const tables = psql(`SELECT count(*) FROM pg_tables WHERE schemaname = '${name}' AND tableowner <> 'plaza_${name}'`);
    assert.equal(tables.stdout.trim(), "0", `every table of ${name} belongs to plaza_${name}`);
    const own = psql(`SELECT count(*) FROM ${name}.schema_migrations`, { user: `plaza_${name}`, password: passwords[name] });
    assert.equal(own.status, 0, own.stderr);
    assert.ok(Number(own.stdout) > 0, `${name} ran no migration`);
    for (const { name: other } of services) {
      if (other === name) continue;
      const peek = psql(`SELECT count(*) FROM ${other}.schema_migrations`, { user: `plaza_${name}`, password: passwords[name] });
      assert.notEqual(peek.status, 0, `plaza_${name} can read schema ${other}`);
      assert.match(peek.stderr, /permission denied for schema/);
    }
    const publicSchema = psql("CREATE TABLE public.intruder (x int)", { user: `plaza_${name}`, password: passwords[name] });
    assert.match(publicSchema.stderr, /permission denied for schema public/);
  }

  // SIGTERM drains and exits cleanly, as `docker stop` and Kubernetes ask.
  for (const [index, child] of children.entries()) {
    const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    child.kill("SIGTERM");
    const result = await Promise.race([exited, sleep(20_000).then(() => ({ code: "timeout" }))]);
    assert.deepEqual(result, { code: 0, signal: null }, `${services[index].name}:\n${output[services[index].name]}`);
  }
});
