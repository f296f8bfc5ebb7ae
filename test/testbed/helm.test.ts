// Smoke tests of the test bed's helm: the pinned version, lint on a good and a broken chart, and an
// install/uninstall against the bed's real kube-apiserver. Run after `testbed.sh up kube helm`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bed } from '../support/testbed.js';
import { repoRoot } from '../support/paths.js';
import { createTestNamespace, deleteTestNamespace, kubeconfig, kubectl, run, type RunOptions } from '../support/kube.js';

const tmp = mkdtempSync(join(tmpdir(), 'berth-helm-'));
// helm keeps caches/config/plugins in ~/.cache/helm etc.; keep this test's inside its temp dir.
const env = {
  ...process.env,
  HELM_CACHE_HOME: join(tmp, 'cache'), HELM_CONFIG_HOME: join(tmp, 'config'), HELM_DATA_HOME: join(tmp, 'data'),
  KUBECONFIG: kubeconfig('admin'),
};
const helm = (args: string[], opts: RunOptions = {}) => run(bed('BERTH_TEST_HELM'), args, { env, ...opts });

function writeChart(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

const chartYaml = (name: string) => `apiVersion: v2\nname: ${name}\ndescription: test-bed smoke chart\ntype: application\nversion: 0.1.0\nappVersion: "1.0"\n`;
const goodChart = () => writeChart('good', {
  'Chart.yaml': chartYaml('good'),
  'values.yaml': 'greeting: hello\n',
  'templates/configmap.yaml': [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: {{ .Release.Name }}-greeting',
    '  labels: {app.kubernetes.io/managed-by: {{ .Release.Service }}}',
    'data:',
    '  greeting: {{ .Values.greeting | quote }}',
    '',
  ].join('\n'),
});

const namespaces: string[] = [];
test.after(async () => {
  for (const ns of namespaces) await deleteTestNamespace(ns);
  rmSync(tmp, { recursive: true, force: true });
});

test('helm reports the version pinned in test/env/kube/helm/go.mod', async () => {
  const pinned = /^require helm\.sh\/helm\/v3 (v\S+)/m.exec(readFileSync(join(repoRoot, 'test/env/kube/helm/go.mod'), 'utf8'))?.[1];
  assert.ok(pinned, 'helm pin found in go.mod');
  assert.is(bed('BERTH_TEST_HELM_VERSION'), pinned);
  const v = await helm(['version', '--template', '{{.Version}}'], { check: true });
  assert.is(v.stdout.trim(), pinned);
});

test('helm lint passes on a small valid chart', async () => {
  const res = await helm(['lint', goodChart()]);
  assert.is(res.code, 0, res.stdout + res.stderr);
  assert.match(res.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
});

test('helm lint fails on a broken chart', async () => {
  const broken = writeChart('broken', {
    'Chart.yaml': chartYaml('broken'),
    'values.yaml': '{}\n',
    'templates/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name \n',
  });
  const res = await helm(['lint', broken]);
  assert.is.not(res.code, 0);
  assert.match(res.stdout + res.stderr, /1 chart\(s\) failed/);
});

test('helm installs and uninstalls a chart on the bed apiserver', async () => {
  const ns = await createTestNamespace('berth-t-helm');
  namespaces.push(ns);
  await helm(['install', 'smoke', goodChart(), '-n', ns, '--set', 'greeting=hi', '--wait', '--timeout', '60s'], { check: true });
  const cm = await kubectl(['get', 'configmap', 'smoke-greeting', '-n', ns, '-o', 'jsonpath={.data.greeting}'], { check: true });
  assert.is(cm.stdout, 'hi');
  await helm(['uninstall', 'smoke', '-n', ns, '--wait'], { check: true });
  const gone = await kubectl(['get', 'configmap', 'smoke-greeting', '-n', ns]);
  assert.match(gone.stderr, /NotFound/);
});

test.run();
