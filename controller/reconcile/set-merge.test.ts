import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerHost, ContainerSet } from '../api/types.js';
import { hostHealth } from './set-health.js';
import { mergeSetContainers, revisionOf, selects } from './set-merge.js';
import { withSetCollisions } from './set-collisions.js';
import { setConditions } from './set-status.js';

const host = (name: string, labels: Record<string, string>, containers: string[] = []): ContainerHost => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerHost',
  metadata: { name, namespace: 'fleet', uid: `u-${name}`, generation: 1, labels },
  spec: { paused: false, removalPolicy: 'Delete', policy: { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] }, containers: containers.map((n) => ({ name: n, image: 'own:1' }) as never) },
});
const set = (name: string, match: Record<string, string>, containers: string[], assigned: Record<string, string>): ContainerSet => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerSet',
  metadata: { name, namespace: 'fleet', uid: `s-${name}`, generation: 1 },
  spec: { hostSelector: { matchLabels: match }, template: { containers: containers.map((n) => ({ name: n, image: 'set:2' }) as never) } } as never,
  status: {
    hostStatuses: Object.entries(assigned).map(([h, revision]) => ({ host: h, revision, ready: false, available: false, since: '' })),
    revisions: [{ name: 'r1', number: 1, template: { containers: containers.map((n) => ({ name: n, image: 'set:1' }) as never) }, createdAt: '' },
      { name: 'r2', number: 2, template: { containers: containers.map((n) => ({ name: n, image: 'set:2' }) as never) }, createdAt: '' }],
  },
});

test('label selectors: matchLabels and every operator', () => {
  const l = { tier: 'edge', zone: 'a' };
  assert.ok(selects({}, l));
  assert.ok(selects({ matchLabels: { tier: 'edge' } }, l));
  assert.not.ok(selects({ matchLabels: { tier: 'core' } }, l));
  assert.ok(selects({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }, l));
  assert.not.ok(selects({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, l));
  assert.ok(selects({ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }, l));
  assert.not.ok(selects({ matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }, l));
  assert.not.ok(selects({ matchExpressions: [{ key: 'gpu', operator: 'In', values: ['x'] }] }, undefined));
});

test('a revision is a stable hash of the template', () => {
  const t = { containers: [{ name: 'a', image: 'x:1' } as never] };
  assert.is(revisionOf(t), revisionOf(structuredClone(t)));
  assert.is.not(revisionOf(t), revisionOf({ containers: [{ name: 'a', image: 'x:2' } as never] }));
  assert.match(revisionOf(t), /^[0-9a-f]{10}$/);
});

test('a host gets the containers of the revision its set gave it, labelled', () => {
  const m = mergeSetContainers(host('h1', { tier: 'edge' }, ['own']), [set('app', { tier: 'edge' }, ['web'], { h1: 'r1' })]);
  assert.equal(m.host.spec.containers!.map((c) => `${c.name}=${c.image}`), ['own=own:1', 'web=set:1']);
  assert.equal(m.host.spec.containers![1]!.labels, { 'berth.dev/set': 'fleet/app', 'berth.dev/set-revision': 'r1' });
  assert.is(m.fingerprint, 'fleet/app@r1');
  assert.equal(m.collisions, []);
});

test('no containers before the rollout assigns the host, and none once its labels no longer match', () => {
  const s = set('app', { tier: 'edge' }, ['web'], { h1: 'r1' });
  assert.is(mergeSetContainers(host('h2', { tier: 'edge' }), [s]).host.spec.containers!.length, 0);
  const moved = mergeSetContainers(host('h1', { tier: 'core' }), [s]);
  assert.is(moved.host.spec.containers!.length, 0);
  assert.is(moved.fingerprint, '');
});

test('name collisions: the host keeps its own, then the first set by name; both sides are told', () => {
  const h = host('h1', { tier: 'edge' }, ['web']);
  const m = mergeSetContainers(h, [set('b', { tier: 'edge' }, ['web', 'db'], { h1: 'r1' }), set('a', { tier: 'edge' }, ['db'], { h1: 'r2' })]);
  assert.equal(m.host.spec.containers!.map((c) => `${c.name}=${c.image}`), ['web=own:1', 'db=set:2']);
  assert.equal(m.collisions, [
    { set: 'fleet/b', container: 'web', takenBy: 'the host itself' },
    { set: 'fleet/b', container: 'db', takenBy: 'ContainerSet fleet/a' },
  ]);
  const status = withSetCollisions({ conditions: [] }, m.collisions, 1, '2026-01-01T00:00:00Z');
  const c = status.conditions!.find((x) => x.type === 'SetConflict')!;
  assert.is(c.status, 'True');
  assert.match(c.message, /fleet\/b: container "web" not applied, the name is taken by the host itself/);
  assert.equal(withSetCollisions(status, [], 1, 'later').conditions, []);
});

const connected = [{ type: 'AgentConnected', status: 'True' as const, reason: 'x', message: '', lastTransitionTime: '' }];
const hostWith = (c: Record<string, unknown>): ContainerHost => ({ ...host('h1', {}), status: { conditions: connected, containers: [{ name: 'web', state: 'Running', ready: true, specHash: 'H', startedAt: '2026-01-01T00:00:00Z', ...c } as never] } });
const health = (h: ContainerHost | undefined, nowMs: number, minReadySeconds = 0) => hostHealth({
  host: h, containers: ['web'], expected: () => ({ hash: 'H' }), minReadySeconds, nowMs, firstReady: () => Date.parse('2026-01-01T00:00:05Z'),
});
const T = Date.parse('2026-01-01T00:01:00Z');

test('health: available, waiting out minReadySeconds, not yet at the revision, failing', () => {
  assert.equal(health(hostWith({}), T), { state: 'available' });
  assert.equal(health(hostWith({}), T, 120), { state: 'ready', availableAt: Date.parse('2026-01-01T00:02:05Z') });
  assert.is(health(hostWith({ specHash: 'OLD', message: 'recreating with the new spec' }), T).state, 'progressing');
  assert.equal(health(hostWith({ state: 'Exited', ready: false, exitCode: 3 }), T), { state: 'failed', container: 'web', message: 'exited with code 3' });
  assert.is(health(hostWith({ health: 'unhealthy', ready: false }), T).state, 'failed');
  assert.is(health(hostWith({ state: 'Restarting', ready: false }), T).state, 'failed');
  assert.is(health(hostWith({ ready: false, restartCount: 2 }), T).state, 'failed');
  assert.is(health(hostWith({ ready: true, restartCount: 5 }), T).state, 'available');
  assert.is(health(hostWith({ health: 'starting', ready: false }), T).state, 'progressing');
  assert.equal(health({ ...hostWith({}), status: { ...hostWith({}).status, conditions: [] } }, T), { state: 'progressing', message: 'agent not connected' });
});

test('conditions: Ready, Progressing, Degraded and kstatus follow the rollout', () => {
  const spec = { paused: false } as never;
  const at = (phase: string, extra = {}) => setConditions(spec, { hosts: 3, availableHosts: 3, updatedHosts: 3, updateRevision: 'r2', currentRevision: 'r1', rollout: { phase, target: 'r2', ...extra } as never }, 4, 'now');
  const get = (cs: ReturnType<typeof at>) => Object.fromEntries(cs.map((c) => [c.type, `${c.status}/${c.reason}`]));
  assert.equal(get(at('Complete')), { Ready: 'True/RolloutComplete', Progressing: 'False/RolloutComplete', Degraded: 'False/AsExpected', Reconciling: 'False/Ready', Stalled: 'False/Ready' });
  assert.equal(get(at('Progressing')), { Ready: 'False/RolloutInProgress', Progressing: 'True/RollingUpdate', Degraded: 'False/AsExpected', Reconciling: 'True/RollingUpdate', Stalled: 'False/RollingUpdate' });
  const rolledBack = at('Failed', { target: 'r1', failedHost: 'h2', failedContainer: 'web', message: 'exited with code 1' });
  assert.equal(get(rolledBack).Degraded, 'True/RolledBack');
  assert.equal(get(rolledBack).Stalled, 'True/RolledBack');
  assert.match(rolledBack.find((c) => c.type === 'Degraded')!.message, /host h2, container web: exited with code 1/);
  assert.equal(get(at('Failed', { failedHost: 'h2' })).Degraded, 'True/RolloutFailed');
  assert.equal(get(at('Paused')).Progressing, 'False/CanaryPaused');
});

test.run();
