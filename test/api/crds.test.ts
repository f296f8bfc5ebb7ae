// The CRDs against the real kube-apiserver: accepted as written, printer columns, short names,
// category, field descriptions in `kubectl explain`, and the status subresource.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { installCrds } from '../support/berth.js';
import { applyYaml, createTestNamespace, deleteTestNamespace, kubectl } from '../support/kube.js';

let ns = '';
test.before(async () => { await installCrds(); ns = await createTestNamespace('berth-t-crd'); });
test.after(async () => { if (ns) await deleteTestNamespace(ns); });

test('both CRDs are Established with the status subresource and structural schemas', async () => {
  for (const name of ['containerhosts.berth.dev', 'agenttokens.berth.dev']) {
    const crd = JSON.parse((await kubectl(['get', 'crd', name, '-o', 'json'], { check: true })).stdout);
    const conditions = Object.fromEntries(crd.status.conditions.map((c: { type: string; status: string }) => [c.type, c.status]));
    assert.is(conditions.Established, 'True', name);
    assert.is(conditions.NonStructuralSchema, undefined, `${name} must be structural`);
    assert.ok(crd.spec.versions[0].subresources.status, `${name} has a status subresource`);
  }
});

test('kubectl get ch shows the printer columns, filled in from status', async () => {
  await applyYaml(`apiVersion: berth.dev/v1alpha1
kind: ContainerHost
metadata: { name: box-1 }
spec:
  containers: [{ name: web, image: nginx:1.27 }]
`, { namespace: ns });
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const cond = (type: string, status: string) => ({ type, status, reason: 'Test', message: 'set by the test', lastTransitionTime: now });
  const status = { status: {
    ready: '1/1',
    agent: { connected: true, hostname: 'box-1.example', version: '0.1.0-test' },
    conditions: [cond('AgentConnected', 'True'), cond('Synced', 'True'), cond('Ready', 'True')],
  } };
  await kubectl(['-n', ns, 'patch', 'ch', 'box-1', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)], { check: true });

  const plain = (await kubectl(['-n', ns, 'get', 'ch', 'box-1'], { check: true })).stdout.trim().split('\n');
  assert.equal(plain[0]!.split(/\s+/), ['NAME', 'AGENT', 'READY', 'SYNCED', 'AGE']);
  assert.equal(plain[1]!.split(/\s+/).slice(0, 4), ['box-1', 'True', '1/1', 'True']);

  const wide = (await kubectl(['-n', ns, 'get', 'ch', 'box-1', '-o', 'wide'], { check: true })).stdout.trim().split('\n');
  assert.equal(wide[0]!.split(/\s+/), ['NAME', 'AGENT', 'READY', 'SYNCED', 'AGE', 'HOSTNAME', 'AGENT-VERSION']);
  assert.equal(wide[1]!.split(/\s+/).slice(-2), ['box-1.example', '0.1.0-test']);
});

test('status is written only through the status subresource', async () => {
  // A spec update that carries a status leaves the status alone.
  await applyYaml(`apiVersion: berth.dev/v1alpha1
kind: ContainerHost
metadata: { name: box-1 }
spec:
  containers: [{ name: web, image: nginx:1.28 }]
status: { ready: "0/9" }
`, { namespace: ns });
  const got = JSON.parse((await kubectl(['-n', ns, 'get', 'ch', 'box-1', '-o', 'json'], { check: true })).stdout);
  assert.is(got.spec.containers[0].image, 'nginx:1.28');
  assert.is(got.status.ready, '1/1');
  assert.is(got.metadata.generation, 2);
});

test('short names and the berth category list both kinds', async () => {
  await applyYaml(`apiVersion: berth.dev/v1alpha1
kind: AgentToken
metadata: { name: box-1 }
spec: { hostRef: { name: box-1 } }
`, { namespace: ns });
  const all = (await kubectl(['-n', ns, 'get', 'berth', '-o', 'name'], { check: true })).stdout.trim().split('\n').sort();
  assert.equal(all, ['agenttoken.berth.dev/box-1', 'containerhost.berth.dev/box-1']);
  assert.match((await kubectl(['-n', ns, 'get', 'at', '-o', 'name'], { check: true })).stdout, 'agenttoken.berth.dev/box-1');
  const header = (await kubectl(['-n', ns, 'get', 'at'], { check: true })).stdout.split('\n')[0]!;
  assert.equal(header.split(/\s+/), ['NAME', 'HOST', 'READY', 'EXPIRES', 'LAST-USED', 'AGE']);
});

test('defaults are applied by the apiserver as the schema says', async () => {
  const got = JSON.parse((await kubectl(['-n', ns, 'get', 'ch', 'box-1', '-o', 'json'], { check: true })).stdout);
  const c = got.spec.containers[0];
  assert.equal([c.state, c.restartPolicy, c.network, c.stopTimeoutSeconds], ['Running', 'UnlessStopped', 'bridge', 10]);
  assert.equal(c.logging, { maxSize: '10Mi', maxFiles: 3 });
  assert.equal(got.spec.policy, { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] });
});

test('kubectl explain shows the field descriptions', async () => {
  const out = (await kubectl(['explain', 'containerhost.spec.containers'], { check: true })).stdout;
  assert.match(out, 'One container the host must run.');
  assert.match(out, /imagePullPolicy\s+<string>/);
  assert.match(out, 'A DNS label, unique in the host.');
  const state = (await kubectl(['explain', 'containerhost.spec.containers.state'], { check: true })).stdout;
  assert.match(state, 'Whether the container should be running.');
  assert.match(state, /ENUM:\s+Running\s+Stopped/);
  const token = (await kubectl(['explain', 'agenttoken.spec.ttl'], { check: true })).stdout;
  assert.match(token, 'How long a minted token is valid');
});

test.run();
