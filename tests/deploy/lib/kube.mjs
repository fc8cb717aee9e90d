// Kubernetes checks: render an overlay with kustomize, validate every object against the
// Kubernetes OpenAPI schemas, and hold the manifests to Plaza's deployment rules.
//
// Schemas: the npm package kubernetes-models ships the Kubernetes 1.27 OpenAPI definitions
// compiled into JSON Schema validators (ajv). They check types, formats, enums and required
// fields, but like the OpenAPI definitions they accept unknown fields, which is how a misspelt
// `readinesProbe` would pass unnoticed and simply never run. So each object is validated through
// a proxy that records which fields the validator looked at: any field the schema does not
// describe is reported, as `kubectl --validate=strict` or kubeconform -strict would.

import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { ROOT, kustomizeBin, parseYamlDocuments, run } from "./repo.mjs";

const require = createRequire(import.meta.url);

// ---- rendering ---------------------------------------------------------------------------------

// Renders deploy/k8s/<relative> of `root` with kustomize: the YAML text. Throws on failure.
export function renderText(root, relative) {
  const dir = path.join(root, "deploy/k8s", relative);
  const result = run(kustomizeBin(), ["build", dir]);
  if (result.status !== 0) {
    throw new Error(`kustomize build ${relative} failed:\n${result.stderr.trim()}`);
  }
  return result.stdout;
}

// The objects of a rendered overlay.
export function render(root, relative) {
  return parseYamlDocuments(renderText(root, relative), `kustomize build ${relative}`);
}

// ---- schema validation -------------------------------------------------------------------------

function schemaName(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
  const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);
  return `IoK8sApi${capital(group.split(".")[0])}${capital(version)}${kind}`;
}

function schemaValidator(apiVersion, kind) {
  // The compiled schemas are not in the package's exports: load them by path.
  const dir = path.join(ROOT, "node_modules/kubernetes-models/_schemas");
  if (!fs.existsSync(dir)) throw new Error(`${dir} is missing: run \`npm ci\` at the repository root`);
  const file = path.join(dir, `${schemaName(apiVersion, kind)}.js`);
  return fs.existsSync(file) ? require(file).validate : null;
}

// Wraps `value` so that every property read (or enumeration) is recorded in `seen`.
function tracked(value, seen) {
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return seen.get(value).proxy;
  const record = { read: new Set(), enumerated: false, proxy: null };
  seen.set(value, record);
  record.proxy = new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === "string") record.read.add(key);
      return tracked(Reflect.get(target, key, receiver), seen);
    },
    has(target, key) {
      if (typeof key === "string") record.read.add(key);
      return Reflect.has(target, key);
    },
    // Maps (labels, resources.limits, ...) are enumerated by the validator: all keys are known.
    ownKeys(target) {
      record.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
  return record.proxy;
}

function unknownFields(value, seen, where, out) {
  if (value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => unknownFields(item, seen, `${where}/${index}`, out));
    return;
  }
  const record = seen.get(value);
  for (const key of Object.keys(value)) {
    if (record && !record.enumerated && !record.read.has(key)) {
      out.push(`${where}/${key}: unknown field (not in the Kubernetes schema)`);
      continue;
    }
    if (record) unknownFields(value[key], seen, `${where}/${key}`, out);
  }
}

function describeError(error) {
  const where = error.instancePath || "/";
  const params = Object.entries(error.params ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${where}: ${error.keyword} ${params.join(" ")}`.trim();
}

// Schema errors of one object (empty if valid).
export function validateObject(object) {
  const errors = [];
  if (!object || typeof object !== "object" || Array.isArray(object)) return ["not an object"];
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return ["apiVersion and kind must be strings"];
  }
  const validate = schemaValidator(apiVersion, kind);
  if (!validate) return [`no Kubernetes schema for ${apiVersion} ${kind}`];
  // kustomize folds long base64 values of generated Secrets over lines; the API server's decoder
  // skips line breaks, the schema's "byte" format does not.
  if (kind === "Secret" && object.data) {
    object = { ...object, data: Object.fromEntries(Object.entries(object.data).map(
      ([key, value]) => [key, typeof value === "string" ? value.replace(/\s+/g, "") : value])) };
  }
  const seen = new Map();
  if (!validate(tracked(object, seen))) errors.push(...(validate.errors ?? []).map(describeError));
  unknownFields(object, seen, "", errors);
  if (!object.metadata?.name) errors.push("/metadata/name: required");
  return errors;
}

export function objectId(object) {
  return `${object?.kind ?? "?"} ${object?.metadata?.name ?? "?"}`;
}

// Every schema error of a rendered overlay, each prefixed by the object it belongs to.
export function validateAll(objects) {
  const errors = [];
  for (const object of objects) {
    for (const error of validateObject(object)) errors.push(`${objectId(object)}: ${error}`);
  }
  return errors;
}

// ---- Plaza's rules -----------------------------------------------------------------------------

export const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet"]);

// Secrets an operator creates before applying an overlay (deploy/README.md says how); an overlay
// may generate some of them itself (overlays/dev generates the database and Redis ones).
export const OPERATOR_SECRETS = {
  "plaza-token-signing-key": ["signing-key"],
  "plaza-token-public-keys": ["public-keys"],
  "plaza-redis": ["url"],
  "plaza-groups-invite-key": ["signing-key"],
  // plaza-db-<service>: ["url"], one per service with tables
};

function labelsMatch(selector, labels) {
  if (!selector || !labels) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const expression of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, expression.key);
    const value = labels[expression.key];
    switch (expression.operator) {
      case "In": if (!has || !expression.values.includes(value)) return false; break;
      case "NotIn": if (has && expression.values.includes(value)) return false; break;
      case "Exists": if (!has) return false; break;
      case "DoesNotExist": if (has) return false; break;
      default: return false;
    }
  }
  return Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length > 0;
}

function envValue(container, name) {
  return container.env?.find((entry) => entry.name === name)?.value;
}

// Names of the Plaza workloads' pods: Plaza images run `plaza-entrypoint <service>`.
export function isPlazaWorkload(object) {
  return WORKLOAD_KINDS.has(object.kind) &&
    object.spec?.template?.metadata?.labels?.["app.kubernetes.io/part-of"] === "plaza" &&
    ["gateway", "backend"].includes(object.spec.template.metadata.labels["app.kubernetes.io/component"]);
}

// Violations of the rules every rendered overlay must keep (empty if none). `overlay` names it in
// messages; `namespace` is where everything must live.
export function policyViolations(objects, { namespace = "plaza" } = {}) {
  const problems = [];
  const add = (object, text) => problems.push(`${objectId(object)}: ${text}`);
  const byKind = (kind) => objects.filter((object) => object.kind === kind);

  const ids = new Set();
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata?.namespace ?? ""}/${object.metadata?.name}`;
    if (ids.has(id)) add(object, "defined twice");
    ids.add(id);
    if (object.kind !== "Namespace" && object.metadata?.namespace !== namespace) {
      add(object, `must be in namespace ${namespace}, is in ${object.metadata?.namespace ?? "none"}`);
    }
  }

  const configMaps = new Set(byKind("ConfigMap").map((o) => o.metadata.name));
  const secrets = new Map(byKind("Secret").map((o) => [o.metadata.name, o]));
  const workloads = objects.filter((object) => WORKLOAD_KINDS.has(object.kind));

  for (const workload of workloads) {
    const pod = workload.spec.template.spec;
    const labels = workload.spec.template.metadata?.labels ?? {};
    if (!labelsMatch(workload.spec.selector, labels)) add(workload, "selector does not match its pod labels");

    // The namespace enforces the "restricted" Pod Security Standard.
    if (pod.securityContext?.runAsNonRoot !== true) add(workload, "pod securityContext.runAsNonRoot must be true");
    if (pod.securityContext?.seccompProfile?.type !== "RuntimeDefault") {
      add(workload, "pod securityContext.seccompProfile must be RuntimeDefault");
    }
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) add(workload, "must not share host namespaces");
    if ((pod.volumes ?? []).some((volume) => volume.hostPath)) add(workload, "must not mount hostPath volumes");
    if (pod.automountServiceAccountToken !== false) add(workload, "automountServiceAccountToken must be false");

    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      const where = `container ${container.name}`;
      const security = container.securityContext ?? {};
      if (security.allowPrivilegeEscalation !== false) add(workload, `${where}: allowPrivilegeEscalation must be false`);
      if (security.readOnlyRootFilesystem !== true) add(workload, `${where}: readOnlyRootFilesystem must be true`);
      if (security.privileged) add(workload, `${where}: must not be privileged`);
      if (!(security.capabilities?.drop ?? []).includes("ALL")) add(workload, `${where}: must drop ALL capabilities`);
      if ((security.capabilities?.add ?? []).length) add(workload, `${where}: must add no capabilities`);
      for (const resource of ["cpu", "memory"]) {
        if (!container.resources?.requests?.[resource]) add(workload, `${where}: no ${resource} request`);
        if (!container.resources?.limits?.[resource]) add(workload, `${where}: no ${resource} limit`);
      }
      const image = container.image ?? "";
      if (!/:[^/]+$/.test(image) || image.endsWith(":latest")) add(workload, `${where}: image '${image}' needs a fixed tag`);
      for (const entry of container.env ?? []) {
        const ref = entry.valueFrom?.secretKeyRef ?? entry.valueFrom?.configMapKeyRef;
        if (entry.valueFrom?.configMapKeyRef && !configMaps.has(ref.name)) {
          add(workload, `${where}: env ${entry.name} reads ConfigMap ${ref.name}, which is not rendered`);
        }
        if (entry.valueFrom?.secretKeyRef) {
          const rendered = secrets.get(ref.name);
          const keys = rendered ? Object.keys({ ...rendered.data, ...rendered.stringData }) : OPERATOR_SECRETS[ref.name] ??
            (/^plaza-db-[a-z0-9_]+$/.test(ref.name) ? ["url"] : null);
          if (!keys) add(workload, `${where}: env ${entry.name} reads Secret ${ref.name}, which is neither rendered nor documented`);
          else if (!keys.includes(ref.key)) add(workload, `${where}: env ${entry.name} reads key ${ref.key} that Secret ${ref.name} does not have`);
        }
      }
      for (const source of container.envFrom ?? []) {
        if (source.configMapRef && !configMaps.has(source.configMapRef.name)) {
          add(workload, `${where}: envFrom ConfigMap ${source.configMapRef.name} is not rendered`);
        }
        if (source.secretRef && !secrets.has(source.secretRef.name)) {
          add(workload, `${where}: envFrom Secret ${source.secretRef.name} is not rendered`);
        }
      }
    }
    for (const volume of pod.volumes ?? []) {
      if (volume.configMap && !configMaps.has(volume.configMap.name)) add(workload, `volume ${volume.name}: ConfigMap ${volume.configMap.name} is not rendered`);
      if (volume.secret && !secrets.has(volume.secret.secretName)) add(workload, `volume ${volume.name}: Secret ${volume.secret.secretName} is not rendered`);
    }

    if (!isPlazaWorkload(workload)) continue;

    // Plaza services: gRPC probes on the gRPC port, graceful drains, a PDB, an HPA, a Service.
    const [container] = pod.containers;
    if (pod.containers.length !== 1) add(workload, "a Plaza pod runs one container");
    const grpcPort = container.ports?.find((port) => port.name === "grpc")?.containerPort;
    const metricsPort = container.ports?.find((port) => port.name === "metrics")?.containerPort;
    if (!grpcPort || !metricsPort) add(workload, "needs container ports named grpc and metrics");
    const probes = workload.kind === "StatefulSet"
      ? ["startupProbe", "readinessProbe", "livenessProbe"] : ["readinessProbe", "livenessProbe"];
    for (const probe of probes) {
      const handlers = ["exec", "httpGet", "tcpSocket", "grpc"].filter((h) => container[probe]?.[h]);
      if (handlers.length > 1) add(workload, `${probe} has more than one handler (${handlers.join(", ")})`);
      const grpc = container[probe]?.grpc;
      if (!grpc) add(workload, `${probe} must be a native gRPC probe`);
      else if (grpc.port !== grpcPort) add(workload, `${probe} checks port ${JSON.stringify(grpc.port)}, the gRPC port is ${JSON.stringify(grpcPort)}`);
    }
    const drainMs = Number(envValue(container, "PLAZA_DRAIN_TIMEOUT_MS") ?? 10000);
    const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
    const pauseSeconds = preStop[0] === "sleep" ? Number(preStop[1]) : 0;
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    if (!(grace > pauseSeconds + drainMs / 1000 + 5)) {
      add(workload, `terminationGracePeriodSeconds ${grace} must exceed the preStop pause (${pauseSeconds} s) + drain (${drainMs / 1000} s) + 5 s to close pools`);
    }
    if (pod.enableServiceLinks !== false) add(workload, "enableServiceLinks must be false (service variables would look like PLAZA_ configuration)");
    if (workload.spec.replicas !== undefined) add(workload, "must leave replicas to its HorizontalPodAutoscaler");

    const pdbs = byKind("PodDisruptionBudget").filter((pdb) => labelsMatch(pdb.spec.selector, labels));
    if (pdbs.length !== 1) add(workload, `needs exactly one PodDisruptionBudget, has ${pdbs.length}`);
    const hpas = byKind("HorizontalPodAutoscaler").filter((hpa) =>
      hpa.spec.scaleTargetRef.kind === workload.kind && hpa.spec.scaleTargetRef.name === workload.metadata.name);
    if (hpas.length !== 1) add(workload, `needs exactly one HorizontalPodAutoscaler, has ${hpas.length}`);
    for (const hpa of hpas) {
      if (workload.kind === "StatefulSet" && hpa.spec.maxReplicas > 100) {
        add(hpa, "a backend has 100 node ids: at most 100 replicas");
      }
      if (hpa.spec.minReplicas > hpa.spec.maxReplicas) add(hpa, "minReplicas exceeds maxReplicas");
    }
    const services = byKind("Service").filter((service) => labelsMatch({ matchLabels: service.spec.selector }, labels));
    if (!services.length) add(workload, "no Service selects its pods");
    for (const service of services) {
      const port = service.spec.ports?.find((entry) => entry.name === "grpc");
      if (!port || port.port !== grpcPort) add(service, `must expose the gRPC port ${JSON.stringify(grpcPort)} as port "grpc"`);
    }
    if (workload.kind === "StatefulSet") {
      const governing = byKind("Service").find((service) => service.metadata.name === workload.spec.serviceName);
      if (!governing || governing.spec.clusterIP !== "None") add(workload, "serviceName must name a headless Service");
    }
  }

  for (const object of [...byKind("PodDisruptionBudget"), ...byKind("Service")]) {
    const selector = object.kind === "Service" ? { matchLabels: object.spec.selector } : object.spec.selector;
    const matched = workloads.filter((w) => labelsMatch(selector, w.spec.template.metadata?.labels));
    if (matched.length !== 1) add(object, `selector matches ${matched.length} workloads, not 1`);
  }
  for (const hpa of byKind("HorizontalPodAutoscaler")) {
    const target = hpa.spec.scaleTargetRef;
    if (!workloads.some((w) => w.kind === target.kind && w.metadata.name === target.name)) {
      add(hpa, `scales ${target.kind} ${target.name}, which is not rendered`);
    }
  }

  // Exposure: only the gateway has an external Service, and only it accepts traffic from anywhere.
  for (const service of byKind("Service")) {
    const type = service.spec.type ?? "ClusterIP";
    const selectsGateway = workloads.some((w) =>
      labelsMatch({ matchLabels: service.spec.selector }, w.spec.template.metadata?.labels) &&
      w.spec.template.metadata.labels["app.kubernetes.io/component"] === "gateway");
    if (type !== "ClusterIP" && !selectsGateway) add(service, `type ${type}: only the gateway is exposed outside the cluster`);
    if (selectsGateway && type !== "LoadBalancer") add(service, "the gateway's Service must be a LoadBalancer");
  }
  const policies = byKind("NetworkPolicy");
  const denyAll = policies.some((policy) => Object.keys(policy.spec.podSelector ?? {}).length === 0 &&
    (policy.spec.policyTypes ?? []).includes("Ingress") && !(policy.spec.ingress ?? []).length);
  if (!denyAll) problems.push("NetworkPolicy: no default-deny ingress policy for the namespace");
  for (const policy of policies) {
    for (const rule of policy.spec.ingress ?? []) {
      const fromAnywhere = !rule.from || rule.from.length === 0;
      const fromOtherNamespaces = (rule.from ?? []).some((peer) => peer.namespaceSelector || peer.ipBlock);
      if (!fromAnywhere && !fromOtherNamespaces) continue;
      // Pods this rule opens to the outside: only the gateway, or only metrics ports.
      const ports = (rule.ports ?? []).map((port) => port.port);
      const exposed = workloads.filter((w) => labelsMatch(policy.spec.podSelector, w.spec.template.metadata?.labels) ||
        Object.keys(policy.spec.podSelector ?? {}).length === 0);
      for (const w of exposed) {
        const component = w.spec.template.metadata?.labels?.["app.kubernetes.io/component"];
        const metricsOnly = ports.length > 0 && ports.every((port) => port === "metrics");
        if (fromAnywhere && component !== "gateway") add(policy, `lets anyone reach ${objectId(w)}; only the gateway is public`);
        else if (!fromAnywhere && !metricsOnly && component !== "gateway") add(policy, `lets other namespaces reach ${objectId(w)} beyond its metrics port`);
        if (!ports.length) add(policy, "an ingress rule from outside the namespace must name its ports");
      }
    }
  }
  return problems;
}
