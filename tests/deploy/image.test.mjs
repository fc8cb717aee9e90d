// deploy/docker: the Dockerfile keeps hadolint-style rules, its shell scripts pass shellcheck,
// the entrypoint behaves as documented (run here against this build's binaries), and the runtime
// package list covers every shared library without bringing a compiler. No Docker engine needed.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import test from "node:test";
import { lintDockerfile } from "./lib/dockerfile.mjs";
import { ROOT, readServices, readText, requireCommand, run, serviceBinary, toolBinary } from "./lib/repo.mjs";

const entrypoint = path.join(ROOT, "deploy/docker/entrypoint.sh");

test("the Dockerfile keeps the hadolint-style rules", () => {
  assert.deepEqual(lintDockerfile(readText(ROOT, "deploy/docker/Dockerfile")), []);
});

test("the deployment's shell scripts pass shellcheck", () => {
  const shellcheck = requireCommand("shellcheck", "shellcheck");
  const scripts = ["deploy/docker/entrypoint.sh", "deploy/docker/build.sh", "deploy/docker/runtime-packages.sh",
    "deploy/postgres/init-roles.sh"];
  const result = run(shellcheck, ["--severity=style", ...scripts], { cwd: ROOT });
  assert.equal(result.status, 0, result.stdout + result.stderr);
  for (const script of scripts) {
    assert.ok(fs.statSync(path.join(ROOT, script)).mode & 0o111, `${script} must be executable`);
  }
});

test(".dockerignore keeps build trees, local state and git out of the build context", () => {
  const ignored = readText(ROOT, ".dockerignore").split("\n").map((l) => l.trim());
  for (const entry of [".git", "**/build/", ".plaza/", "node_modules/"]) assert.ok(ignored.includes(entry), entry);
  // What the build stage needs must stay in the context.
  for (const needed of ["scripts", "deploy/docker", "CMakeLists.txt", "tests", "services", "libs", "tools", "proto"]) {
    assert.ok(!ignored.some((entry) => entry === needed || entry === `${needed}/`), `${needed} must not be ignored`);
  }
});

test("the runtime packages cover every library of the binaries, and nothing of the build", () => {
  const binaries = [...readServices(ROOT).map(({ name }) => serviceBinary(name)),
    toolBinary("keygen", "plaza-keygen"), toolBinary("healthcheck", "plaza-healthcheck")];
  for (const binary of binaries) assert.ok(fs.existsSync(binary), `${binary} is not built`);
  const result = run(path.join(ROOT, "deploy/docker/runtime-packages.sh"), binaries);
  assert.equal(result.status, 0, result.stderr);
  const packages = result.stdout.trim().split("\n");
  for (const expected of ["libc6", "libgrpc++1.51", "libpqxx-6.4", "libsodium23", "libhiredis0.14"]) {
    assert.ok(packages.includes(expected), `${expected} missing from: ${packages.join(" ")}`);
  }
  for (const p of packages) assert.ok(!/-dev$|^(gcc|g\+\+|cpp|cmake|build-essential)/.test(p), `runtime would install ${p}`);
});

// A directory on PATH with this build's keygen and healthcheck, and a fake "plaza-printenv" that
// shows what a program started by the entrypoint would see.
function fakeImage() {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "plaza-image-"));
  fs.symlinkSync(toolBinary("keygen", "plaza-keygen"), path.join(bin, "plaza-keygen"));
  fs.symlinkSync(toolBinary("healthcheck", "plaza-healthcheck"), path.join(bin, "plaza-healthcheck"));
  fs.writeFileSync(path.join(bin, "plaza-printenv"), '#!/bin/sh\nenv | grep "^PLAZA_" | sort\necho "args: $*"\n', { mode: 0o755 });
  return bin;
}

function entry(bin, args, env = {}) {
  return run("sh", [entrypoint, ...args], { env: { PATH: `${bin}:/usr/bin:/bin`, ...env } });
}

test("the entrypoint runs plaza-<program> with its arguments, and refuses unknown programs", () => {
  const bin = fakeImage();
  try {
    const shown = entry(bin, ["printenv", "--a=b"], { PLAZA_LOG_LEVEL: "debug" });
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /^PLAZA_LOG_LEVEL=debug$/m);
    assert.match(shown.stdout, /^args: --a=b$/m);
    assert.equal(entry(bin, ["no-such-service"]).status, 64);
    assert.equal(entry(bin, ["../../bin/sh"]).status, 64);
    const help = entry(bin, ["--help"]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /init-keys/);
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

test("the entrypoint reads PLAZA_<KEY>_FILE and derives node ids from the pod ordinal", () => {
  const bin = fakeImage();
  try {
    const secret = path.join(bin, "public_keys");
    fs.writeFileSync(secret, "k1:AAAA\n");
    const shown = entry(bin, ["printenv"], { PLAZA_TOKEN_PUBLIC_KEYS_FILE: secret });
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /^PLAZA_TOKEN_PUBLIC_KEYS=k1:AAAA$/m);
    assert.doesNotMatch(shown.stdout, /_FILE=/);
    assert.equal(entry(bin, ["printenv"], { PLAZA_PG_URL_FILE: path.join(bin, "missing") }).status, 64);

    const pod = (hostname, extra = {}) => entry(bin, ["printenv"], { HOSTNAME: hostname, PLAZA_NODE_ID_BASE: "200", ...extra });
    assert.match(pod("plaza-messaging-3").stdout, /^PLAZA_NODE_ID=203$/m);
    assert.match(pod("plaza-messaging-0").stdout, /^PLAZA_NODE_ID=200$/m);
    assert.doesNotMatch(pod("plaza-messaging-3").stdout, /PLAZA_NODE_ID_BASE/);
    assert.match(pod("plaza-messaging-3", { PLAZA_NODE_ID: "7" }).stdout, /^PLAZA_NODE_ID=7$/m);
    assert.equal(pod("messaging").status, 64, "a host name without an ordinal is refused");
    assert.equal(pod("plaza-messaging-100").status, 64, "ordinal 100 would take the next service's ids");
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});

test("init-keys writes the token key pair and the random keys once, then keeps them", () => {
  const bin = fakeImage();
  try {
    const dir = fs.mkdtempSync(path.join(bin, "keys-"));
    for (const sub of ["signing", "public", "groups"]) fs.mkdirSync(path.join(dir, sub));
    const env = { PLAZA_RANDOM_KEYS: "groups/invite_signing_key" };
    const first = entry(bin, ["init-keys", dir], env);
    assert.equal(first.status, 0, first.stderr);
    const read = (file) => fs.readFileSync(path.join(dir, file), "utf8");
    const mode = (file) => fs.statSync(path.join(dir, file)).mode & 0o777;
    const key = read("signing/signing_key");
    assert.match(key, /^k\d{8}:[A-Za-z0-9+/=]+\n$/);
    assert.match(read("public/public_keys"), /^k\d{8}:[A-Za-z0-9+/=]+\n$/);
    assert.equal(Buffer.from(read("groups/invite_signing_key"), "base64").length, 48);
    assert.equal(mode("signing/signing_key"), 0o600);
    assert.equal(mode("public/public_keys"), 0o644);
    assert.equal(mode("groups/invite_signing_key"), 0o600);
    const invite = read("groups/invite_signing_key");

    const again = entry(bin, ["init-keys", dir], env);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /keeping it/);
    assert.equal(read("signing/signing_key"), key);
    assert.equal(read("groups/invite_signing_key"), invite);
    assert.equal(entry(bin, ["init-keys", dir], { PLAZA_RANDOM_KEYS: "../escape" }).status, 64);

    // What the services then read through PLAZA_<KEY>_FILE is exactly the key.
    const shown = entry(bin, ["printenv"], { PLAZA_TOKEN_SIGNING_KEY_FILE: path.join(dir, "signing/signing_key") });
    assert.ok(shown.stdout.split("\n").includes(`PLAZA_TOKEN_SIGNING_KEY=${key.trim()}`), shown.stdout);
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});
