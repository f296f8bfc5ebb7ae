// Smoke tests of the test bed's Kubernetes: the real kube-apiserver answers, stores objects, enforces
// RBAC for the non-admin users, and issues ServiceAccount tokens. Run after `testbed.sh up kube`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bed } from '../support/testbed.js';
import { apiGet, applyYaml, createTestNamespace, deleteTestNamespace, kubectl, kubeToken } from '../support/kube.js';

const namespaces: string[] = [];
async function namespace(labels: Record<string, string> = {}): Promise<string> {
  const ns = await createTestNamespace('berth-t-kube', labels);
  namespaces.push(ns);
  return ns;
}

test.after(async () => {
  for (const ns of namespaces) await deleteTestNamespace(ns);
});

test('apiserver answers /readyz (admin token, bed CA) and reports the pinned version', async () => {
  const ready = await apiGet('/readyz');
  assert.is(ready.status, 200, ready.body);
  assert.is(ready.body, 'ok');
  const viaKubectl = await kubectl(['get', '--raw', '/readyz'], { check: true });
  assert.is(viaKubectl.stdout.trim(), 'ok');
  const version = JSON.parse((await apiGet('/version')).body) as { gitVersion?: string };
  assert.is(version.gitVersion, bed('BERTH_TEST_K8S_VERSION'));
});

test('a bad token is rejected with 401', async () => {
  const res = await apiGet('/api/v1/namespaces', 'not-a-valid-token');
  assert.is(res.status, 401, res.body);
});

test('a namespace round-trips with its label, and deleting it really removes it', async () => {
  const ns = await createTestNamespace('berth-t-kube', { 'berth.test/smoke': 'round-trip' });
  const got = JSON.parse((await kubectl(['get', 'namespace', ns, '-o', 'json'], { check: true })).stdout) as {
    metadata: { name: string; labels?: Record<string, string> };
  };
  assert.is(got.metadata.name, ns);
  assert.is(got.metadata.labels?.['berth.test/smoke'], 'round-trip');
  await deleteTestNamespace(ns);
  const after = await kubectl(['get', 'namespace', ns]);
  assert.is.not(after.code, 0);
  assert.match(after.stderr, /NotFound/);
});

test('alice and bob start with no rights; RBAC grants exactly what it says', async () => {
  const ns = await namespace();
  assert.is((await kubectl(['get', 'secrets', '-n', ns], { check: true })).code, 0, 'admin may list secrets');

  const denied = await kubectl(['get', 'secrets', '-n', ns], { as: 'alice' });
  assert.is.not(denied.code, 0);
  assert.match(denied.stderr, /Forbidden/);
  assert.match(denied.stderr, /User "alice" cannot list resource "secrets"/);
  const canI = await kubectl(['auth', 'can-i', 'list', 'secrets', '-n', ns], { as: 'alice' });
  assert.is(canI.stdout.trim(), 'no');

  await applyYaml(`
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secret-reader, namespace: ${ns}}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-reads-secrets, namespace: ${ns}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
`);
  // RBAC is evaluated per request, so the binding applies at once.
  const allowed = await kubectl(['get', 'secrets', '-n', ns], { as: 'alice' });
  assert.is(allowed.code, 0, allowed.stderr);
  const stillNoDelete = await kubectl(['auth', 'can-i', 'delete', 'secrets', '-n', ns], { as: 'alice' });
  assert.is(stillNoDelete.stdout.trim(), 'no');
  const bob = await kubectl(['get', 'secrets', '-n', ns], { as: 'bob' });
  assert.match(bob.stderr, /User "bob" cannot list resource "secrets"/);
  assert.is.not(kubeToken('alice'), kubeToken('bob'));
});

test('a ServiceAccount token from `kubectl create token` authenticates as that ServiceAccount', async () => {
  const ns = await namespace();
  await kubectl(['create', 'serviceaccount', 'smoke', '-n', ns], { check: true });
  const token = (await kubectl(['create', 'token', 'smoke', '-n', ns, '--duration=10m'], { check: true })).stdout.trim();
  assert.ok(token.split('.').length === 3, 'a JWT');
  // --token overrides the kubeconfig's user; server and CA still come from the kubeconfig.
  const who = await kubectl(['auth', 'whoami', '-o', 'json', `--token=${token}`], { check: true });
  const review = JSON.parse(who.stdout) as { status: { userInfo: { username: string; groups?: string[] } } };
  assert.is(review.status.userInfo.username, `system:serviceaccount:${ns}:smoke`);
  assert.ok(review.status.userInfo.groups?.includes(`system:serviceaccounts:${ns}`));
  // ...and it has no rights of its own.
  const denied = await kubectl(['get', 'secrets', '-n', ns, `--token=${token}`]);
  assert.match(denied.stderr, /Forbidden/);
});

test.run();
