// loadKubeConfig: a clear error when no configuration exists, instead of client-node's silent
// http://localhost:8080 fallback.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadKubeConfig } from './config.js';

const home = mkdtempSync(join(tmpdir(), 'berth-kc-'));
const saved = { HOME: process.env.HOME, KUBECONFIG: process.env.KUBECONFIG, KUBERNETES_SERVICE_HOST: process.env.KUBERNETES_SERVICE_HOST };
test.before(() => { process.env.HOME = home; delete process.env.KUBECONFIG; delete process.env.KUBERNETES_SERVICE_HOST; });
test.after(() => {
  for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  rmSync(home, { recursive: true, force: true });
});

test('no kubeconfig anywhere: a clear error, not the localhost:8080 fallback', () => {
  assert.throws(() => loadKubeConfig(), /no Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG/);
});

test('an explicit kubeconfig is used as written', () => {
  const file = join(home, 'config');
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'k', cluster: { server: 'https://127.0.0.1:6443' } }], users: [{ name: 'u', user: { token: 't' } }],
    contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
  }));
  assert.is(loadKubeConfig(file).getCurrentCluster()?.server, 'https://127.0.0.1:6443');
  process.env.KUBECONFIG = file;
  try { assert.is(loadKubeConfig().getCurrentCluster()?.server, 'https://127.0.0.1:6443'); } finally { delete process.env.KUBECONFIG; }
});

test.run();
