// Validates Kubernetes objects against Kubernetes' own OpenAPI schemas (kubernetes-models), without a cluster.
// Input on stdin: a JSON array of {"source": "...", "object": {...}}. Output: one line per object,
// "ok <source> <kind>" or "invalid <source> <kind>: <reason>"; exit status 1 when any is invalid, 2 when a kind
// is unknown to kubernetes-models (a custom resource: the deploy tests check those against their CRDs).
import { readFileSync } from "node:fs";

const input = JSON.parse(readFileSync(0, "utf8"));
let status = 0;
for (const { source, object } of input) {
  const { apiVersion, kind } = object;
  const group = apiVersion.includes("/") ? apiVersion : `v1/${apiVersion}`.replace("v1/v1", "v1");
  let model;
  try {
    model = (await import(`kubernetes-models/${group}/${kind}`))[kind];
  } catch (e) {
    console.log(`unknown ${source} ${apiVersion} ${kind}: ${e.message}`);
    status = Math.max(status, 2);
    continue;
  }
  try {
    new model(object).validate();
    console.log(`ok ${source} ${kind}`);
  } catch (e) {
    console.log(`invalid ${source} ${kind}: ${e.message.replace(/\s+/g, " ")}`);
    status = Math.max(status, 1);
  }
}
process.exit(status);
