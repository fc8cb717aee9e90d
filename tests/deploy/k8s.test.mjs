// deploy/k8s: both overlays render with kustomize, every object is valid against the Kubernetes
// schemas (unknown fields included), and the manifests keep Plaza's rules (probes, limits,
// non-root, drains, PDB/HPA per service, only the gateway exposed, secrets not in the repo).

import assert from "node:assert/strict";
import test from "node:test";
import { policyViolations, render, validateAll } from "./lib/kube.mjs";
import { ROOT } from "./lib/repo.mjs";

const rendered = new Map();
function overlay(name) {
  if (!rendered.has(name)) rendered.set(name, render(ROOT, `overlays/${name}`));
  return rendered.get(name);
}

for (const name of ["dev", "prod"]) {
  test(`overlay ${name}: every object is valid against the Kubernetes schemas`, () => {
    const objects = overlay(name);
    assert.ok(objects.length > 10, `kustomize rendered only ${objects.length} objects`);
    assert.deepEqual(validateAll(objects), []);
  });

  test(`overlay ${name}: keeps Plaza's deployment rules`, () => {
    assert.deepEqual(policyViolations(overlay(name)), []);
  });
}

function identityEnv(objects, variable) {
  const identity = objects.find((o) => o.kind === "StatefulSet" && o.metadata.name === "plaza-identity");
  return identity.spec.template.spec.containers[0].env.find((e) => e.name === variable)?.value;
}

test("overlay prod: no Secret, no data store, and identity's dev mode is off", () => {
  const objects = overlay("prod");
  assert.deepEqual(objects.filter((o) => o.kind === "Secret").map((o) => o.metadata.name), []);
  assert.deepEqual(objects.filter((o) => ["postgres", "redis"].includes(o.metadata.name)), []);
  assert.equal(identityEnv(objects, "PLAZA_DEV_MODE"), "false");
  for (const workload of objects.filter((o) => o.kind === "StatefulSet" || o.kind === "Deployment")) {
    assert.match(workload.spec.template.spec.containers[0].image, /^registry\.example\.com\/plaza:/);
  }
});

test("overlay dev: in-cluster PostgreSQL 15 and Redis 7, dev placeholders only", () => {
  const objects = overlay("dev");
  const images = objects.filter((o) => o.kind === "StatefulSet").map((o) => o.spec.template.spec.containers[0].image);
  assert.ok(images.includes("postgres:15"), images.join(" "));
  assert.ok(images.includes("redis:7"), images.join(" "));
  assert.equal(identityEnv(objects, "PLAZA_DEV_MODE"), "true");
  // Generated Secrets hold development placeholders, never the token keys.
  for (const secret of objects.filter((o) => o.kind === "Secret")) {
    assert.ok(!/token/.test(secret.metadata.name), `${secret.metadata.name} must be created by the operator`);
    for (const value of Object.values(secret.data ?? {})) {
      const text = Buffer.from(String(value).replace(/\s+/g, ""), "base64").toString();
      assert.ok(/dev-only|^redis:\/\/redis:6379$/.test(text), `${secret.metadata.name} holds something other than a dev placeholder`);
    }
  }
});
