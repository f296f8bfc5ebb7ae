import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostWith, seen, spec } from './test-fixtures.js';
import type { ContainerHost } from '../api/types.js';
import { dependencyInputs } from './dependencies.js';
import { plan } from './planner.js';
import { computeHostStatus } from './status.js';

/** hostWith, with dependsOn set per container. */
function withDeps(deps: Record<string, string[]>): ContainerHost {
  const h = hostWith(Object.keys(deps));
  h.spec.containers = h.spec.containers!.map((c) => ({ ...c, ...(deps[c.name]!.length ? { dependsOn: deps[c.name]!.map((name) => ({ name, condition: 'Started' as const })) } : {}) }));
  return h;
}

test('hosts without dependsOn get no planner inputs and no DependenciesValid condition', () => {
  const h = hostWith(['a']);
  assert.equal(dependencyInputs(h), { plan: {}, problems: [] });
});

test('a cycle (which the apiserver accepts) holds back every container on it and sets DependenciesValid False', () => {
  const h = withDeps({ a: ['b'], b: ['a'], c: ['a'], d: [] });
  const deps = dependencyInputs(h);
  assert.equal([...deps.plan.blocked!.keys()].sort(), ['a', 'b']);
  const desired = new Map(['a', 'b', 'c', 'd'].map((n) => [n, spec(n)]));
  const p = plan({ ...deps.plan, desired, unresolved: new Set(), observed: [], inFlight: new Set(), backingOff: new Set(), paused: false, deleting: false, removalPolicy: 'Delete' });
  assert.equal(p.actions.map((x) => x.name), ['d'], 'c waits for a; a and b are held back; d is free');
  assert.match(p.waiting.get('a')!, 'cycle: a → b → a');
  assert.is(p.waiting.get('c'), 'waiting for "a" to start');
  const status = computeHostStatus({
    host: h, agent: { connected: true, containers: [] }, desired, unresolved: new Map(), inFlight: new Set(), failures: new Map(),
    waiting: p.waiting, dependencyProblems: deps.problems, now: '2026-12-01T00:00:00Z',
  });
  const c = status.conditions!.find((x) => x.type === 'DependenciesValid')!;
  assert.is(c.status, 'False');
  assert.match(c.message, 'cycle');
  assert.is(status.conditions!.find((x) => x.type === 'Synced')!.reason, 'Progressing', 'd is still being created');
  const a = status.containers!.find((x) => x.name === 'a')!;
  assert.is(a.state, 'Pending');
  assert.match(a.message!, 'held back');
});

test('an unknown name blocks only its container; a valid graph is DependenciesValid True', () => {
  const bad = dependencyInputs(withDeps({ a: ['ghost'], b: [] }));
  assert.equal([...bad.plan.blocked!.keys()], ['a']);
  const good = withDeps({ a: ['b'], b: [] });
  const status = computeHostStatus({
    host: good, agent: { connected: true, containers: [seen('a'), seen('b')] }, desired: new Map([['a', spec('a')], ['b', spec('b')]]),
    unresolved: new Map(), inFlight: new Set(), failures: new Map(), dependencyProblems: dependencyInputs(good).problems, now: '2026-12-01T00:00:00Z',
  });
  assert.is(status.conditions!.find((x) => x.type === 'DependenciesValid')!.status, 'True');
});

test('only dependents left: Synced False with reason WaitingForDependencies naming what each waits for', () => {
  const h = withDeps({ db: [], app: ['db'] });
  const desired = new Map([['db', spec('db')], ['app', spec('app')]]);
  const status = computeHostStatus({
    host: h, agent: { connected: true, containers: [seen('db', { health: 'starting' })] }, desired, unresolved: new Map(), inFlight: new Set(), failures: new Map(),
    waiting: new Map([['app', 'waiting for "db" to be healthy (it is starting)']]), dependencyProblems: [], now: '2026-12-01T00:00:00Z',
  });
  const synced = status.conditions!.find((x) => x.type === 'Synced')!;
  assert.equal([synced.status, synced.reason, synced.message], ['False', 'WaitingForDependencies', 'app: waiting for "db" to be healthy (it is starting)']);
});

test.run();
