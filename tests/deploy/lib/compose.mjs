// docker-compose checks: Debian's docker-compose validates and resolves the file (no Docker
// engine needed for `config`), then Plaza's rules are checked on the resolved services.

import path from "node:path";
import { parseYamlDocuments, requireCommand, run } from "./repo.mjs";

// `docker-compose config` of <root>/docker-compose.yml, with nothing from the caller's environment
// (defaults in the file apply). Returns the resolved document; throws with compose's message.
export function composeConfig(root) {
  const compose = requireCommand("docker-compose", "docker-compose");
  const file = path.join(root, "docker-compose.yml");
  const result = run(compose, ["--file", file, "--project-directory", root, "config"], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME ?? "/tmp" },
  });
  if (result.status !== 0) {
    throw new Error(`docker-compose config rejects ${file}:\n${(result.stderr || result.stdout).trim()}`);
  }
  const [config] = parseYamlDocuments(result.stdout, "docker-compose config");
  return config;
}

export const DATA_STORES = ["postgres", "redis"];

// Plaza services in the resolved compose file: those running the Plaza image's entrypoint with a
// service name (token-keys is a one-shot, not a service).
export function plazaServices(config, image) {
  return Object.entries(config.services ?? {}).filter(([, service]) => service.image === image);
}

function publishedPorts(service) {
  // Short syntax "127.0.0.1:8101:8101/tcp" or long {published, target, host_ip}.
  return (service.ports ?? []).map((port) => {
    if (typeof port === "object") {
      return { host: port.host_ip ?? "", published: Number(port.published), target: Number(port.target) };
    }
    const parts = String(port).replace(/\/(tcp|udp)$/, "").split(":");
    const [host, published, target] = parts.length === 3 ? parts : ["", parts[0], parts[1] ?? parts[0]];
    return { host, published: Number(published), target: Number(target) };
  });
}

// Violations of Plaza's compose rules (empty if none).
export function composeViolations(config, services) {
  const problems = [];
  const all = config.services ?? {};
  for (const store of DATA_STORES) {
    if (!all[store]) problems.push(`no ${store} service`);
    else if (!all[store].healthcheck?.test) problems.push(`${store}: needs a health check`);
    else if (!(all[store].volumes ?? []).some((v) => (typeof v === "object" ? v.type === "volume" : !String(v).startsWith("/") && !String(v).startsWith(".")))) {
      problems.push(`${store}: keeps its data in a named volume`);
    }
  }
  if (!/^postgres:15(\b|[.-])/.test(all.postgres?.image ?? "")) problems.push("postgres: must run PostgreSQL 15");
  if (!/^redis:7(\b|[.-])/.test(all.redis?.image ?? "")) problems.push("redis: must run Redis 7");

  for (const { name, port } of services) {
    const service = all[name];
    if (!service) {
      problems.push(`${name}: listed in scripts/services.txt but not in docker-compose.yml`);
      continue;
    }
    const where = `${name}`;
    if (JSON.stringify(service.command) !== JSON.stringify([name])) {
      problems.push(`${where}: command must be ["${name}"] (the image's entrypoint runs plaza-${name})`);
    }
    if (!service.healthcheck?.test || service.healthcheck.disable) problems.push(`${where}: needs its health check`);
    if (service.read_only !== true) problems.push(`${where}: read_only must be true`);
    if (!(service.cap_drop ?? []).includes("ALL")) problems.push(`${where}: must drop ALL capabilities`);
    const depends = service.depends_on ?? {};
    const needs = name === "gateway" ? ["redis"] : DATA_STORES;
    for (const store of needs) {
      if (depends[store]?.condition !== "service_healthy") problems.push(`${where}: must depend on a healthy ${store}`);
    }
    const published = publishedPorts(service);
    const metrics = published.find((p) => p.target === port + 1000);
    if (!metrics || metrics.published !== port + 1000) problems.push(`${where}: metrics port ${port + 1000} must be published`);
    else if (metrics.host !== "127.0.0.1") problems.push(`${where}: metrics port ${port + 1000} is published on 127.0.0.1 only`);
    const grpc = published.find((p) => p.target === port);
    if (name === "gateway") {
      if (!grpc || grpc.published !== port) problems.push(`${where}: the API port ${port} must be published`);
    } else if (grpc) {
      problems.push(`${where}: gRPC port ${port} must not be published (only the gateway is public)`);
    }
  }
  return problems;
}
