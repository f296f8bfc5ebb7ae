// KubeStore beyond hosts: agent-token Secrets and their RBAC, the signing-key race, Secrets, ConfigMaps, AgentToken deletion, a user without rights.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KubeConfig } from '@kubernetes/client-node';
import { generateSigningKey } from '../../controller/tokens/signing-key.js';
import { applyYaml, kubeconfig, kubectl } from '../support/kube.js';
import { ctrlNs, eventsFor, getJson, logLines, newStore, ns, startKubeStore, stopKubeStores, store, waitFor } from './kube-store-bed.js';

test.before(startKubeStore);

test.after(stopKubeStores);

/** A label (metadata only) is not a store change; the delete after it is exactly one. */
async function labelThenDelete(kind: 'Secret' | 'ConfigMap', name: string, gone: () => boolean): Promise<void> {
  const key = `${ns}/${name}`;
  const afterChange = eventsFor(kind, key);
  await kubectl(['label', kind.toLowerCase(), name, '-n', ns, 'only=metadata'], { check: true });
  await kubectl(['delete', kind.toLowerCase(), name, '-n', ns], { check: true });
  await waitFor(`the ${kind} gone`, gone);
  await waitFor('a delete change', () => eventsFor(kind, key) > afterChange);
  assert.is(eventsFor(kind, key), afterChange + 1, 'a metadata-only change is not a change; the delete is');
}

test('writeAgentToken creates, then updates the Secret (type, data, labels, ownerReference); alice cannot read it', async () => {
  await applyYaml(`apiVersion: berth.dev/v1alpha1\nkind: AgentToken\nmetadata: { name: box-1, namespace: ${ns} }\nspec: { hostRef: { name: box-1 } }\n`);
  const key = `${ns}/box-1`;
  const token = await waitFor('the AgentToken', () => store.token(key));
  assert.is(store.tokenByUid(token.metadata.uid)?.metadata.name, 'box-1');
  await store.writeAgentToken(token, 'box-1-agent-token', 'header.payload.sig1', 'wss://berth.example/agent/v1/connect');
  const created = await getJson(['get', 'secret', 'box-1-agent-token', '-n', ns]);
  assert.is(created.type, 'berth.dev/agent-token');
  assert.is(Buffer.from(created.data.token, 'base64').toString(), 'header.payload.sig1');
  assert.is(Buffer.from(created.data.url, 'base64').toString(), 'wss://berth.example/agent/v1/connect');
  assert.is(created.metadata.labels['app.kubernetes.io/managed-by'], 'berth');
  assert.is(created.metadata.labels['berth.dev/agent-token'], 'box-1');
  assert.equal(created.metadata.ownerReferences, [{ apiVersion: 'berth.dev/v1alpha1', kind: 'AgentToken', name: 'box-1', uid: token.metadata.uid, controller: true, blockOwnerDeletion: false }]);

  await store.writeAgentToken(token, 'box-1-agent-token', 'header.payload.sig2', 'wss://other/agent/v1/connect');
  const updated = await getJson(['get', 'secret', 'box-1-agent-token', '-n', ns]);
  assert.is(updated.metadata.uid, created.metadata.uid, 'updated in place');
  assert.is(Buffer.from(updated.data.token, 'base64').toString(), 'header.payload.sig2');
  assert.equal(Object.keys(updated.data).sort(), ['token', 'url']);
  assert.is(store.secret(ns, 'box-1-agent-token'), undefined, 'token Secrets stay out of the informer cache');

  // Token status: replaced the same way as host status.
  const full = { observedGeneration: 1, secretName: 'box-1-agent-token', tokenID: token.metadata.uid, issuedAt: '2025-01-01T00:00:00Z', expiresAt: '2026-01-01T00:00:00Z', rotation: 'r1' };
  await store.writeTokenStatus(key, full);
  assert.equal((await getJson(['get', 'agenttoken', 'box-1', '-n', ns])).status, full);
  const less = { observedGeneration: 2, secretName: 'box-1-agent-token', tokenID: token.metadata.uid, issuedAt: '2025-02-01T00:00:00Z' };
  await store.writeTokenStatus(key, less);
  assert.equal((await getJson(['get', 'agenttoken', 'box-1', '-n', ns])).status, less);
  assert.equal(store.token(key)!.status, less);
  assert.is(store.tokenByUid(token.metadata.uid)!.status!.issuedAt, '2025-02-01T00:00:00Z');

  // A function is made from the status as the apiserver has it: another writer's change (here
  // kubectl's, which the informer may not have seen yet: the write then conflicts and re-reads) is
  // kept, not undone.
  await kubectl(['patch', 'agenttoken', 'box-1', '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { issuedAt: '2025-03-01T00:00:00Z' } })], { check: true });
  await store.writeTokenStatus(key, (current) => (current ? { ...current, lastUsedAt: '2025-03-01T00:01:00Z' } : undefined));
  assert.equal((await getJson(['get', 'agenttoken', 'box-1', '-n', ns])).status, { ...less, issuedAt: '2025-03-01T00:00:00Z', lastUsedAt: '2025-03-01T00:01:00Z' });

  const denied = await kubectl(['get', 'secret', 'box-1-agent-token', '-n', ns], { as: 'alice' });
  assert.is.not(denied.code, 0);
  assert.match(denied.stderr, /Forbidden/);

  // Somebody else's Secret of that name is never taken over.
  await kubectl(['create', 'secret', 'generic', 'foreign', '-n', ns, '--from-literal=a=b'], { check: true });
  try {
    await store.writeAgentToken(token, 'foreign', 'x.y.z', 'wss://x');
    assert.unreachable('should refuse');
  } catch (err) {
    assert.match((err as Error).message, /refusing to overwrite/);
    assert.not.match((err as Error).message, /x\.y\.z/);
  }
  assert.is(Buffer.from((await getJson(['get', 'secret', 'foreign', '-n', ns])).data.a, 'base64').toString(), 'b');
  assert.not.ok(logLines.some((l) => l.includes('header.payload.sig')), 'the token never appears in the log');
});

test('with the controller\'s CA known (--tls-ca), the token Secret carries ca.crt beside token and url', async () => {
  const token = await waitFor('the AgentToken', () => store.token(`${ns}/box-1`));
  const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const withCa = newStore({ agentCa: ca });
  await withCa.writeAgentToken(token, 'box-1-ca-token', 'header.payload.sig3', 'wss://berth.example/agent/v1/connect');
  const secret = await getJson(['get', 'secret', 'box-1-ca-token', '-n', ns]);
  assert.equal(Object.keys(secret.data).sort(), ['ca.crt', 'token', 'url']);
  assert.is(Buffer.from(secret.data['ca.crt'], 'base64').toString(), ca, 'mounted, the agent finds ca.crt beside its token file');
});

test('signingKey: two stores starting at once end up with the same key; a missing namespace is a clear error', async () => {
  const a = newStore();
  const b = newStore();
  await Promise.all([a.start(), b.start()]);
  let generated = 0;
  // Both generate (slowly) after both have seen "absent": a real create race, settled by 409.
  const slow = async () => { generated++; await new Promise((r) => setTimeout(r, 300)); return generateSigningKey(); };
  const [ka, kb] = await Promise.all([a.signingKey(slow), b.signingKey(slow)]);
  assert.is(generated, 2, 'both saw no key and generated one');
  assert.is(ka.kid, kb.kid);
  assert.equal(ka.privateJwk, kb.privateJwk);
  const secret = await getJson(['get', 'secret', 'berth-signing-key', '-n', ctrlNs]);
  assert.is(JSON.parse(Buffer.from(secret.data['signing-key.json'], 'base64').toString()).kid, ka.kid);
  assert.is(secret.metadata.labels['berth.dev/signing-key'], 'true');
  // A later store reads it, never generates.
  const c = newStore();
  const kc2 = await c.signingKey(async () => { throw new Error('must not generate'); });
  assert.is(kc2.kid, ka.kid);

  const missing = newStore({ controllerNamespace: 'berth-t-no-such-namespace' });
  try {
    await missing.signingKey(generateSigningKey);
    assert.unreachable('should fail');
  } catch (err) {
    assert.match((err as Error).message, /namespace "berth-t-no-such-namespace" does not exist/);
  }
});

test('Secrets: add, change and delete emit Secret events; secret() returns the new data', async () => {
  const key = `${ns}/db-pass`;
  await kubectl(['create', 'secret', 'generic', 'db-pass', '-n', ns, '--from-literal=password=one'], { check: true });
  const s1 = await waitFor('the Secret', () => store.secret(ns, 'db-pass'));
  assert.is(s1.type, 'Opaque');
  assert.is(s1.data.password!.toString(), 'one');
  await waitFor('an add event', () => eventsFor('Secret', key) >= 1);
  const before = eventsFor('Secret', key);
  await kubectl(['patch', 'secret', 'db-pass', '-n', ns, '--type=merge', '-p', JSON.stringify({ data: { password: Buffer.from('two').toString('base64') } })], { check: true });
  await waitFor('the new data', () => store.secret(ns, 'db-pass')?.data.password?.toString() === 'two');
  await waitFor('a change event', () => eventsFor('Secret', key) > before);
  await labelThenDelete('Secret', 'db-pass', () => !store.secret(ns, 'db-pass'));
});

test('ConfigMaps (files volumes, envFrom): add, change (data and binaryData) and delete emit ConfigMap changes; configMap() returns the new data', async () => {
  const key = `${ns}/site`;
  await kubectl(['create', 'configmap', 'site', '-n', ns, '--from-literal=index.html=one'], { check: true });
  const c1 = await waitFor('the ConfigMap', () => store.configMap(ns, 'site'));
  assert.is(c1.data['index.html']!.toString(), 'one');
  await waitFor('an add change', () => eventsFor('ConfigMap', key) >= 1);
  const before = eventsFor('ConfigMap', key);
  await kubectl(['patch', 'configmap', 'site', '-n', ns, '--type=merge', '-p', JSON.stringify({ data: { 'index.html': 'two' }, binaryData: { logo: Buffer.from([0, 1, 2]).toString('base64') } })], { check: true });
  await waitFor('the new data', () => store.configMap(ns, 'site')?.data['index.html']?.toString() === 'two' && store.configMap(ns, 'site')?.data.logo?.length === 3);
  await waitFor('a change', () => eventsFor('ConfigMap', key) > before);
  await labelThenDelete('ConfigMap', 'site', () => !store.configMap(ns, 'site'));
});

test('AgentToken deletion removes it (and its uid lookup) and emits', async () => {
  const key = `${ns}/box-1`;
  const token = await waitFor('token', () => store.token(key));
  const before = eventsFor('AgentToken', key);
  await kubectl(['delete', 'agenttoken', 'box-1', '-n', ns], { check: true });
  await waitFor('token gone', () => !store.token(key));
  assert.is(store.tokenByUid(token.metadata.uid), undefined);
  await waitFor('a delete event', () => eventsFor('AgentToken', key) > before);
});

test('a user without rights: start() fails fast with a clear error (no endless retry)', async () => {
  const alice = new KubeConfig();
  alice.loadFromFile(kubeconfig('alice'));
  const s = newStore({ kubeConfig: alice });
  const t0 = Date.now();
  try {
    await s.start();
    assert.unreachable('should fail');
  } catch (err) {
    assert.match((err as Error).message, /forbidden/i);
    assert.match((err as Error).message, /alice/);
  }
  assert.ok(Date.now() - t0 < 10_000);
});

test.run();
