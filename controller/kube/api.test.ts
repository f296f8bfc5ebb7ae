// KubeApi's memory of 403s: one entry per kind of refusal (not per object), listed for
// /api/v1/sources, forgotten DENIAL_MEMORY_MS after it was last seen.
import { KubeConfig } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DENIAL_MEMORY_MS, KubeApi } from './api.js';

function api(): KubeApi {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: false }], users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x',
  });
  return new KubeApi(kc);
}

const forbidden = (name: string) => ({
  code: 403,
  body: JSON.stringify({ kind: 'Status', reason: 'Forbidden', code: 403,
    message: `containerhosts.berth.dev "${name}" is forbidden: User "system:serviceaccount:b:berth" cannot patch resource "containerhosts/status" in API group "berth.dev" in the namespace "ns"` }),
});

test('403s are remembered once per kind of refusal, with the RBAC hint; other errors are not', async () => {
  const a = api();
  for (const name of ['a', 'b', 'a']) {
    await a.call(`write status of ContainerHost ns/${name}`, () => Promise.reject(forbidden(name))).then(() => assert.unreachable(), () => undefined);
  }
  await a.call('get Secret ns/x', () => Promise.reject({ code: 404, body: '{"message":"not found"}' })).catch(() => undefined);
  const denials = a.recentDenials();
  assert.is(denials.length, 1);
  assert.match(denials[0]!.message, /cannot patch resource "containerhosts\/status"/);
  assert.match(denials[0]!.message, /RBAC: the controller's ServiceAccount lacks this permission/);
  assert.equal(a.recentDenials(Date.now() + DENIAL_MEMORY_MS + 1000), [], 'forgotten once no longer seen');
});

test.run();
