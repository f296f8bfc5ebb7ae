import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { seen, spec } from './test-fixtures.js';
import type { ContainerSpec } from '../../protocol/container.js';
import type { ContainerHost } from '../api/types.js';
import { computeHostStatus, type StatusInput } from './status.js';

const host = (names: string[], extra: Partial<ContainerHost['spec']> = {}): ContainerHost => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerHost',
  metadata: { name: 'h', namespace: 'ns', uid: 'u', generation: 3 },
  spec: { paused: false, removalPolicy: 'Delete', policy: { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] },
    containers: names.map((n) => ({ name: n, image: 'busybox:1', state: 'Running', restartPolicy: 'UnlessStopped', network: 'bridge', privileged: false, stopTimeoutSeconds: 10, logging: { maxSize: 1024, maxFiles: 1 } })), ...extra },
});
const input = (p: Partial<StatusInput> & { host: ContainerHost }): StatusInput => ({
  agent: { connected: true, docker: { ok: true, version: '20.10', cpus: 2, memoryBytes: 1 }, containers: [] },
  desired: new Map((p.host.spec.containers ?? []).map((c) => [c.name, spec(c.name)])),
  unresolved: new Map(), inFlight: new Set(), failures: new Map(), now: '2026-11-21T10:00:00Z', ...p,
});
const cond = (s: ReturnType<typeof computeHostStatus>, type: string) => s.conditions!.find((c) => c.type === type)!;

test('all running and matching: Synced and Ready, 2/2', () => {
  const s = computeHostStatus(input({ host: host(['a', 'b']), agent: { connected: true, containers: [seen('a'), seen('b')] } }));
  assert.is(s.ready, '2/2');
  assert.is(cond(s, 'Synced').status, 'True');
  assert.is(cond(s, 'Ready').status, 'True');
  assert.is(s.observedGeneration, 3);
  assert.is(cond(s, 'Ready').observedGeneration, 3);
});

test('unhealthy container: Synced but not Ready', () => {
  const s = computeHostStatus(input({ host: host(['a']), agent: { connected: true, containers: [seen('a', { health: 'unhealthy' })] } }));
  assert.is(cond(s, 'Synced').status, 'True');
  assert.is(cond(s, 'Ready').status, 'False');
  assert.is(cond(s, 'Ready').reason, 'ContainersNotReady');
  assert.is(s.containers![0]!.message, 'healthcheck failing');
});

test('agent disconnected: AgentConnected False, containers Unknown, nothing claims to be ready', () => {
  const s = computeHostStatus(input({ host: host(['a']), agent: { connected: false, lastSeenAt: '2026-11-21T09:00:00Z', containers: [seen('a')] } }));
  assert.is(cond(s, 'AgentConnected').status, 'False');
  assert.is(cond(s, 'AgentConnected').reason, 'Disconnected');
  assert.is(s.containers![0]!.state, 'Unknown');
  assert.is(s.ready, '0/1');
  assert.is(cond(s, 'Ready').status, 'False');
});

test('lastSeenAt is in status only once the agent is gone (a connected agent\'s liveness is not a status change)', () => {
  const live = computeHostStatus(input({ host: host(['a']), agent: { connected: true, connectedAt: '2026-11-21T08:00:00Z', lastSeenAt: '2026-11-21T09:59:59Z', containers: [seen('a')] } }));
  assert.is(live.agent?.lastSeenAt, undefined);
  assert.is(live.agent?.connectedAt, '2026-11-21T08:00:00Z');
  const gone = computeHostStatus(input({ host: host(['a']), agent: { connected: false, connectedAt: '2026-11-21T08:00:00Z', lastSeenAt: '2026-11-21T09:00:00Z', containers: [seen('a')] } }));
  assert.is(gone.agent?.lastSeenAt, '2026-11-21T09:00:00Z');
});

test('Docker unavailable is a clear condition', () => {
  const s = computeHostStatus(input({ host: host(['a']), agent: { connected: true, docker: { ok: false, error: 'connect ENOENT /var/run/docker.sock' } } }));
  assert.is(cond(s, 'Synced').reason, 'DockerUnavailable');
  assert.is(cond(s, 'Synced').message, 'Docker unavailable: connect ENOENT /var/run/docker.sock');
  assert.is(cond(s, 'Ready').message, 'Docker unavailable: connect ENOENT /var/run/docker.sock');
});

test('a failed action shows in the container and in Synced', () => {
  const s = computeHostStatus(input({ host: host(['a']), failures: new Map([['a', 'NameConflict: name "a" is held by a container Berth does not manage']]) }));
  assert.is(s.containers![0]!.state, 'Failed');
  assert.is(cond(s, 'Synced').reason, 'Failed');
  assert.match(cond(s, 'Synced').message, 'NameConflict');
});

test('Stopped containers do not count towards ready and are Synced when stopped', () => {
  const h = host(['a', 'b']);
  h.spec.containers![1]!.state = 'Stopped';
  const desired = new Map([['a', spec('a')], ['b', spec('b', { state: 'Stopped' })]]);
  const s = computeHostStatus(input({ host: h, desired, agent: { connected: true, containers: [seen('a'), seen('b', { state: 'exited' })] } }));
  assert.is(s.ready, '1/1');
  assert.is(s.containers![1]!.state, 'Stopped');
  assert.is(cond(s, 'Ready').status, 'True');
});

test('lastTransitionTime is kept while a condition keeps its status', () => {
  const h = host(['a']);
  const first = computeHostStatus(input({ host: h, agent: { connected: true, containers: [seen('a')] } }));
  h.status = first;
  const later = computeHostStatus(input({ host: h, agent: { connected: true, containers: [seen('a')] }, now: '2026-11-21T11:00:00Z' }));
  assert.is(cond(later, 'Ready').lastTransitionTime, '2026-11-21T10:00:00Z');
  const flipped = computeHostStatus(input({ host: h, agent: { connected: false }, now: '2026-11-21T12:00:00Z' }));
  assert.is(cond(flipped, 'Ready').lastTransitionTime, '2026-11-21T12:00:00Z');
});

test('a deleting host waiting for its agent says why', () => {
  const h = host(['a']);
  h.metadata.deletionTimestamp = '2026-11-21T10:00:00Z';
  const s = computeHostStatus(input({ host: h, agent: { connected: false } }));
  assert.is(cond(s, 'Synced').reason, 'CleanupWaitingForAgent');
  assert.match(cond(s, 'Synced').message, 'berth.dev/force-delete');
});

test('the Engine API versions the agent reports reach status.agent; an older agent\'s facts leave them out', () => {
  const withApi = computeHostStatus(input({ host: host([]), agent: { connected: true, docker: { ok: true, version: '29.0.1', cpus: 2, memoryBytes: 1, apiVersion: '1.52', minAPIVersion: '1.44' }, containers: [] } }));
  assert.is(withApi.agent?.dockerAPIVersion, '1.52');
  assert.is(withApi.agent?.dockerMinAPIVersion, '1.44');
  const older = computeHostStatus(input({ host: host([]) }));
  assert.is(older.agent?.dockerVersion, '20.10');
  assert.not.ok('dockerAPIVersion' in (older.agent ?? {}) || 'dockerMinAPIVersion' in (older.agent ?? {}));
});

test.run();
