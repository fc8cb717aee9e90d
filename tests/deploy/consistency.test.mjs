// One set of names, ports and keys: scripts/services.txt and the binaries' --help are the truth;
// docker-compose.yml, both Kubernetes overlays, scripts/cluster, the image and the operations
// guide must agree with them.

import assert from "node:assert/strict";
import test from "node:test";
import { composeConfig } from "./lib/compose.mjs";
import { composeConsistency, kubernetesConsistency, repositoryConsistency } from "./lib/consistency.mjs";
import { render } from "./lib/kube.mjs";
import { ROOT, programKeys, readServices, serviceBinary } from "./lib/repo.mjs";

test("each binary's default ports are the ones scripts/services.txt gives it", () => {
  const problems = [];
  for (const { name, port } of readServices(ROOT)) {
    const keys = programKeys(serviceBinary(name));
    if (keys.get("PLAZA_GRPC_PORT")?.defaultValue !== String(port)) {
      problems.push(`plaza-${name}: default grpc_port ${keys.get("PLAZA_GRPC_PORT")?.defaultValue}, services.txt ${port}`);
    }
    if (keys.get("PLAZA_METRICS_PORT")?.defaultValue !== String(port + 1000)) {
      problems.push(`plaza-${name}: default metrics_port ${keys.get("PLAZA_METRICS_PORT")?.defaultValue}, expected ${port + 1000}`);
    }
  }
  assert.deepEqual(problems, []);
});

test("docker-compose.yml agrees with scripts/services.txt and the binaries' keys", () => {
  assert.deepEqual(composeConsistency(ROOT, composeConfig(ROOT)), []);
});

for (const overlay of ["dev", "prod"]) {
  test(`overlay ${overlay} agrees with scripts/services.txt and the binaries' keys`, () => {
    assert.deepEqual(kubernetesConsistency(ROOT, overlay, render(ROOT, `overlays/${overlay}`)), []);
  });
}

test("scripts/cluster, the Dockerfile and deploy/README.md agree with the same sources", () => {
  assert.deepEqual(repositoryConsistency(ROOT), []);
});
