import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { ObservedContainer } from '../../protocol/container.js';
import type { HelloFrame, ResultFrame } from '../../protocol/frames.js';
import { ANNOTATIONS, type ContainerHost, type ContainerHostStatus } from '../api/types.js';
import type { AgentHub, HubNotifications, DispatchFrame, ConnectionInfo } from '../hub/hub.js';
import type { EventRecord, Store } from '../store/store.js';
import { HostReconciler } from './host-reconciler.js';
import { DigestPoller } from '../images/digest-poller.js';
import { HostImageFollower } from '../images/host-follower.js';
import { deferred, hostWith, seen } from './test-fixtures.js';

const tick = () => new Promise((r) => setImmediate(r));
const KEY = 'ns/h';

/** A HostReconciler on a fake hub and a fake store that record what the reconciler does. */
function setup(initial: ContainerHost, images?: HostImageFollower, now?: () => Date) {
  let current: ContainerHost | undefined = initial;
  const calls: string[] = [];
  const events: EventRecord[] = [];
  const statuses: ContainerHostStatus[] = [];
  const store = {
    host: () => current,
    hosts: () => (current ? [current] : []),
    sets: () => [],
    secret: () => undefined,
    recordEvent: (_kind: string, _key: string, e: EventRecord) => { events.push(e); },
    ensureFinalizer: async () => { calls.push('ensureFinalizer'); },
    removeFinalizer: async () => { calls.push('removeFinalizer'); },
    writeHostStatus: async (_key: string, s: ContainerHostStatus) => { calls.push('writeHostStatus'); statuses.push(s); if (current) current = { ...current, status: s }; },
  } as unknown as Store;
  const sent: Array<{ frame: DispatchFrame; result: ReturnType<typeof deferred<ResultFrame>> }> = [];
  const hub = Object.assign(new EventEmitter<HubNotifications>(), {
    dispatch: (_key: string, frame: DispatchFrame) => { calls.push(`dispatch ${frame.type}`); const result = deferred<ResultFrame>(); sent.push({ frame, result }); return result.promise; },
  });
  // The emitter's on() returns the emitter, not an AgentHub; nothing uses what on() returns.
  const asHub = hub as unknown as Pick<AgentHub, 'on' | 'dispatch'>;
  const enqueued: string[] = [];
  const reconciler = new HostReconciler(store, asHub, (k) => enqueued.push(k), pino({ level: 'silent' }), new Registry(), now, undefined, images);
  const connect = (containers: ObservedContainer[]) => {
    const hello: HelloFrame = { type: 'hello', protocolVersion: 1, agent: { version: '1', hostname: 'm1', os: 'linux', arch: 'x64' }, docker: { ok: true, version: '20.10', cpus: 2, memoryBytes: 1 }, containers };
    const session: ConnectionInfo = { hostKey: KEY, sessionId: 's', connectedAt: '2026-01-01T00:00:00Z', lastSeenAt: '2026-01-01T00:00:00Z', ready: true };
    hub.emit('connected', KEY, hello, session);
  };
  const reconcile = (signal = new AbortController().signal) => reconciler.reconcile(KEY, signal);
  return { calls, events, statuses, sent, hub, enqueued, connect, reconcile, set: (h: ContainerHost | undefined) => { current = h; } };
}

test('a live host: the finalizer first, then the missing container is applied and status written (the interim status a moment later)', async () => {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const t = setup(hostWith(['web']), undefined, () => new Date(clock));
  t.connect([]);
  assert.equal(t.enqueued, [KEY], 'a connection enqueues the host');
  assert.equal(t.events.map((e) => e.reason), ['AgentConnected']);
  const first = await t.reconcile();
  assert.equal(t.calls, ['ensureFinalizer', 'dispatch apply'], 'the interim status waits for the action a moment (interim-status.ts)');
  assert.is(first.requeueAfterMs, 1500, 'and is looked at again when the moment is over');
  clock += 1500;
  await t.reconcile();
  assert.equal(t.calls.slice(2), ['ensureFinalizer', 'writeHostStatus'], 'still in flight after the delay: the interim status is written');
  assert.is(t.statuses[0]?.containers?.[0]?.state, 'Pulling');
  await t.reconcile();
  assert.equal(t.calls.slice(4), ['ensureFinalizer'], 'in flight: nothing sent again, status unchanged');
});

test('quiet at rest: resyncs of a converged host write no status, however long apart; a disconnect is written with lastSeenAt', async () => {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const t = setup(hostWith(['web']), undefined, () => new Date(clock));
  const docker = { ok: true as const, version: '20.10', cpus: 2, memoryBytes: 1 };
  t.connect([seen('web')]);
  await t.reconcile();
  clock += 2000;   // past the interim status' moment
  await t.reconcile();
  const converged = t.calls.filter((c) => c === 'writeHostStatus').length;
  assert.ok(converged >= 1, 'the converged status was written');
  assert.is(t.statuses.at(-1)?.agent?.lastSeenAt, undefined, 'a connected agent has no lastSeenAt in status');
  // Twelve 5-min resyncs: each moves the inventory's lastSeenAt by far more than any threshold.
  for (let i = 0; i < 12; i++) {
    clock += 300_000;
    t.hub.emit('observed', KEY, { type: 'observed', docker, containers: [seen('web')] });
    await t.reconcile();
  }
  assert.is(t.calls.filter((c) => c === 'writeHostStatus').length, converged, 'no status write at rest');
  clock += 1000;
  t.hub.emit('disconnected', KEY, 'gone', { code: 1006, sessionId: 's' });
  await t.reconcile();
  assert.is(t.statuses.at(-1)?.agent?.connected, false);
  assert.is(t.statuses.at(-1)?.agent?.lastSeenAt, new Date(clock).toISOString(), 'the disconnect is written with when the agent was last seen');
});

test('a failed apply backs the container off: no action until due, the failure in status, a requeue for the retry', async () => {
  const t = setup(hostWith(['web']));
  t.connect([]);
  await t.reconcile();
  t.sent[0]?.result.resolve({ type: 'result', id: 'x', ok: false, error: { code: 'PullFailed', message: 'no such image' } });
  await tick();
  const r = await t.reconcile();
  assert.equal(t.calls.filter((c) => c.startsWith('dispatch')), ['dispatch apply'], 'not sent again while backing off');
  assert.is(t.statuses.at(-1)?.containers?.[0]?.message, 'PullFailed: no such image');
  assert.ok(r.requeueAfterMs !== undefined && r.requeueAfterMs > 900 && r.requeueAfterMs <= 1000, `requeue for the retry (${r.requeueAfterMs})`);
});

test('a failed apply whose gap closed by itself (Docker started the container itself) is not reported as Failed, nor retried', async () => {
  const t = setup(hostWith(['web']));
  const docker = { ok: true as const, version: '20.10', cpus: 2, memoryBytes: 1 };
  t.connect([]);
  await t.reconcile();
  const sent = t.sent[0]?.frame;
  const specHash = sent?.type === 'apply' ? sent.container.specHash : '';
  t.sent[0]?.result.resolve({ type: 'result', id: 'x', ok: false, error: { code: 'DockerUnavailable', message: 'connect ENOENT /var/run/docker.sock' } });
  await tick();
  await t.reconcile();
  assert.is(t.statuses.at(-1)?.containers?.[0]?.state, 'Failed', 'while the gap is open the failure shows');
  t.hub.emit('observed', KEY, { type: 'observed', docker, containers: [seen('web', { specHash })] });
  const r = await t.reconcile();
  const web = t.statuses.at(-1)?.containers?.[0];
  assert.is(web?.state, 'Running');
  assert.is(web?.ready, true, 'running at its spec: ready, whatever the last action said');
  assert.is(t.statuses.at(-1)?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  assert.equal(t.calls.filter((c) => c.startsWith('dispatch')), ['dispatch apply'], 'nothing sent again');
  assert.is(r.requeueAfterMs, undefined, 'no retry is scheduled for it');
  // If the container stops again, it is a new attempt: applied at once, without the old backoff.
  t.hub.emit('observed', KEY, { type: 'observed', docker, containers: [seen('web', { specHash, state: 'exited' })] });
  await t.reconcile();
  assert.equal(t.calls.filter((c) => c.startsWith('dispatch')), ['dispatch apply', 'dispatch apply']);
});

test('deleting: containers are removed, then CleanedUp and the finalizer goes (no status write at the end)', async () => {
  const deleting = hostWith(['web'], {}, { deletionTimestamp: '2026-01-01T00:00:00Z' });
  const t = setup(deleting);
  t.connect([seen('web')]);
  await t.reconcile();
  assert.equal(t.calls, ['dispatch remove', 'writeHostStatus']);
  t.sent[0]?.result.resolve({ type: 'result', id: 'x', ok: true });
  await tick();
  await t.reconcile();
  assert.equal(t.calls.slice(2), ['removeFinalizer']);
  assert.equal(t.events.map((e) => e.reason), ['AgentConnected', 'Removing', 'CleanedUp']);
});

test('deleting with force-delete: ForceDeleted, the finalizer goes, nothing is dispatched', async () => {
  const t = setup(hostWith(['web'], {}, { deletionTimestamp: '2026-01-01T00:00:00Z', annotations: { [ANNOTATIONS.forceDelete]: 'true' } }));
  t.connect([seen('web')]);
  await t.reconcile();
  assert.equal(t.calls, ['removeFinalizer']);
  assert.is(t.events.at(-1)?.reason, 'ForceDeleted');
});

test('an aborted reconcile changes nothing: no finalizer, no dispatch, no status', async () => {
  const t = setup(hostWith(['web']));
  t.connect([]);
  await t.reconcile(AbortSignal.abort()).then(() => assert.unreachable('should throw'), () => undefined);
  assert.equal(t.calls, []);
});

test('a host gone from the store is forgotten: a later host of the same name starts afresh', async () => {
  const t = setup(hostWith(['web']));
  t.connect([]);
  await t.reconcile();
  t.set(undefined);
  assert.equal(await t.reconcile(), {});
  t.set(hostWith(['web']));
  await t.reconcile();
  assert.is(t.statuses.at(-1)?.agent?.connected, false, 'the agent view went with the old host');
});

// Issue 13: a followed tag (imageUpdates Poll + Always) is held until its digest is known, then
// applied pinned; the poller's change enqueues the host.
test('image updates: held as ImageDigestPending while the registry fails, then applied pinned to the digest', async () => {
  let answer: string | Error = new Error('registry down');
  const keys: string[] = [];
  const poller = new DigestPoller({
    resolve: async () => { if (answer instanceof Error) throw answer; return answer; },
    onChange: (owners) => { keys.push(...HostImageFollower.hostKeys(owners)); },
  });
  const base = hostWith(['web'], { imageUpdates: { policy: 'Poll', intervalSeconds: 30 } });
  const host = { ...base, spec: { ...base.spec, containers: base.spec.containers!.map((c) => ({ ...c, image: 'reg.example/app:1', imagePullPolicy: 'Always' as const })) } };
  const t = setup(host, new HostImageFollower(poller, () => undefined));
  t.connect([]);
  await t.reconcile();
  await poller.tick();
  await t.reconcile();
  assert.not.ok(t.calls.includes('dispatch apply'), 'nothing created without a digest');
  assert.match(t.statuses.at(-1)?.containers?.[0]?.message ?? '', /^ImageDigestPending: reg\.example\/app:1: cannot resolve its digest: registry down/);
  const digest = `sha256:${'d'.repeat(64)}`;
  answer = digest;
  const later = new DigestPoller({ resolve: async () => digest, onChange: (owners) => { keys.push(...HostImageFollower.hostKeys(owners)); } });
  const t2 = setup(host, new HostImageFollower(later, () => undefined));
  t2.connect([]);
  await t2.reconcile();
  await later.tick();
  assert.equal(keys, [KEY], 'the digest enqueues the host');
  await t2.reconcile();
  const apply = t2.sent.find((s) => s.frame.type === 'apply');
  assert.is(apply?.frame.type === 'apply' ? apply.frame.container.image : undefined, `reg.example/app:1@${digest}`);
  poller.stop(); later.stop();
});

test.run();
