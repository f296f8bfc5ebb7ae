// The chart's `helm test` hook, its use as a subchart (`global`), and its kubeVersion against the
// bed's real apiserver. There is no kubelet, so the test Pod never runs in the cluster: its render
// is checked by the apiserver (server dry run), and its command is run here against a real HTTP
// server answering as a leader (200) and as a standby (503) would.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { installCrds } from '../support/berth.js';
import { CHART, find, Helm, parseObjects, type K8sObject } from '../support/helm.js';
import { createTestNamespace, deleteTestNamespace, kubectl, run } from '../support/kube.js';
import { bed } from '../support/testbed.js';

const helm = new Helm();
let ns = '';
let server: Server | undefined;
let answer = { status: 200, body: 'ok' };

interface TestPod { metadata: { name: string; annotations: Record<string, string> }; spec: { restartPolicy: string; containers: Array<{ image: string; command: string[]; securityContext: { readOnlyRootFilesystem: boolean } }> } }

test.before(async () => {
  await installCrds();
  ns = await createTestNamespace('bh-polish');
  // The hook Pod runs as `default`, which the bed (no controller-manager) does not create.
  await kubectl(['-n', ns, 'create', 'serviceaccount', 'default'], { check: true });
  server = createServer((_req, res) => { res.writeHead(answer.status); res.end(`${answer.body}\n`); });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
});

test.after(async () => {
  server?.close();
  if (ns) await deleteTestNamespace(ns);
  helm.cleanup();
});

const testPod = (objects: K8sObject[]) => objects.find((o) => o.kind === 'Pod' && (o.metadata as { annotations?: Record<string, string> }).annotations?.['helm.sh/hook'] === 'test') as unknown as TestPod | undefined;

test('helm test hook: a Pod annotated helm.sh/hook: test that GETs the Service /readyz, accepted by the apiserver', async () => {
  const { yaml, objects } = await helm.template('rel', ns);
  const pod = testPod(objects);
  assert.ok(pod, 'a test hook Pod is rendered');
  assert.is(pod.metadata.name, 'rel-berth-test-readyz');
  assert.match(pod.metadata.annotations['helm.sh/hook-delete-policy']!, 'before-hook-creation');
  assert.is(pod.spec.restartPolicy, 'Never');
  const c = pod.spec.containers[0]!;
  assert.is(c.image, (find(objects, 'Deployment') as unknown as { spec: { template: { spec: { containers: Array<{ image: string }> } } } }).spec.template.spec.containers[0]!.image, 'the controller image');
  assert.is(c.securityContext.readOnlyRootFilesystem, true);
  const service = find(objects, 'Service', 'rel-berth') as unknown as { spec: { ports: Array<{ port: number }> } };
  assert.is(c.command.at(-1), `http://rel-berth.${ns}.svc:${service.spec.ports[0]!.port}/readyz`, 'the URL is the release Service');
  const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: yaml.split(/^---$/m).find((d) => d.includes('helm.sh/hook: test'))! });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /pod\/rel-berth-test-readyz created \(server dry run\)/);
  const off = await helm.template('rel', ns, ['tests.enabled=false']);
  assert.is(testPod(off.objects), undefined, 'tests.enabled=false renders no hook');
});

test('the hook command exits 0 on a 200 /readyz and 1 on 503 or no answer, saying what it got', async () => {
  const { objects } = await helm.template('rel', ns, ['tests.timeoutSeconds=2']);
  const command = testPod(objects)!.spec.containers[0]!.command;
  assert.is(command[0], 'node');
  const port = (server!.address() as { port: number }).port;
  const runWith = (url: string) => run(process.execPath, [...command.slice(1, -1), url], { timeoutMs: 20_000 });
  answer = { status: 200, body: 'ok' };
  const ok = await runWith(`http://127.0.0.1:${port}/readyz`);
  assert.is(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /200 ok/);
  answer = { status: 503, body: 'not the leader' };
  const standby = await runWith(`http://127.0.0.1:${port}/readyz`);
  assert.is(standby.code, 1);
  assert.match(standby.stdout, /503 not the leader/);
  const nobody = await runWith('http://127.0.0.1:9/readyz');
  assert.is(nobody.code, 1);
  assert.match(nobody.stderr, /GET http:\/\/127\.0\.0\.1:9\/readyz/);
});

test('as a subchart: a parent chart with global values renders (the schema allows global)', async () => {
  const parent = join(helm.home, 'parent');
  mkdirSync(join(parent, 'charts'), { recursive: true });
  writeFileSync(join(parent, 'Chart.yaml'), `apiVersion: v2\nname: parent\nversion: 0.0.1\ndependencies:\n  - name: berth\n    version: "*"\n    repository: file://${CHART}\n`);
  writeFileSync(join(parent, 'values.yaml'), 'global:\n  imageRegistry: registry.example.com\n  team: ops\nberth:\n  replicaCount: 1\n');
  const dep = await helm.run(['dependency', 'update', parent]);
  assert.is(dep.code, 0, dep.stderr);
  const r = await helm.run(['template', 'p', parent, '-n', ns]);
  assert.is(r.code, 0, r.stderr);
  assert.ok(find(parseObjects(r.stdout), 'Deployment', 'p-berth'), 'the subchart renders');
  const bad = await helm.run(['template', 'p', CHART, '--set', 'notAValue=1']);
  assert.is.not(bad.code, 0, 'other unknown top-level values are still refused');
});

test('kubeVersion: the bed apiserver satisfies it, a 1.28 cluster is refused (the CRDs need the 1.29 CEL quantity library)', async () => {
  const { kubeVersion } = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { kubeVersion: string };
  assert.is(kubeVersion, '>=1.29.0-0');
  const server = JSON.parse((await kubectl(['version', '-o', 'json'], { check: true })).stdout) as { serverVersion: { gitVersion: string } };
  assert.is(server.serverVersion.gitVersion, bed('BERTH_TEST_K8S_VERSION'));
  const current = await helm.run(['template', 'k', CHART, '--kube-version', server.serverVersion.gitVersion]);
  assert.is(current.code, 0, current.stderr);
  const old = await helm.run(['template', 'k', CHART, '--kube-version', 'v1.28.9']);
  assert.is.not(old.code, 0);
  assert.match(old.stderr, /kubeVersion/);
});

test.run();
