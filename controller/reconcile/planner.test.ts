import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { seen, spec } from './test-fixtures.js';
import type { ContainerSpec } from '../../protocol/container.js';
import { plan, type PlanInput } from './planner.js';

const input = (p: Partial<PlanInput>): PlanInput => ({
  desired: new Map(), unresolved: new Set(), observed: [], inFlight: new Set(), backingOff: new Set(), paused: false, deleting: false, removalPolicy: 'Delete', ...p,
});
const desired = (...specs: ContainerSpec[]) => new Map(specs.map((s) => [s.name, s]));
const summary = (p: PlanInput) => plan(p).actions.map((a) => `${a.kind} ${a.name}`);
const deps = (name: string, on: string, condition: 'Started' | 'Healthy' = 'Started') => new Map([[name, [{ name: on, condition }]]]);

test('nothing to do when everything matches', () => {
  assert.equal(summary(input({ desired: desired(spec('a'), spec('b')), observed: [seen('a'), seen('b')] })), []);
});

test('missing and changed containers are applied', () => {
  assert.equal(summary(input({ desired: desired(spec('a'), spec('b')), observed: [seen('a', { specHash: 'old' })] })), ['apply a', 'apply b']);
});

test('no agent: no actions at all', () => {
  assert.equal(plan(input({ desired: desired(spec('a')), observed: undefined })).actions, []);
});

test('paused: observe only', () => {
  assert.equal(summary(input({ paused: true, desired: desired(spec('a')), observed: [seen('x')] })), []);
});

test('in-flight containers are not acted on again', () => {
  assert.equal(summary(input({ desired: desired(spec('a')), observed: [seen('x')], inFlight: new Set(['a', 'x']) })), []);
});

test('backing-off containers get no action, and the plan names them apart from in-flight ones', () => {
  const p = plan(input({
    desired: desired(spec('a'), spec('b'), spec('c')), observed: [seen('b', { specHash: 'old' }), seen('c'), seen('x')],
    inFlight: new Set(['x']), backingOff: new Set(['a', 'b', 'c']),
  }));
  assert.equal(p.actions, []);
  assert.equal(p.backingOff, ['a', 'b'], 'c needs nothing; x is in flight, not backing off');
  assert.equal(plan(input({ desired: desired(spec('a')), observed: [], inFlight: new Set(['a']), backingOff: new Set(['a']) })).backingOff, [], 'in flight wins');
});

test('pending names every container with a gap left, acted on or held back; a matching one is not', () => {
  const p = plan(input({
    desired: desired(spec('ok'), spec('gone'), spec('busy'), spec('later'), spec('app')),
    observed: [seen('ok'), seen('busy', { specHash: 'old' }), seen('later', { state: 'exited' }), seen('extra')],
    inFlight: new Set(['busy']), backingOff: new Set(['later']), dependsOn: deps('app', 'gone'),
  }));
  assert.equal([...p.pending].sort(), ['app', 'busy', 'extra', 'gone', 'later'], '"ok" matches its spec: nothing pending for it');
  assert.equal(p.actions.map((a) => `${a.kind} ${a.name}`), ['apply gone', 'remove extra']);
});

test('backing off holds back only that container', () => {
  const p = plan(input({ desired: desired(spec('a'), spec('b')), observed: [seen('old')], backingOff: new Set(['a', 'old']) }));
  assert.equal(p.actions.map((a) => `${a.kind} ${a.name}`), ['apply b']);
  assert.equal(p.backingOff, ['a', 'old']);
});

test('deleting: a backing-off container is not removed yet, and cleanup is not done', () => {
  const p = plan(input({ deleting: true, observed: [seen('a'), seen('b')], backingOff: new Set(['a']) }));
  assert.equal(p.actions.map((a) => `${a.kind} ${a.name}`), ['remove b']);
  assert.equal(p.backingOff, ['a']);
  assert.is(p.cleanupDone, false);
});

test('no agent or paused: nothing is listed as backing off either', () => {
  assert.equal(plan(input({ desired: desired(spec('a')), observed: undefined, backingOff: new Set(['a']) })).backingOff, []);
  assert.equal(plan(input({ paused: true, desired: desired(spec('a')), observed: [], backingOff: new Set(['a']) })).backingOff, []);
});

test('extra managed containers: removed with Delete, left with Orphan', () => {
  assert.equal(summary(input({ observed: [seen('old')] })), ['remove old']);
  assert.equal(summary(input({ observed: [seen('old')], removalPolicy: 'Orphan' })), []);
});

test('an unresolvable container (missing Secret) is neither applied nor removed', () => {
  assert.equal(summary(input({ unresolved: new Set(['a']), observed: [seen('a', { specHash: 'old' })] })), []);
});

test('run state: stopped out of band is started again; Stopped is stopped', () => {
  assert.equal(summary(input({ desired: desired(spec('a')), observed: [seen('a', { state: 'exited', finishedAt: '2026-01-01T00:00:00Z' })] })), ['apply a']);
  assert.equal(summary(input({ desired: desired(spec('a', { state: 'Stopped' })), observed: [seen('a')] })), ['apply a']);
  assert.equal(summary(input({ desired: desired(spec('a', { state: 'Stopped' })), observed: [seen('a', { state: 'exited' })] })), []);
  assert.equal(summary(input({ desired: desired(spec('a')), observed: [seen('a', { state: 'created' })] })), ['apply a']);
});

test('run state: Never and OnFailure containers that completed are left alone', () => {
  for (const restartPolicy of ['Never', 'OnFailure'] as const) {
    // As the agent reports it: both times set (Docker's zero times are left out).
    const done = seen('job', { state: 'exited', exitCode: 0, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z' });
    assert.equal(summary(input({ desired: desired(spec('job', { restartPolicy })), observed: [done] })), [], restartPolicy);
    const neverRan = seen('job', { state: 'created' });
    assert.equal(summary(input({ desired: desired(spec('job', { restartPolicy })), observed: [neverRan] })), ['apply job'], restartPolicy);
    // Its start failed: exited, but it never ran, so nothing completed.
    const failedStart = seen('job', { state: 'exited', exitCode: 127, finishedAt: '2026-01-01T00:00:01Z' });
    assert.equal(summary(input({ desired: desired(spec('job', { restartPolicy })), observed: [failedStart] })), ['apply job'], restartPolicy);
  }
});

// The three cases where the planner and the agent once disagreed (protocol/run-state.ts decides them).
test('run state: a paused container declared Stopped is stopped', () => {
  assert.equal(summary(input({ desired: desired(spec('a', { state: 'Stopped' })), observed: [seen('a', { state: 'paused' })] })), ['apply a']);
});

test('run state: a dead container declared Running is replaced, even with restartPolicy Never', () => {
  const dead = seen('a', { state: 'dead', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z' });
  assert.equal(summary(input({ desired: desired(spec('a', { restartPolicy: 'Never' })), observed: [dead] })), ['apply a']);
});

test('run state: a container being removed gets no action until Docker is done with it', () => {
  assert.equal(summary(input({ desired: desired(spec('a')), observed: [seen('a', { state: 'removing' })] })), []);
});

test('deleting: Delete removes every managed container, then cleanup is done', () => {
  const p = plan(input({ deleting: true, desired: desired(spec('a')), observed: [seen('a'), seen('b')] }));
  assert.equal(p.actions.map((a) => `${a.kind} ${a.name}`), ['remove a', 'remove b']);
  assert.is(p.cleanupDone, false);
  assert.is(plan(input({ deleting: true, observed: [] })).cleanupDone, true);
  assert.is(plan(input({ deleting: true, observed: undefined })).cleanupDone, false, 'no agent: cannot clean up, wait');
});

test('deleting: Orphan leaves everything and is done at once', () => {
  const p = plan(input({ deleting: true, removalPolicy: 'Orphan', observed: [seen('a')] }));
  assert.equal(p, { actions: [], cleanupDone: true, backingOff: [], waiting: new Map(), pending: new Set() });
});

test('dependsOn: a dependent waits until its dependency runs, with the reason', () => {
  const p = plan(input({ desired: desired(spec('db'), spec('app')), observed: [], dependsOn: deps('app', 'db') }));
  assert.equal(p.actions.map((a) => a.name), ['db']);
  assert.equal([...p.waiting], [['app', 'waiting for "db" to start']]);
  assert.equal(summary(input({ desired: desired(spec('db'), spec('app')), observed: [seen('db')], dependsOn: deps('app', 'db') })), ['apply app']);
});

test('dependsOn Healthy: held while the dependency is starting or unhealthy, released once healthy', () => {
  const base = { desired: desired(spec('db'), spec('app')), dependsOn: deps('app', 'db', 'Healthy') };
  const starting = plan(input({ ...base, observed: [seen('db', { health: 'starting' })] }));
  assert.equal(starting.actions, []);
  assert.equal(starting.waiting.get('app'), 'waiting for "db" to be healthy (it is starting)');
  assert.equal(summary(input({ ...base, observed: [seen('db', { health: 'healthy' })] })), ['apply app']);
});

test('dependsOn: a dependency being recreated holds back the dependent; stopping never waits', () => {
  const p = plan(input({ desired: desired(spec('db'), spec('app')), observed: [seen('db', { specHash: 'old' })], dependsOn: deps('app', 'db') }));
  assert.equal(p.actions.map((a) => a.name), ['db']);
  assert.match(p.waiting.get('app') ?? '', 'recreated');
  const stop = plan(input({ desired: desired(spec('db'), spec('app', { state: 'Stopped' })), observed: [seen('app')], dependsOn: deps('app', 'db') }));
  assert.equal(stop.actions.map((a) => a.name), ['db', 'app']);
});

test('dependsOn problems (cycles, unknown names) hold back the containers concerned', () => {
  const p = plan(input({ desired: desired(spec('a'), spec('b')), observed: [], blocked: new Map([['a', 'held back: cycle']]) }));
  assert.equal(p.actions.map((a) => a.name), ['b']);
  assert.is(p.waiting.get('a'), 'held back: cycle');
});

test.run();
