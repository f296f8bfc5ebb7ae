import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerSetSpec, ContainerSetStatus } from '../../protocol/resources.js';
import { maxUnavailableCount, pruneRevisions, stepRollout, type HostHealth, type RolloutInput } from './set-rollout.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const tpl = (image: string) => ({ containers: [{ name: 'app', image } as never] });
const spec = (p: Partial<ContainerSetSpec['updateStrategy']> = {}, extra: Partial<ContainerSetSpec> = {}): ContainerSetSpec => ({
  hostSelector: {}, template: tpl('app:1'), paused: false, revisionHistoryLimit: 10,
  updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, minReadySeconds: 0 }, failurePolicy: 'Rollback', progressDeadlineSeconds: 600, ...p },
  ...extra,
});

/**
 * A simulated fleet: each step, a host given a revision becomes available on the next step
 * (or fails, if its revision is in `broken`). Returns every status so tests can check invariants.
 */
class Fleet {
  status: ContainerSetStatus | undefined;
  now = T0;
  generation = 1;
  /** host -> step at which it got its current revision */
  private readonly got = new Map<string, number>();
  steps = 0;
  broken = new Set<string>();
  maxUnavailableSeen = 0;
  events: string[] = [];
  constructor(public hosts: string[], public spec: ContainerSetSpec) {}

  health = (host: string, revision: string): HostHealth => {
    if (this.broken.has(revision)) return { state: 'failed', container: 'app', message: 'exited with code 1' };
    return (this.got.get(host) ?? 0) < this.steps ? { state: 'available' } : { state: 'progressing', message: 'creating' };
  };

  step(rev: string, template = tpl(rev)): ReturnType<typeof stepRollout> {
    this.steps++;
    this.now += 1000;
    const input: RolloutInput = { generation: this.generation, spec: this.spec, previous: this.status, updateRevision: rev, template, hosts: this.hosts, health: this.health, nowMs: this.now };
    const out = stepRollout(input);
    for (const a of out.assigned) this.got.set(a.host, this.steps);
    this.status = out.status;
    if (out.transition) this.events.push(out.transition.reason);
    const unavailable = out.status.hostStatuses!.filter((h) => !h.available).length;
    this.maxUnavailableSeen = Math.max(this.maxUnavailableSeen, unavailable);
    return out;
  }
  revisionOf(host: string) { return this.status!.hostStatuses!.find((h) => h.host === host)!.revision; }
  run(rev: string, max = 100) { for (let i = 0; i < max; i++) { this.step(rev); if (this.status!.rollout!.phase !== 'Progressing' && this.status!.rollout!.phase !== 'RollingBack') return; } }
}

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `h${String(i).padStart(3, '0')}`);

test('maxUnavailable: counts, percents rounded up, at least 1', () => {
  assert.is(maxUnavailableCount(2, 10), 2);
  assert.is(maxUnavailableCount('10%', 1000), 100);
  assert.is(maxUnavailableCount('10%', 5), 1);
  assert.is(maxUnavailableCount('25%', 10), 3);
  assert.throws(() => maxUnavailableCount('ten', 10), /maxUnavailable/);
});

test('a new set gives every host the revision and completes when all are available', () => {
  const f = new Fleet(hosts(5), spec());
  f.run('r1');
  assert.is(f.status!.rollout!.phase, 'Complete');
  assert.is(f.status!.currentRevision, 'r1');
  assert.is(f.status!.availableHosts, 5);
  assert.ok(f.status!.revisions!.find((r) => r.name === 'r1')!.good);
  assert.ok(f.events.includes('RolloutComplete'));
});

test('a rolling update never has more than maxUnavailable hosts unavailable and updates each host once', () => {
  const f = new Fleet(hosts(10), spec({ rollingUpdate: { maxUnavailable: 3, minReadySeconds: 0 } }));
  f.run('r1');
  f.maxUnavailableSeen = 0;
  const given = new Map<string, number>();
  for (let i = 0; i < 100 && f.status!.rollout!.phase !== 'Complete' || i === 0; i++) {
    const out = f.step('r2');
    for (const a of out.assigned) given.set(a.host, (given.get(a.host) ?? 0) + 1);
  }
  assert.is(f.status!.rollout!.phase, 'Complete');
  assert.is(f.maxUnavailableSeen, 3);
  assert.equal([...given.values()].every((n) => n === 1), true);
  assert.is(given.size, 10);
  assert.is(f.status!.updatedHosts, 10);
});

test('hosts already unavailable count against maxUnavailable and are updated first', () => {
  const f = new Fleet(hosts(4), spec({ rollingUpdate: { maxUnavailable: 1, minReadySeconds: 0 } }));
  f.run('r1');
  const sick = f.health;
  f.health = (h, r) => (h === 'h002' && r === 'r1' ? { state: 'progressing', message: 'agent not connected' } : sick(h, r));
  const out = f.step('r2');
  assert.equal(out.assigned.map((a) => a.host), ['h002']);
});

test('hosts running but not yet past minReadySeconds are not replaced for free', () => {
  const f = new Fleet(hosts(3), spec());
  f.run('r1');
  f.health = () => ({ state: 'ready', availableAt: f.now + 60_000 });
  assert.is(f.step('r2').assigned.length, 0);
});

test('Recreate updates every host at once', () => {
  const f = new Fleet(hosts(6), spec({ type: 'Recreate' }));
  f.run('r1');
  assert.is(f.step('r2').assigned.length, 6);
});

test('a broken revision is rolled back to the last good one, Degraded reported', () => {
  const f = new Fleet(hosts(6), spec({ rollingUpdate: { maxUnavailable: 2, minReadySeconds: 0 } }));
  f.run('r1');
  f.broken.add('r2');
  f.run('r2');
  assert.is(f.status!.rollout!.phase, 'Failed');
  assert.is(f.status!.rollout!.failedHost !== undefined, true);
  assert.is(f.status!.rollout!.failedContainer, 'app');
  assert.match(f.status!.rollout!.message!, /exited/);
  assert.equal(f.hosts.map((h) => f.revisionOf(h)), Array(6).fill('r1'));
  assert.is(f.status!.currentRevision, 'r1');
  assert.ok(f.events.includes('RollingBack') && f.events.includes('RolledBack'));
  // Only the first wave ever got r2.
  assert.is(f.status!.updateRevision, 'r2');
  // A new template starts a new rollout.
  f.run('r3');
  assert.is(f.status!.rollout!.phase, 'Complete');
  assert.is(f.status!.currentRevision, 'r3');
});

test('failurePolicy Pause stops where it is', () => {
  const f = new Fleet(hosts(6), spec({ failurePolicy: 'Pause', rollingUpdate: { maxUnavailable: 2, minReadySeconds: 0 } }));
  f.run('r1');
  f.broken.add('r2');
  f.run('r2');
  assert.is(f.status!.rollout!.phase, 'Failed');
  const onR2 = f.hosts.filter((h) => f.revisionOf(h) === 'r2').length;
  assert.is(onR2, 2);
  for (let i = 0; i < 5; i++) assert.is(f.step('r2').assigned.length, 0);
});

test('the progress deadline fails a host that never becomes available', () => {
  const f = new Fleet(hosts(3), spec({ progressDeadlineSeconds: 5 }));
  f.run('r1');
  const ok = f.health;
  f.health = (h, r) => (r === 'r2' ? { state: 'progressing', message: 'pulling' } : ok(h, r));
  for (let i = 0; i < 10; i++) f.step('r2');
  assert.is(f.status!.rollout!.phase, 'Failed');
  assert.match(f.status!.rollout!.message!, /progressDeadlineSeconds \(5s\): pulling/);
  assert.equal(f.hosts.map((h) => f.revisionOf(h)), ['r1', 'r1', 'r1']);
});

test('a first revision that fails has nothing to roll back to: it pauses', () => {
  const f = new Fleet(hosts(2), spec());
  f.broken.add('r1');
  f.run('r1');
  assert.is(f.status!.rollout!.phase, 'Failed');
  assert.ok(f.events.includes('RolloutFailed'));
});

test('canary: N hosts, pause, resume by a new value and by paused true → false', () => {
  const f = new Fleet(hosts(6), spec({ canary: { hosts: 1, pause: true }, rollingUpdate: { maxUnavailable: 2, minReadySeconds: 0 } }));
  f.run('r1');
  for (let i = 0; i < 5; i++) f.step('r2');
  assert.is(f.status!.rollout!.phase, 'Paused');
  assert.is(f.hosts.filter((h) => f.revisionOf(h) === 'r2').length, 1);
  // A new canary value continues to it.
  f.spec = spec({ canary: { hosts: 3, pause: true }, rollingUpdate: { maxUnavailable: 2, minReadySeconds: 0 } });
  f.generation = 2;
  for (let i = 0; i < 6; i++) f.step('r2');
  assert.is(f.status!.rollout!.phase, 'Paused');
  assert.is(f.hosts.filter((h) => f.revisionOf(h) === 'r2').length, 3);
  // paused true (no host moves) then false releases the rest.
  f.spec = { ...f.spec, paused: true }; f.generation = 3;
  for (let i = 0; i < 3; i++) f.step('r2');
  assert.is(f.hosts.filter((h) => f.revisionOf(h) === 'r2').length, 3);
  f.spec = { ...f.spec, paused: false }; f.generation = 4;
  f.run('r2');
  assert.is(f.status!.rollout!.phase, 'Complete');
  assert.is(f.status!.updatedHosts, 6);
});

test('spec.paused holds the rollout without failing it', () => {
  const f = new Fleet(hosts(3), spec());
  f.run('r1');
  f.spec = { ...f.spec, paused: true };
  for (let i = 0; i < 5; i++) assert.is(f.step('r2').assigned.length, 0);
  assert.is(f.status!.rollout!.phase, 'Progressing');
});

test('hosts joining get the target, hosts leaving are dropped; a restart resumes from status', () => {
  const f = new Fleet(hosts(3), spec());
  f.run('r1');
  f.hosts = [...f.hosts, 'h999'];
  const out = f.step('r1');
  assert.equal(out.assigned, [{ host: 'h999', revision: 'r1' }]);
  f.hosts = f.hosts.filter((h) => h !== 'h000');
  f.step('r1');
  assert.equal(f.status!.hostStatuses!.map((h) => h.host), ['h001', 'h002', 'h999']);
  // "Restart": a fresh state machine with only the stored status goes on, giving no host twice.
  const saved = structuredClone(f.status);
  const g = new Fleet(f.hosts, f.spec);
  g.status = saved;
  g.steps = 5;
  const given: string[] = [];
  for (let i = 0; i < 20; i++) given.push(...g.step('r2').assigned.map((a) => a.host));
  assert.equal(given.sort(), ['h001', 'h002', 'h999']);
});

test('minReadySeconds: ready hosts are waited for, with a requeue at the time they become available', () => {
  const out = stepRollout({
    generation: 1, spec: spec(), updateRevision: 'r1', template: tpl('r1'), hosts: ['a'], nowMs: T0,
    previous: { updateRevision: 'r1', revisions: [{ name: 'r1', number: 1, template: tpl('r1'), createdAt: '' }], hostStatuses: [{ host: 'a', revision: 'r1', ready: true, available: false, since: new Date(T0).toISOString() }], rollout: { phase: 'Progressing', target: 'r1' } },
    health: () => ({ state: 'ready', availableAt: T0 + 7000 }),
  });
  assert.is(out.requeueAfterMs, 7000);
  assert.is(out.status.readyHosts, 1);
  assert.is(out.status.availableHosts, 0);
  assert.is(out.status.rollout!.phase, 'Progressing');
});

test('revision history keeps the limit plus those in use', () => {
  const rev = (name: string, number: number) => ({ name, number, template: tpl(name), createdAt: '' });
  const kept = pruneRevisions([rev('a', 1), rev('b', 2), rev('c', 3), rev('d', 4)], new Set(['a', 'd']), 1);
  assert.equal(kept.map((r) => r.name), ['a', 'c', 'd']);
});

test('collisions appear in hostStatuses', () => {
  const out = stepRollout({ generation: 1, spec: spec(), previous: undefined, updateRevision: 'r1', template: tpl('r1'), hosts: ['a'], nowMs: T0, health: () => ({ state: 'available' }), collisions: () => ['app'] });
  assert.equal(out.status.hostStatuses![0]!.collisions, ['app']);
  assert.match(out.status.hostStatuses![0]!.message!, /name taken\): app/);
});

test.run();
