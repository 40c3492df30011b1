// Validates every object of a multi-document YAML file against the Kubernetes OpenAPI schemas
// packaged by npm's kubernetes-models (ServiceMonitor: @kubernetes-models/prometheus-operator).
// Usage: node validate_k8s.mjs NODE_MODULES FILE.yaml   Prints "ok Kind name" per object; exits
// 1 naming the object and the field on the first invalid one, or on a kind it has no schema for.
import { readFileSync, existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [nodeModules, file] = process.argv.slice(2);
const yaml = (await import(pathToFileURL(`${nodeModules}/js-yaml/index.js`))).default;

// apiVersion -> module directory of its generated models.
function modelPath(apiVersion, kind) {
  if (apiVersion.startsWith('monitoring.coreos.com/')) {
    return `${nodeModules}/@kubernetes-models/prometheus-operator/${apiVersion}/${kind}.js`;
  }
  return `${nodeModules}/kubernetes-models/${apiVersion}/${kind}.js`;
}

let failed = false;
for (const obj of yaml.loadAll(readFileSync(file, 'utf8'))) {
  if (obj === null || obj === undefined) continue;
  const where = `${obj.kind} ${obj.metadata && obj.metadata.name}`;
  const path = modelPath(obj.apiVersion, obj.kind);
  if (!existsSync(path)) {
    console.error(`${file}: ${where}: no schema for ${obj.apiVersion} ${obj.kind} (${path})`);
    failed = true;
    continue;
  }
  const Model = (await import(pathToFileURL(path)))[obj.kind];
  try {
    new Model(obj).validate();
    console.log(`ok ${where}`);
  } catch (e) {
    console.error(`${file}: ${where}: ${e.message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
