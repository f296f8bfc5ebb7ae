import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { ContainerHost, ContainerSet, ContainerSetStatus } from '../api/types.js';
import type { Store } from '../store/store.js';
import { SetReconciler, type SetImageDigests } from './set-reconciler.js';

const host: ContainerHost = {
  apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerHost', metadata: { name: 'h1', namespace: 'fleet', uid: 'u1', generation: 1, labels: { tier: 'edge' } },
  spec: { paused: false, removalPolicy: 'Delete', policy: { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] } },
};
const spec = (image: string) => ({
  hostSelector: { matchLabels: { tier: 'edge' } }, paused: false, revisionHistoryLimit: 10,
  template: { containers: [{ name: 'web', image, state: 'Running' } as never] },
  updateStrategy: { type: 'RollingUpdate' as const, rollingUpdate: { maxUnavailable: 1, minReadySeconds: 0 }, failurePolicy: 'Rollback' as const, progressDeadlineSeconds: 600 },
  imageUpdates: { policy: 'Poll' as const, intervalSeconds: 60 },
});

function fixture(image = 'nginx:1.27', extra: Partial<ContainerSet['spec']> = {}, secret: (ns: string, name: string) => unknown = () => undefined) {
  let set: ContainerSet = { apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerSet', metadata: { name: 'app', namespace: 'fleet', uid: 's1', generation: 1 }, spec: { ...spec(image), ...extra } };
  const writes: ContainerSetStatus[] = [];
  const enqueued: string[] = [];
  const store = {
    set: () => set, sets: () => [set], hosts: () => [host], secret, configMap: () => undefined,
    recordEvent: () => undefined,
    writeSetStatus: async (_k: string, s: ContainerSetStatus) => { writes.push(s); set = { ...set, status: s }; },
  } as unknown as Store;
  const digests = new Map<string, string>();
  const tracked = new Map<string, string[]>();
  const auths = new Map<string, unknown>();
  const images: SetImageDigests = {
    digest: (i) => digests.get(i), error: () => undefined,
    track: (owner, list) => { tracked.set(owner, list.map((w) => w.image)); for (const w of list) auths.set(w.image, w.auth); },
  };
  const r = new SetReconciler(store, (k) => enqueued.push(k), pino({ level: 'silent' }), new Registry(), () => new Date('2026-01-01T00:00:00Z'), images);
  return { r, writes, enqueued, digests, tracked, auths, get set() { return set; } };
}
const signal = new AbortController().signal;
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

test('imageUpdates Poll: nothing rolls out before the tag has a digest; then the revision pins it', async () => {
  const f = fixture();
  const first = await f.r.reconcile('fleet/app', signal);
  assert.equal(f.writes, [], 'no unpinned revision is ever written');
  assert.ok(first.requeueAfterMs);
  assert.equal(f.tracked.get('ContainerSet/fleet/app'), ['nginx:1.27']);
  f.digests.set('nginx:1.27', D1);
  await f.r.reconcile('fleet/app', signal);
  const s = f.writes.at(-1)!;
  assert.is(s.revisions!.at(-1)!.template.containers[0]!.image, `nginx:1.27@${D1}`);
  assert.equal(s.hostStatuses!.map((h) => [h.host, h.revision]), [['h1', s.updateRevision]]);
  assert.ok(f.enqueued.includes('fleet/h1'), 'the host is told after the write');
});

test('a moved digest is a new revision; an unresolvable one keeps the last', async () => {
  const f = fixture();
  f.digests.set('nginx:1.27', D1);
  await f.r.reconcile('fleet/app', signal);
  const r1 = f.set.status!.updateRevision;
  f.digests.set('nginx:1.27', D2);
  await f.r.reconcile('fleet/app', signal);
  const r2 = f.set.status!.updateRevision;
  assert.is.not(r2, r1);
  assert.is(f.set.status!.revisions!.find((r) => r.name === r2)!.template.containers[0]!.image, `nginx:1.27@${D2}`);
  f.digests.delete('nginx:1.27');
  await f.r.reconcile('fleet/app', signal);
  assert.is(f.set.status!.updateRevision, r2, 'held at the last pinned revision');
});

test("the set's imagePullSecrets answer the registry when its tags are resolved (only for that registry)", async () => {
  const config = JSON.stringify({ auths: { 'registry.example:5000': { username: 'u', password: 'p' } } });
  const secrets = (ns: string, name: string) => ns === 'fleet' && name === 'regcred' ? { data: { '.dockerconfigjson': Buffer.from(config) } } : undefined;
  const f = fixture('registry.example:5000/app:stable', { imagePullSecrets: [{ name: 'missing' }, { name: 'regcred' }] }, secrets);
  await f.r.reconcile('fleet/app', signal);
  assert.equal(f.auths.get('registry.example:5000/app:stable'), { serveraddress: 'registry.example:5000', username: 'u', password: 'p' });
  const other = fixture('ghcr.io/x/app:1', { imagePullSecrets: [{ name: 'regcred' }] }, secrets);
  await other.r.reconcile('fleet/app', signal);
  assert.ok(other.tracked.get('ContainerSet/fleet/app')!.includes('ghcr.io/x/app:1'));
  assert.is(other.auths.get('ghcr.io/x/app:1'), undefined, 'no credentials for another registry');
});

test.run();
