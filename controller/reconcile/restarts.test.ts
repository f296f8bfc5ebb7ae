import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan, type PlanInput } from './planner.js';
import { RestartLedger, restartRequests, restartTime, startedSince } from './restarts.js';
import { hostWith, seen, spec } from './test-fixtures.js';

const T0 = '2026-12-01T08:00:00Z';
const T1 = '2026-12-01T09:00:00.500Z';

test('requests come from the all-containers annotation, per-container annotations and stored requests; the newest wins', () => {
  const host = hostWith(['a', 'b', 'c'], {}, { annotations: { 'berth.dev/restartedAt': T0, 'restart.berth.dev/b': T1, 'restart.berth.dev/zz': T1, 'berth.dev/restartedBy': 'alice' } });
  const { requests, invalid } = restartRequests(host, [{ at: '2026-12-01T08:30:00Z', container: 'c', by: 'bob' }]);
  assert.equal(invalid, []);
  assert.equal([...requests].map(([n, r]) => `${n} ${r.at} ${r.by} ${r.source}`), [
    `a ${T0} alice berth.dev/restartedAt`, `b ${T1} alice restart.berth.dev/b`, 'c 2026-12-01T08:30:00Z bob berth restart',
  ]);
});

test('a value that is not an RFC 3339 time is reported and ignored', () => {
  const { requests, invalid } = restartRequests(hostWith(['a'], {}, { annotations: { 'berth.dev/restartedAt': 'yesterday' } }));
  assert.is(requests.size, 0);
  assert.match(invalid[0]!, /berth.dev\/restartedAt: "yesterday" is not an RFC 3339 time/);
  assert.is(restartTime('2026-12-01 08:00:00'), undefined);
  assert.is(restartTime(T1), Date.parse(T1));
});

const input = (p: Partial<PlanInput>): PlanInput => ({
  desired: new Map([['a', spec('a')]]), unresolved: new Set(), observed: [], inFlight: new Set(), backingOff: new Set(), paused: false, deleting: false, removalPolicy: 'Delete', ...p,
});
const req = (at: string) => new Map([['a', { at, atMs: Date.parse(at), source: 'berth.dev/restartedAt' }]]);

test('the planner restarts a running container that started before the request, with its StartedAt as the guard', () => {
  const running = seen('a', { state: 'running', startedAt: '2026-12-01T07:00:00.123456789Z' });
  const p = plan(input({ observed: [running], restarts: req(T0) }));
  assert.equal(p.actions.map((a) => a.kind === 'restart' ? `${a.name} ${a.startedAt} ${a.at}` : a.kind), [`a 2026-12-01T07:00:00.123456789Z ${T0}`]);
  // Started after the request, stopped, paused host, in flight: no restart.
  assert.equal(plan(input({ observed: [seen('a', { state: 'running', startedAt: '2026-12-01T08:00:01Z' })], restarts: req(T0) })).actions, []);
  assert.equal(plan(input({ desired: new Map([['a', spec('a', { state: 'Stopped' })]]), observed: [seen('a', { state: 'exited', startedAt: '2026-12-01T07:00:00Z' })], restarts: req(T0) })).actions, []);
  assert.equal(plan(input({ paused: true, observed: [running], restarts: req(T0) })).actions, []);
  assert.equal(plan(input({ inFlight: new Set(['a']), observed: [running], restarts: req(T0) })).actions, []);
  // A spec change wins: the recreate starts it anew anyway.
  assert.equal(plan(input({ observed: [{ ...running, specHash: 'old' }], restarts: req(T0) })).actions.map((a) => a.kind), ['apply']);
});

test('the ledger: a request is pending until done; status seeds it after a controller restart', () => {
  const ledger = new RestartLedger();
  const requests = new Map([['a', { at: T0, atMs: Date.parse(T0), source: 's' }]]);
  assert.equal([...ledger.pending('ns/h', requests, undefined).keys()], ['a']);
  ledger.mark('ns/h', 'a', T0);
  assert.equal([...ledger.pending('ns/h', requests, undefined).keys()], []);
  const fresh = new RestartLedger();
  const status = { containers: [{ name: 'a', state: 'Running' as const, ready: true, restartedFor: T0 }] };
  assert.equal([...fresh.pending('ns/h', requests, status).keys()], [], 'done according to status');
  const newer = new Map([['a', { at: T1, atMs: Date.parse(T1), source: 's' }]]);
  assert.equal([...fresh.pending('ns/h', newer, status).keys()], ['a'], 'a newer request is pending again');
  assert.equal(ledger.annotate('ns/h', { containers: [{ name: 'a', state: 'Running', ready: true }] }, undefined).containers![0]!.restartedFor, T0);
  assert.ok(startedSince({ startedAt: '2026-12-01T08:00:00.000000001Z' }, requests.get('a')!));
  assert.not.ok(startedSince({}, requests.get('a')!));
});

test.run();
