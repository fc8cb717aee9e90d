// The checks must fail on broken input: each case below breaks a scratch copy of the deployment
// files in one way and expects the matching checker to refuse it, naming the problem.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import test from "node:test";
import { composeConfig, composeViolations } from "./lib/compose.mjs";
import { composeConsistency, kubernetesConsistency, repositoryConsistency } from "./lib/consistency.mjs";
import { lintDockerfile } from "./lib/dockerfile.mjs";
import { policyViolations, render, renderText, validateAll } from "./lib/kube.mjs";
import { ROOT, copyTree, edit, parseYamlDocuments, readServices, readText, removeTree } from "./lib/repo.mjs";

// Runs `check` on a scratch copy broken by `breakIt`; the copy is deleted afterwards.
function withBrokenCopy(breakIt, check) {
  const root = copyTree();
  try {
    breakIt(root);
    return check(root);
  } finally {
    removeTree(root);
  }
}

// Every problem the Kubernetes checks find in an overlay of `root` (render errors included).
function kubernetesProblems(root, overlay = "dev") {
  let objects;
  try {
    objects = render(root, `overlays/${overlay}`);
  } catch (error) {
    return [error.message];
  }
  return [...validateAll(objects), ...policyViolations(objects), ...kubernetesConsistency(root, overlay, objects)];
}

function composeProblems(root) {
  let config;
  try {
    config = composeConfig(root);
  } catch (error) {
    return [error.message];
  }
  return [...composeViolations(config, readServices(root)), ...composeConsistency(root, config)];
}

function expectProblem(problems, pattern) {
  assert.ok(problems.some((problem) => pattern.test(problem)),
    `expected a problem matching ${pattern}, got:\n${problems.join("\n") || "(none: the broken copy passed)"}`);
}

test("the unbroken copy passes (so the failures below come from the breakage)", () => {
  withBrokenCopy(() => {}, (root) => {
    assert.deepEqual(kubernetesProblems(root, "dev"), []);
    assert.deepEqual(kubernetesProblems(root, "prod"), []);
    assert.deepEqual(composeProblems(root), []);
  });
});

// Breakages of the sources: kustomize must fail, or what it renders must be refused.
const backend = "deploy/k8s/base/backend/statefulset.yaml";
const sourceCases = [
  ["a misspelt field in the backend template", backend, "readinessProbe:", "readinesProbe:", /readinesProbe: unknown field/],
  ["broken YAML", "deploy/k8s/base/config.yaml", "  PLAZA_LOG_LEVEL: info", " PLAZA_LOG_LEVEL: info\n   - x", /kustomize build overlays\/dev failed/],
  ["a patch file that is gone", "deploy/k8s/base/identity/kustomization.yaml", "- path: service.yaml", "- path: services.yaml", /kustomize build overlays\/dev failed/],
  ["a service patch with a port that disagrees with services.txt", "deploy/k8s/base/messaging/statefulset.yaml", "containerPort: 7102", "containerPort: 7112", /container port grpc is 7112, scripts\/services.txt says 7102/],
  ["a probe with two handlers", backend, "          readinessProbe:\n            grpc:\n              port: 1", "          readinessProbe:\n            httpGet:\n              port: 1", /readinessProbe has more than one handler \(httpGet, grpc\)/],
];

for (const [what, file, from, to, expected] of sourceCases) {
  test(`Kubernetes checks refuse ${what}`, () => {
    withBrokenCopy((root) => edit(root, file, from, to), (root) => expectProblem(kubernetesProblems(root), expected));
  });
}

// Breakages of a copy of the rendered dev overlay (kustomize's formatting), fed to the checkers.
let renderedDev;
function renderedProblems(from, to) {
  renderedDev ??= renderText(ROOT, "overlays/dev");
  assert.ok(renderedDev.includes(from), `the rendered dev overlay has no '${from}'`);
  let objects;
  try {
    objects = parseYamlDocuments(renderedDev.replace(from, to), "broken copy");
  } catch (error) {
    return [error.message];
  }
  return [...validateAll(objects), ...policyViolations(objects), ...kubernetesConsistency(ROOT, "dev", objects)];
}

const renderedCases = [
  ["a misspelt nested field", "failureThreshold: 60", "failureTreshold: 60", /failureTreshold: unknown field/],
  ["a wrong type", "- containerPort: 7101", '- containerPort: "7101"', /containerPort: type .*integer/],
  ["a negative replica count", "maxReplicas: 3", "maxReplicas: -3", /minReplicas exceeds maxReplicas/],
  ["a missing required field", "          timeoutSeconds: 2\n        name: gateway\n", "          timeoutSeconds: 2\n", /containers\/0: required .*missingProperty="name"/],
  ["an unknown kind", "kind: PodDisruptionBudget", "kind: PodDisruptionBudgt", /no Kubernetes schema for policy\/v1 PodDisruptionBudgt/],
  ["a writable root filesystem", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", /readOnlyRootFilesystem must be true/],
  ["a privilege escalation", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", /allowPrivilegeEscalation must be false/],
  ["a root user", "runAsNonRoot: true", "runAsNonRoot: false", /runAsNonRoot must be true/],
  ["a grace period shorter than the drain", "terminationGracePeriodSeconds: 40", "terminationGracePeriodSeconds: 15", /terminationGracePeriodSeconds 15 must exceed/],
  ["an HTTP probe instead of gRPC", "        readinessProbe:\n          failureThreshold: 2\n          grpc:\n            port: 7000", "        readinessProbe:\n          failureThreshold: 2\n          httpGet:\n            port: 7000", /readinessProbe must be a native gRPC probe/],
  ["a probe on the wrong port", "          grpc:\n            port: 7103", "          grpc:\n            port: 7101", /Probe checks port 7101, the gRPC port is 7103/],
  ["no memory limit", "            memory: 512Mi\n", "", /no memory limit/],
  ["a backend exposed outside", "  clusterIP: None", "  type: LoadBalancer", /only the gateway is exposed/],
  ["a backend open to everyone", "      app.kubernetes.io/component: gateway\n  policyTypes:", "      app.kubernetes.io/part-of: plaza\n  policyTypes:", /lets anyone reach StatefulSet plaza-/],
  ["no default-deny policy", "  podSelector: {}\n", "  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: nothing\n", /no default-deny ingress policy/],
  ["a PodDisruptionBudget that selects nothing", "  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: gateway", "  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: gateways", /PodDisruptionBudget plaza-gateway: selector matches 0 workloads/],
  ["a key no binary reads", "name: PLAZA_IDENTITY_ADDRESS", "name: PLAZA_IDENTITY_ADRESS", /sets PLAZA_IDENTITY_ADRESS, which plaza-groups does not read/],
  ["a route that is missing", "messaging=plaza-messaging:7102;", "", /PLAZA_ROUTES must route messaging=plaza-messaging:7102/],
  ["a Secret nobody documents", "name: plaza-token-public-keys", "name: plaza-token-keys", /reads Secret plaza-token-keys, which is neither rendered nor documented/],
  ["two services with the same node ids", 'value: "200"', 'value: "100"', /PLAZA_NODE_ID_BASE 100 is also plaza-identity's/],
  ["a latest image", "image: plaza:dev", "image: plaza:latest", /image 'plaza:latest' needs a fixed tag/],
];

for (const [what, from, to, expected] of renderedCases) {
  test(`Kubernetes checks refuse ${what}`, () => expectProblem(renderedProblems(from, to), expected));
}

test("Kubernetes checks refuse a service of services.txt that has no manifests", () => {
  withBrokenCopy(
    (root) => fs.appendFileSync(path.join(root, "scripts/services.txt"), "gateway2 7999\n"),
    (root) => expectProblem(kubernetesProblems(root, "prod"), /plaza-gateway2 \(scripts\/services.txt\) is not built|no workload plaza-gateway2/));
});

const composeCases = [
  ["a misspelt option", "    image: redis:7", "    imag: redis:7", /docker-compose config rejects .*Unsupported config option for services.redis: 'imag'/s],
  ["a dependency on a missing service", "  keys:\n    condition: service_completed_successfully\n\nservices:", "  key:\n    condition: service_completed_successfully\n\nservices:", /docker-compose config rejects .*depends on service 'key' which is undefined/s],
  ["a port that disagrees with services.txt", 'PLAZA_GRPC_PORT: "7102"', 'PLAZA_GRPC_PORT: "7103"', /PLAZA_GRPC_PORT is 7103, scripts\/services.txt says 7102/],
  ["a published backend gRPC port", '      - "127.0.0.1:8102:8102"', '      - "127.0.0.1:8102:8102"\n      - "7102:7102"', /gRPC port 7102 must not be published/],
  ["a wrong peer address", "PLAZA_IDENTITY_ADDRESS: identity:7101", "PLAZA_IDENTITY_ADDRESS: identity:7100", /PLAZA_IDENTITY_ADDRESS must be identity:7101/],
  ["a missing required key", "      PLAZA_ROUTES: identity=identity:7101;messaging=messaging:7102;groups=groups:7103;echo=identity:7101\n", "", /does not set PLAZA_ROUTES, which plaza-gateway requires/],
  ["a secret file nobody reads", "PLAZA_INVITE_SIGNING_KEY_FILE", "PLAZA_INVITE_KEY_FILE", /sets PLAZA_INVITE_KEY_FILE, which plaza-groups does not read/],
  ["two services with one node id", 'PLAZA_NODE_ID: "103"', 'PLAZA_NODE_ID: "102"', /PLAZA_NODE_ID 102 is also messaging's/],
  ["a service connecting as another's role", "postgresql://plaza_messaging:", "postgresql://plaza_identity:", /connects as plaza_identity, its role is plaza_messaging/],
  ["a writable container", "  read_only: true\n", "  read_only: false\n", /read_only must be true/],
];

for (const [what, from, to, expected] of composeCases) {
  test(`compose checks refuse ${what}`, () => {
    withBrokenCopy((root) => edit(root, "docker-compose.yml", from, to), (root) => expectProblem(composeProblems(root), expected));
  });
}

const repositoryCases = [
  ["a dev init script that drifted", "deploy/k8s/overlays/dev/postgres/init-roles.sh", "set -eu", "set -u", /must be a copy of deploy\/postgres\/init-roles.sh/],
  ["a build stage without a package of PLAZA_PACKAGES", "deploy/docker/Dockerfile", " libsodium-dev", "", /the build stage lacks libsodium-dev/],
  ["a key scripts/cluster sets that nobody reads", "scripts/cluster", "PLAZA_LOG_LEVEL=info", "PLAZA_LOG_LEVLE=info", /scripts\/cluster: sets PLAZA_LOG_LEVLE, which no service reads/],
  ["an undocumented metric", "deploy/README.md", "plaza_gateway_open_streams", "plaza_gateway_streams", /does not explain metric plaza_gateway_open_streams/],
];

for (const [what, file, from, to, expected] of repositoryCases) {
  test(`repository checks refuse ${what}`, () => {
    withBrokenCopy((root) => edit(root, file, from, to), (root) => expectProblem(repositoryConsistency(root), expected));
  });
}

const dockerfileCases = [
  ["running as root", "USER 10001:10001", "USER root", /DL3002/],
  ["no user at all", "USER 10001:10001\n", "", /DL3002/],
  ["an untagged base image", "FROM debian:12-slim AS runtime", "FROM debian AS runtime", /DL3006/],
  ["a compiler in the runtime stage", "apt-get install -y --no-install-recommends ca-certificates", "apt-get install -y --no-install-recommends ca-certificates g++", /PLZ002 .*g\+\+/],
  ["apt lists left in the image", "\\\n && rm -rf /var/lib/apt/lists/* \\\n && groupadd", "\\\n && groupadd", /DL3009/],
  ["a shell-form entrypoint", 'ENTRYPOINT ["plaza-entrypoint"]', "ENTRYPOINT plaza-entrypoint", /DL3025/],
  ["no health check", 'HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 CMD ["plaza-healthcheck"]\n', "", /PLZ004/],
];

for (const [what, from, to, expected] of dockerfileCases) {
  test(`the Dockerfile lint refuses ${what}`, () => {
    const original = readText(ROOT, "deploy/docker/Dockerfile");
    assert.ok(original.includes(from), `the Dockerfile has no '${from}'`);
    const findings = lintDockerfile(original.replace(from, to)).map((f) => `${f.rule} ${f.message} (line ${f.line})`);
    expectProblem(findings, expected);
  });
}
