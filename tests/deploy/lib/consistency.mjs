// The three ways of running Plaza — scripts/cluster, docker-compose.yml and deploy/k8s — must
// agree with scripts/services.txt and with what the binaries read (their --help). These checks
// say exactly what is missing when a service is added to scripts/services.txt.

import fs from "node:fs";
import path from "node:path";
import { OPERATOR_SECRETS, isPlazaWorkload } from "./kube.mjs";
import {
  ENTRYPOINT_VARIABLES,
  ROOT,
  configVariable,
  plazaPackages,
  programKeys,
  readServices,
  readText,
  serviceBinary,
} from "./repo.mjs";

const COMPOSE_EXTRAS = new Set(["postgres", "redis", "keys"]);

function parseRoutes(text) {
  const routes = new Map();
  for (const entry of String(text ?? "").split(/[;\s]+/).filter(Boolean)) {
    const [name, backends] = entry.split("=");
    routes.set(name, backends);
  }
  return routes;
}

// Problems if a service's binary is not built (its keys come from --help), else none.
function unbuilt(services) {
  return services.filter(({ name }) => !fs.existsSync(serviceBinary(name)))
    .map(({ name }) => `plaza-${name} (scripts/services.txt) is not built at ${serviceBinary(name)}: its configuration keys are unknown`);
}

// Services whose binaries keep tables (they read pg_url).
function databaseServices(services) {
  return services.filter(({ name }) => programKeys(serviceBinary(name)).has("PLAZA_PG_URL")).map((s) => s.name);
}

// What a service's environment must say, wherever it runs: `hostOf(name)` is how peers reach a
// service there. `env` maps PLAZA_* names to values (undefined when from a Secret/file).
function checkServiceEnv(where, service, env, services, hostOf, problems) {
  const keys = programKeys(serviceBinary(service.name));
  for (const name of Object.keys(env)) {
    if (!name.startsWith("PLAZA_")) continue;
    if (ENTRYPOINT_VARIABLES.has(name)) continue;
    if (!keys.has(configVariable(name))) {
      problems.push(`${where}: sets ${name}, which plaza-${service.name} does not read (see plaza-${service.name} --help)`);
    }
  }
  const provided = new Set(Object.keys(env).map(configVariable));
  for (const [variable, key] of keys) {
    if (key.required && !provided.has(variable)) problems.push(`${where}: does not set ${variable}, which plaza-${service.name} requires`);
  }
  const expect = (variable, value) => {
    if (!provided.has(variable)) problems.push(`${where}: must set ${variable}=${value}`);
    else if (env[variable] !== undefined && String(env[variable]) !== String(value)) {
      problems.push(`${where}: ${variable} is ${env[variable]}, scripts/services.txt says ${value}`);
    }
  };
  expect("PLAZA_GRPC_PORT", service.port);
  expect("PLAZA_METRICS_PORT", service.port + 1000);

  // <peer>_address keys point at that peer's gRPC port.
  for (const [variable, key] of keys) {
    const peer = /^(.*)_address$/.exec(key.key)?.[1];
    const target = services.find((s) => s.name === peer);
    if (!target) continue;
    const wanted = `${hostOf(target.name)}:${target.port}`;
    if (env[variable] !== wanted) problems.push(`${where}: ${variable} must be ${wanted}, is ${env[variable] ?? "unset (the binary's default)"}`);
  }

  if (service.name === "gateway") {
    const routes = parseRoutes(env.PLAZA_ROUTES);
    for (const target of services) {
      if (target.name === "gateway") continue;
      const wanted = `${hostOf(target.name)}:${target.port}`;
      if (routes.get(target.name) !== wanted) problems.push(`${where}: PLAZA_ROUTES must route ${target.name}=${wanted}, has ${routes.get(target.name) ?? "no such route"}`);
    }
    const identity = services.find((s) => s.name === "identity");
    if (identity && routes.get("echo") !== `${hostOf("identity")}:${identity.port}`) {
      problems.push(`${where}: PLAZA_ROUTES must route echo to identity (${hostOf("identity")}:${identity.port})`);
    }
    for (const name of routes.keys()) {
      if (name !== "echo" && !services.some((s) => s.name === name)) problems.push(`${where}: PLAZA_ROUTES routes ${name}, which is not in scripts/services.txt`);
    }
  }
}

function pgUrlParts(url) {
  const match = /^postgres(?:ql)?:\/\/([^:@/]+)(?::([^@/]*))?@([^:/]+)(?::(\d+))?\/([^?]+)/.exec(url ?? "");
  return match ? { user: match[1], password: match[2], host: match[3], port: match[4], database: match[5] } : null;
}

export function composeConsistency(root, config) {
  const services = readServices(root);
  const problems = unbuilt(services);
  if (problems.length) return problems;
  const databases = databaseServices(services);
  const all = config.services ?? {};
  const image = all[services[0].name]?.image;
  for (const name of Object.keys(all)) {
    if (!COMPOSE_EXTRAS.has(name) && !services.some((s) => s.name === name)) {
      problems.push(`docker-compose.yml: service ${name} is not in scripts/services.txt`);
    }
  }
  const nodeIds = new Map();
  for (const service of services) {
    const entry = all[service.name];
    if (!entry) {
      problems.push(`docker-compose.yml: no service ${service.name} (copy messaging's block)`);
      continue;
    }
    const where = `docker-compose.yml ${service.name}`;
    if (entry.image !== image) problems.push(`${where}: runs ${entry.image}, not the Plaza image ${image}`);
    const env = entry.environment ?? {};
    checkServiceEnv(where, service, env, services, (name) => name, problems);
    if (env.PLAZA_NODE_ID !== undefined) {
      if (nodeIds.has(env.PLAZA_NODE_ID)) problems.push(`${where}: PLAZA_NODE_ID ${env.PLAZA_NODE_ID} is also ${nodeIds.get(env.PLAZA_NODE_ID)}'s`);
      nodeIds.set(env.PLAZA_NODE_ID, service.name);
    } else if (databases.includes(service.name)) {
      problems.push(`${where}: mints ids, so it must set its own PLAZA_NODE_ID`);
    }
    if (databases.includes(service.name)) {
      const url = pgUrlParts(env.PLAZA_PG_URL);
      const password = all.postgres?.environment?.[`PLAZA_DB_PASSWORD_${service.name.toUpperCase()}`];
      if (!url) problems.push(`${where}: PLAZA_PG_URL is not a postgresql:// URL`);
      else {
        if (url.user !== `plaza_${service.name}`) problems.push(`${where}: connects as ${url.user}, its role is plaza_${service.name}`);
        if (url.host !== "postgres") problems.push(`${where}: PLAZA_PG_URL must point at the postgres service`);
        if (url.password !== password) problems.push(`${where}: PLAZA_PG_URL's password is not postgres' PLAZA_DB_PASSWORD_${service.name.toUpperCase()}`);
      }
    }
  }
  const roles = String(all.postgres?.environment?.PLAZA_DB_SERVICES ?? "").split(/\s+/).filter(Boolean);
  if (roles.sort().join(" ") !== [...databases].sort().join(" ")) {
    problems.push(`docker-compose.yml postgres: PLAZA_DB_SERVICES is '${roles.join(" ")}', the services with tables are '${databases.join(" ")}'`);
  }
  return problems;
}

// The environment a container gets: env entries, and the data keys of envFrom ConfigMaps.
function containerEnv(container, objects) {
  const env = {};
  for (const source of container.envFrom ?? []) {
    const map = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === source.configMapRef?.name);
    Object.assign(env, map?.data ?? {});
  }
  for (const entry of container.env ?? []) env[entry.name] = entry.value;
  return env;
}

function secretValue(objects, name, key) {
  const secret = objects.find((o) => o.kind === "Secret" && o.metadata.name === name);
  if (!secret) return undefined;
  if (secret.stringData?.[key] !== undefined) return secret.stringData[key];
  const data = secret.data?.[key];
  return data === undefined ? undefined : Buffer.from(String(data).replace(/\s+/g, ""), "base64").toString("utf8");
}

export function kubernetesConsistency(root, overlay, objects) {
  const services = readServices(root);
  const problems = unbuilt(services);
  if (problems.length) return problems;
  const databases = databaseServices(services);
  const workloads = objects.filter(isPlazaWorkload);
  const nodeBases = new Map();
  for (const workload of workloads) {
    const name = workload.spec.template.metadata.labels["app.kubernetes.io/name"];
    if (!services.some((s) => s.name === name)) problems.push(`${overlay}: ${workload.kind} ${workload.metadata.name} runs ${name}, which is not in scripts/services.txt`);
  }
  for (const service of services) {
    const where = `${overlay} plaza-${service.name}`;
    const workload = workloads.find((w) => w.metadata.name === `plaza-${service.name}`);
    if (!workload) {
      problems.push(`${overlay}: no workload plaza-${service.name} (copy deploy/k8s/base/messaging/ and list it in base/kustomization.yaml)`);
      continue;
    }
    const container = workload.spec.template.spec.containers[0];
    if (JSON.stringify(container.args) !== JSON.stringify([service.name])) problems.push(`${where}: args must be ["${service.name}"]`);
    const ports = Object.fromEntries((container.ports ?? []).map((p) => [p.name, p.containerPort]));
    if (ports.grpc !== service.port) problems.push(`${where}: container port grpc is ${JSON.stringify(ports.grpc)}, scripts/services.txt says ${service.port}`);
    if (ports.metrics !== service.port + 1000) problems.push(`${where}: container port metrics is ${ports.metrics}, must be ${service.port + 1000}`);
    const annotation = workload.spec.template.metadata.annotations?.["prometheus.io/port"];
    if (annotation !== String(service.port + 1000)) problems.push(`${where}: annotation prometheus.io/port must be "${service.port + 1000}"`);
    const env = containerEnv(container, objects);
    checkServiceEnv(where, service, env, services, (peer) => `plaza-${peer}`, problems);
    const svc = objects.find((o) => o.kind === "Service" && o.metadata.name === `plaza-${service.name}`);
    const svcPort = svc?.spec.ports?.find((p) => p.name === "grpc")?.port;
    if (svcPort !== service.port) problems.push(`${where}: Service plaza-${service.name} must serve port grpc ${service.port}`);

    // A service with tables mints ids (core::IdGenerator) under its node id.
    if (databases.includes(service.name)) {
      const base = Number(env.PLAZA_NODE_ID_BASE);
      if (workload.kind !== "StatefulSet") problems.push(`${where}: mints ids, so it runs as a StatefulSet (one node id per pod ordinal)`);
      if (!Number.isInteger(base) || base % 100 !== 0 || base < 0 || base + 99 > 1023) {
        problems.push(`${where}: PLAZA_NODE_ID_BASE must be a multiple of 100 up to 900`);
      } else if (nodeBases.has(base)) {
        problems.push(`${where}: PLAZA_NODE_ID_BASE ${base} is also plaza-${nodeBases.get(base)}'s`);
      } else {
        nodeBases.set(base, service.name);
      }
    }
    if (databases.includes(service.name)) {
      const ref = container.env?.find((e) => e.name === "PLAZA_PG_URL")?.valueFrom?.secretKeyRef;
      if (!ref || !ref.name.startsWith(`plaza-db-${service.name}`) || ref.key !== "url") {
        problems.push(`${where}: PLAZA_PG_URL must come from Secret plaza-db-${service.name}, key url`);
      } else {
        const url = secretValue(objects, ref.name, "url");
        if (url !== undefined) {
          const parts = pgUrlParts(url);
          const credentials = objects.find((o) => o.kind === "Secret" && o.metadata.name.startsWith("postgres-credentials"));
          const password = credentials && secretValue(objects, credentials.metadata.name, `PLAZA_DB_PASSWORD_${service.name.toUpperCase()}`);
          if (parts?.user !== `plaza_${service.name}`) problems.push(`${where}: Secret ${ref.name} connects as ${parts?.user}, its role is plaza_${service.name}`);
          if (credentials && parts?.password !== password) problems.push(`${where}: Secret ${ref.name}'s password is not the one postgres gives plaza_${service.name}`);
        }
      }
    }
  }
  const postgres = objects.find((o) => o.kind === "StatefulSet" && o.metadata.name === "postgres");
  if (postgres) {
    const env = containerEnv(postgres.spec.template.spec.containers[0], objects);
    const roles = String(env.PLAZA_DB_SERVICES ?? "").split(/\s+/).filter(Boolean);
    if (roles.sort().join(" ") !== [...databases].sort().join(" ")) {
      problems.push(`${overlay} postgres: PLAZA_DB_SERVICES is '${roles.join(" ")}', the services with tables are '${databases.join(" ")}'`);
    }
    const credentials = objects.find((o) => o.kind === "Secret" && o.metadata.name.startsWith("postgres-credentials"));
    for (const name of databases) {
      if (!credentials || secretValue(objects, credentials.metadata.name, `PLAZA_DB_PASSWORD_${name.toUpperCase()}`) === undefined) {
        problems.push(`${overlay} postgres: no PLAZA_DB_PASSWORD_${name.toUpperCase()} in postgres-credentials`);
      }
    }
  }
  return problems;
}

// scripts/cluster, the image and the docs against the same sources.
export function repositoryConsistency(root) {
  const services = readServices(root);
  const problems = unbuilt(services);
  if (problems.length) return problems;
  const known = new Set();
  for (const { name } of services) for (const variable of programKeys(serviceBinary(name)).keys()) known.add(variable);

  const cluster = readText(root, "scripts/cluster");
  for (const [, variable] of cluster.matchAll(/\b(PLAZA_[A-Z0-9_]+)=/g)) {
    if (variable.startsWith("PLAZA_CLUSTER_")) continue; // the script's own settings
    if (!known.has(variable)) problems.push(`scripts/cluster: sets ${variable}, which no service reads`);
  }
  const gatewayPort = /^GATEWAY_PORT=(\d+)$/m.exec(cluster)?.[1];
  const gateway = services.find((s) => s.name === "gateway");
  if (gateway && Number(gatewayPort) !== gateway.port) problems.push(`scripts/cluster: GATEWAY_PORT=${gatewayPort}, scripts/services.txt says ${gateway.port}`);
  if (!/routes\+="echo=127\.0\.0\.1:\$\{SERVICE_PORTS\[\$i\]\};"/.test(cluster)) problems.push("scripts/cluster: gateway_routes() no longer routes echo to identity");

  // The image builds with the same Debian packages as a developer machine.
  const dockerfile = readText(root, "deploy/docker/Dockerfile");
  const buildStage = dockerfile.slice(0, dockerfile.indexOf("AS runtime"));
  const install = /apt-get install[^&]*?--no-install-recommends\s+\\?\s*([\s\S]*?)&&/.exec(buildStage)?.[1] ?? "";
  const imagePackages = new Set(install.replace(/\\/g, " ").split(/\s+/).filter((word) => word && !word.startsWith("-")));
  const localOnly = new Set(["ccache", "postgresql-15", "redis-server", "nodejs", "npm", "curl", "docker-compose", "shellcheck"]);
  const wanted = plazaPackages(root).filter((p) => !localOnly.has(p));
  for (const p of wanted) if (!imagePackages.has(p)) problems.push(`deploy/docker/Dockerfile: the build stage lacks ${p} (in PLAZA_PACKAGES)`);
  for (const p of imagePackages) if (!wanted.includes(p)) problems.push(`deploy/docker/Dockerfile: the build stage installs ${p}, which PLAZA_PACKAGES lacks`);

  const devScript = path.join(root, "deploy/k8s/overlays/dev/postgres/init-roles.sh");
  if (!fs.existsSync(devScript) || fs.readFileSync(devScript, "utf8") !== readText(root, "deploy/postgres/init-roles.sh")) {
    problems.push("deploy/k8s/overlays/dev/postgres/init-roles.sh must be a copy of deploy/postgres/init-roles.sh");
  }

  // The operations guide names every metric family the code declares, and every Secret to create.
  const guide = readText(root, "deploy/README.md");
  for (const metric of declaredMetrics()) {
    if (!guide.includes(metric)) problems.push(`deploy/README.md: does not explain metric ${metric}`);
  }
  const secrets = [...Object.keys(OPERATOR_SECRETS), ...databaseServices(services).map((name) => `plaza-db-${name}`)];
  for (const secret of secrets) if (!guide.includes(secret)) problems.push(`deploy/README.md: does not say how to create Secret ${secret}`);
  return problems;
}

// Metric families declared in libs/ and services/ (Metrics::Declare), from this checkout.
export function declaredMetrics() {
  const names = new Set();
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "tests") walk(file);
      } else if (/\.(cc|h)$/.test(entry.name)) {
        for (const [, name] of fs.readFileSync(file, "utf8").matchAll(/Declare\(\s*"(plaza_[a-z0-9_]+)"/g)) names.add(name);
      }
    }
  };
  walk(path.join(ROOT, "libs"));
  walk(path.join(ROOT, "services"));
  return [...names].sort();
}
