import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AgentToken } from '../../api/types.js';
import {
  agentTokenSecret, eventBody, isOurTokenSecret, parseSigningKeySecret, reconcileInputs, secretChanged, signingKeySecret,
  toAgentToken, toContainerHost, toSecretData, truncateMessage, type RawObject,
} from './objects.js';

const rawHost: RawObject = {
  apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerHost',
  metadata: {
    name: 'box-1', namespace: 'games', uid: 'u-1', generation: 3, resourceVersion: '77', creationTimestamp: '2025-01-01T00:00:00Z',
    deletionTimestamp: '2025-01-02T00:00:00Z', finalizers: ['example.com/x', 'berth.dev/cleanup'], annotations: { 'berth.dev/force-delete': 'true' },
    labels: { team: 'a' }, managedFields: [{ manager: 'kubectl' }],
  },
  spec: { paused: false, removalPolicy: 'Delete', policy: { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] }, containers: [{ name: 'web', image: 'nginx' }] },
  status: { ready: '0/1' },
};

test('a ContainerHost from the apiserver maps to the store type (metadata the reconcilers read, spec, status)', () => {
  const host = toContainerHost(rawHost);
  assert.equal(host.metadata, {
    name: 'box-1', namespace: 'games', uid: 'u-1', generation: 3, resourceVersion: '77', creationTimestamp: '2025-01-01T00:00:00Z',
    deletionTimestamp: '2025-01-02T00:00:00Z', finalizers: ['example.com/x', 'berth.dev/cleanup'], annotations: { 'berth.dev/force-delete': 'true' },
    labels: { team: 'a' },
  });
  assert.is(host.apiVersion, 'berth.dev/v1alpha1');
  assert.is(host.kind, 'ContainerHost');
  assert.equal(host.spec, rawHost.spec);
  assert.equal(host.status, { ready: '0/1' });
  // copies, not views of the cache
  (host.spec.containers![0] as { image: string }).image = 'changed';
  assert.is((rawHost.spec as { containers: Array<{ image: string }> }).containers[0]!.image, 'nginx');
});

test('absent optional metadata and status stay absent; empty finalizers are dropped', () => {
  const host = toContainerHost({ metadata: { name: 'a', namespace: 'n', uid: 'u', generation: 1, finalizers: [] }, spec: {} });
  assert.equal(host.metadata, { name: 'a', namespace: 'n', uid: 'u', generation: 1 });
  assert.ok(!('status' in host));
  const token = toAgentToken({ metadata: { name: 't', namespace: 'n', uid: 'tu', generation: 2 }, spec: { hostRef: { name: 'a' } }, status: { tokenID: 'tu' } });
  assert.is(token.kind, 'AgentToken');
  assert.equal(token.spec, { hostRef: { name: 'a' } });
  assert.equal(token.status, { tokenID: 'tu' });
});

test('a Secret maps to SecretData with decoded buffers; only type and data count as a change', () => {
  const raw: RawObject = { metadata: { name: 's', namespace: 'n', resourceVersion: '1' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from('{}').toString('base64') } };
  const s = toSecretData(raw);
  assert.is(s.type, 'kubernetes.io/dockerconfigjson');
  assert.is(s.data['.dockerconfigjson']!.toString(), '{}');
  assert.is(toSecretData({ metadata: { name: 'x', namespace: 'n' } }).type, 'Opaque');
  assert.not.ok(secretChanged(raw, { ...raw, metadata: { ...raw.metadata, resourceVersion: '2', labels: { a: 'b' } } }));
  assert.ok(secretChanged(raw, { ...raw, data: { '.dockerconfigjson': 'e30K' } }));
  assert.ok(secretChanged(raw, { ...raw, type: 'Opaque' }));
});

test('reconcile inputs: status and resourceVersion do not count; spec, finalizers, annotations, deletion do', () => {
  const base = reconcileInputs(rawHost);
  assert.is(reconcileInputs({ ...rawHost, status: { ready: '1/1' }, metadata: { ...rawHost.metadata, resourceVersion: '99' } }), base);
  assert.is.not(reconcileInputs({ ...rawHost, spec: { ...(rawHost.spec as object), paused: true } }), base);
  assert.is.not(reconcileInputs({ ...rawHost, metadata: { ...rawHost.metadata, finalizers: ['berth.dev/cleanup'] } }), base);
  assert.is.not(reconcileInputs({ ...rawHost, metadata: { ...rawHost.metadata, annotations: {} } }), base);
  assert.is.not(reconcileInputs({ ...rawHost, metadata: { ...rawHost.metadata, deletionTimestamp: undefined } }), base);
});

const token: AgentToken = {
  apiVersion: 'berth.dev/v1alpha1', kind: 'AgentToken',
  metadata: { name: 'box-1', namespace: 'games', uid: 'tok-uid', generation: 1 }, spec: { hostRef: { name: 'box-1' } },
};

test('the token Secret: token and url, labels, an ownerReference that lets GC collect it', () => {
  const s = agentTokenSecret(token, 'box-1-agent-token', 'jwt.value', 'wss://c/agent/v1/connect');
  assert.equal(s.metadata, {
    name: 'box-1-agent-token', namespace: 'games',
    labels: { 'app.kubernetes.io/managed-by': 'berth', 'berth.dev/agent-token': 'box-1' },
    ownerReferences: [{ apiVersion: 'berth.dev/v1alpha1', kind: 'AgentToken', name: 'box-1', uid: 'tok-uid', controller: true, blockOwnerDeletion: false }],
  });
  assert.is(s.type, 'berth.dev/agent-token');
  assert.is(Buffer.from(s.data!.token!, 'base64').toString(), 'jwt.value');
  assert.is(Buffer.from(s.data!.url!, 'base64').toString(), 'wss://c/agent/v1/connect');
  assert.equal(Object.keys(s.data!).sort(), ['token', 'url'], 'no CA known: no ca.crt');
  const withCa = agentTokenSecret(token, 'box-1-agent-token', 'jwt.value', 'wss://c', undefined, '-----BEGIN CERTIFICATE-----\nx\n');
  assert.is(Buffer.from(withCa.data!['ca.crt']!, 'base64').toString(), '-----BEGIN CERTIFICATE-----\nx\n', 'the CA beside the token, as a mounted Secret lays it out');
  // updating keeps foreign labels/owners and the (immutable) type, replaces our owner reference
  const existing: RawObject = {
    metadata: {
      name: 'box-1-agent-token', namespace: 'games', resourceVersion: '5', labels: { keep: 'me', 'berth.dev/agent-token': 'box-1', 'app.kubernetes.io/managed-by': 'berth' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'c', uid: 'c1' }, { apiVersion: 'berth.dev/v1alpha1', kind: 'AgentToken', name: 'box-1', uid: 'old-uid' }],
    },
    type: 'Opaque',
  };
  const u = agentTokenSecret(token, 'box-1-agent-token', 'jwt2', 'wss://x', existing);
  assert.is(u.type, 'Opaque');
  assert.is(u.metadata.resourceVersion, '5');
  assert.is(u.metadata.labels!.keep, 'me');
  assert.equal(u.metadata.ownerReferences!.map((r) => r.uid), ['c1', 'tok-uid']);
  assert.ok(isOurTokenSecret(existing, token));
  assert.not.ok(isOurTokenSecret({ metadata: { name: 'regcred', namespace: 'games' }, type: 'kubernetes.io/dockerconfigjson' }, token));
  assert.ok(isOurTokenSecret({ metadata: { name: 'x', ownerReferences: [{ apiVersion: 'berth.dev/v1alpha1', kind: 'AgentToken', name: 'box-1', uid: 'tok-uid' }] } }, token));
});

test('signing key Secret round-trips; a damaged one is refused, never replaced', () => {
  const material = { kid: 'k1', privateJwk: { kty: 'OKP', d: 'x' }, publicJwk: { kty: 'OKP', x: 'y' } };
  const s = signingKeySecret('berth-system', material);
  assert.is(s.metadata.labels!['berth.dev/signing-key'], 'true');
  assert.equal(parseSigningKeySecret(s, 'berth-system/berth-signing-key'), material);
  assert.throws(() => parseSigningKeySecret({ metadata: { name: 'x' }, data: {} }, 'ns/x'), /ns\/x is damaged.*refusing to replace/);
  assert.throws(() => parseSigningKeySecret({ metadata: { name: 'x' }, data: { 'signing-key.json': Buffer.from('{"kid":1}').toString('base64') } }, 'ns/x'), /damaged/);
});

test('Event body: involved object with uid, source component, counts; long messages cut', () => {
  const e = eventBody({ kind: 'ContainerHost', namespace: 'games', name: 'box-1', uid: 'u-1', resourceVersion: '9' }, { type: 'Warning', reason: 'AgentDisconnected', message: 'gone' }, 'box-1.abc', '2025-01-01T00:00:00Z', 'pod-1');
  assert.equal(e.involvedObject, { apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerHost', namespace: 'games', name: 'box-1', uid: 'u-1', resourceVersion: '9' });
  assert.equal(e.source, { component: 'berth-controller' });
  assert.is(e.reportingComponent, 'berth-controller');
  assert.is(e.reportingInstance, 'pod-1');
  assert.is(e.count, 1);
  assert.is(e.metadata.namespace, 'games');
  assert.is(truncateMessage('x'.repeat(5000)).length, 1024);
  assert.not.ok('uid' in (eventBody({ kind: 'AgentToken', namespace: 'n', name: 't' }, { type: 'Normal', reason: 'r', message: 'm' }, 'n', 't', 'i').involvedObject as object));
});

test.run();
