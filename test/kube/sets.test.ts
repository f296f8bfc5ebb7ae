// ContainerSets in Kubernetes mode, as a user drives them with kubectl: apply a set over a real
// apiserver, a real controller (watching only this run's namespace) and a real agent on one of the
// bed's extra engines; `kubectl wait --for=condition=Ready cs/app`, the printer columns, status
// through the status subresource, and a template change rolled out.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { installCrds } from '../support/berth.js';
import { OutputBuffer, spawnBerth, startBerthController, stopProcess } from '../support/berth-process.js';
import { docker, dockerHosts } from '../support/docker.js';
import { createTestNamespace, deleteTestNamespace, kubeconfig, kubectl } from '../support/kube.js';
import { bed } from '../support/testbed.js';
import { until } from '../support/wait.js';

const output = new OutputBuffer();
const tmp = mkdtempSync(join(tmpdir(), 'berth-kube-sets-'));
const engine = dockerHosts()[0]!;
let ns = '';
let sys = '';
let web = '';
let controller: ChildProcess | undefined;
let agent: ChildProcess | undefined;

const setYaml = (marker: string) => `apiVersion: berth.dev/v1alpha1
kind: ContainerSet
metadata: { name: app, namespace: ${ns} }
spec:
  hostSelector: { matchLabels: { tier: edge } }
  template:
    containers:
    - name: ${web}
      image: ${bed('BERTH_TEST_IMAGE')}
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "while true; do sleep 1; done"]
      env: [{ name: MARKER, value: "${marker}" }]
      stopTimeoutSeconds: 1
`;
const marker = async () => {
  const r = await docker(['inspect', web], { host: engine });
  return r.code === 0 ? (JSON.parse(r.stdout)[0] as { Config: { Env: string[] } }).Config.Env.find((e) => e.startsWith('MARKER='))?.slice(7) : undefined;
};

test.before(async () => {
  await installCrds();
  ns = await createTestNamespace('bk-sets');
  sys = await createTestNamespace('bk-sets-sys');
  web = `${ns}-web`;
  const started = await startBerthController(['--kube', '--kubeconfig', kubeconfig('admin'), '--namespace', ns, '--controller-namespace', sys,
    '--listen', '127.0.0.1:0', '--log-level', 'info'], { output });
  controller = started.child;
  const applied = await kubectl(['apply', '-f', '-'], { input: `apiVersion: berth.dev/v1alpha1
kind: ContainerHost
metadata: { name: edge-1, namespace: ${ns}, labels: { tier: edge } }
spec: {}
---
apiVersion: berth.dev/v1alpha1
kind: AgentToken
metadata: { name: edge-1, namespace: ${ns} }
spec: { hostRef: { name: edge-1 } }
` });
  assert.is(applied.code, 0, applied.stderr);
  const secret = await until('the agent token Secret', async () => {
    const r = await kubectl(['-n', ns, 'get', 'secret', 'edge-1-agent-token', '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as { data: Record<string, string> }).data : undefined;
  }, 60_000, 500);
  writeFileSync(join(tmp, 'token'), Buffer.from(secret.token!, 'base64').toString(), { mode: 0o600 });
  agent = spawnBerth(['agent', '--url', Buffer.from(secret.url!, 'base64').toString(), '--token-file', join(tmp, 'token')], { output, env: { DOCKER_HOST: engine } }).child;
});

test.after(async () => {
  await stopProcess(agent, 'SIGTERM');
  await stopProcess(controller, 'SIGTERM');
  await docker(['rm', '-f', web], { host: engine });
  if (ns) { await kubectl(['-n', ns, 'patch', 'ch', 'edge-1', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']); await deleteTestNamespace(ns); }
  if (sys) await deleteTestNamespace(sys);
  rmSync(tmp, { recursive: true, force: true });
});

test('kubectl apply a ContainerSet, kubectl wait Ready, printer columns and status', async () => {
  const applied = await kubectl(['apply', '-f', '-'], { input: setYaml('v1') });
  assert.is(applied.code, 0, applied.stderr);
  const wait = await kubectl(['-n', ns, 'wait', '--for=condition=Ready', 'cset/app', '--timeout=120s'], { timeoutMs: 130_000 });
  assert.is(wait.code, 0, `${wait.stderr}\n${output.text(4000)}`);
  assert.is(await marker(), 'v1');
  const rows = (await kubectl(['-n', ns, 'get', 'cset', 'app'], { check: true })).stdout.trim().split('\n');
  assert.equal(rows[0]!.split(/\s+/), ['NAME', 'HOSTS', 'UPDATED', 'READY', 'REVISION', 'AGE']);
  assert.equal(rows[1]!.split(/\s+/).slice(0, 4), ['app', '1', '1', '1']);
  const got = JSON.parse((await kubectl(['-n', ns, 'get', 'cset', 'app', '-o', 'json'], { check: true })).stdout);
  assert.is(got.status.hostStatuses[0].host, 'edge-1');
  assert.is(got.status.currentRevision, got.status.updateRevision);
  assert.is(got.status.observedGeneration, got.metadata.generation);
});

test('a template change rolls out and the set is Ready again at the new revision', async () => {
  const before = JSON.parse((await kubectl(['-n', ns, 'get', 'cset', 'app', '-o', 'json'], { check: true })).stdout).status.updateRevision;
  assert.is((await kubectl(['apply', '-f', '-'], { input: setYaml('v2') })).code, 0);
  await until('v2 on the engine', async () => (await marker()) === 'v2', 90_000, 500);
  const got = await until('Ready at the new revision', async () => {
    const s = JSON.parse((await kubectl(['-n', ns, 'get', 'cset', 'app', '-o', 'json'], { check: true })).stdout);
    const ready = s.status.conditions?.find((c: { type: string }) => c.type === 'Ready');
    return s.status.updateRevision !== before && s.status.currentRevision === s.status.updateRevision && ready?.status === 'True' ? s : undefined;
  }, 90_000, 500);
  assert.is(got.status.revisions.length, 2, 'the previous revision is kept for rollback');
});

test.run();
