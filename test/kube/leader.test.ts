// Lease leader election against the test bed's REAL kube-apiserver (coordination.k8s.io/v1 Leases,
// optimistic concurrency by resourceVersion). Short timings — lease 3 s / renew deadline 2 s /
// retry 0.5 s — keep it quick; the algorithm is the same as with the default 15/10/2. Each test uses
// its own Lease in one namespace made for this file. Every wait is bounded.
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LeaderElector } from '../../controller/leader/index.js';
import { until } from '../support/wait.js';
import { createTestNamespace, deleteTestNamespace, kubeconfig, kubectl, restartApiserver } from '../support/kube.js';

const LEASE_MS = 3_000;
const RENEW_MS = 2_000;
const RETRY_MS = 500;
/** A candidate's poll interval is at most RETRY × 1.2 (jitter); plus request latency. */
const POLL_MAX_MS = RETRY_MS * 1.2 + 200;

const logLines: string[] = [];
const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); if (process.env.BERTH_TEST_SHOW_LOGS) process.stderr.write(String(chunk)); cb(); } }));

let namespace = '';
const kc = new KubeConfig();

test.before(async () => {
  kc.loadFromFile(kubeconfig('admin'));
  namespace = await createTestNamespace('berth-t-leader');
});

const electors: LeaderElector[] = [];
test.after.each(async () => {
  await Promise.all(electors.splice(0).map((e) => e.abandon()));
});

test.after(async () => {
  if (namespace) await deleteTestNamespace(namespace);
});

let leaseSeq = 0;
function newLeaseName(): string { return `berth-controller-${++leaseSeq}`; }

interface Timings { leaseMs: number; renewMs: number }
function elector(lease: string, identity: string, events: string[] = [], t: Timings = { leaseMs: LEASE_MS, renewMs: RENEW_MS }): LeaderElector {
  const e = new LeaderElector({
    kubeConfig: kc, namespace, name: lease, identity, logger,
    leaseDurationMs: t.leaseMs, renewDeadlineMs: t.renewMs, retryPeriodMs: RETRY_MS,
    onStartedLeading: () => events.push(`${identity}:started`),
    onStoppedLeading: () => events.push(`${identity}:stopped`),
  });
  electors.push(e);
  return e;
}

interface LeaseSpec { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; acquireTime?: string; leaseTransitions?: number }
async function leaseSpec(lease: string): Promise<LeaseSpec> {
  const r = await kubectl(['-n', namespace, 'get', 'lease', lease, '-o', 'json'], { check: true });
  return (JSON.parse(r.stdout) as { spec?: LeaseSpec }).spec ?? {};
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits (shared until) for PRED; resolves with the wall time at which it was first seen true. */
const when = (what: string, pred: () => boolean, ms: number) => until(what, () => (pred() ? Date.now() : undefined), ms, 20);
/** The "lease acquired" log line of IDENTITY on LEASE, if any (its reason says released or expired). */
const acquiredLog = (lease: string, identity: string) => logLines.map((l) => JSON.parse(l) as { msg?: string; lease?: string; identity?: string; reason?: string; previousHolder?: string })
  .find((l) => l.msg === 'lease acquired' && l.lease === `${namespace}/${lease}` && l.identity === identity);
const leaders = (es: LeaderElector[]) => es.filter((e) => e.isLeader());

/** Samples isLeader() of every elector each `everyMs` in the background until stopped. */
function sampler(es: LeaderElector[], everyMs = 100) {
  const counts: number[] = [];
  const timer = setInterval(() => counts.push(leaders(es).length), everyMs);
  timer.unref(); // a failed wait must not keep the test process alive past its report
  return {
    counts,
    stop() { clearInterval(timer); return counts; },
  };
}

test('two electors: exactly one leader, and the Lease names it', async () => {
  const lease = newLeaseName();
  const es = [elector(lease, 'alpha'), elector(lease, 'beta')];
  es.forEach((e) => e.start());
  await when('a leader', () => leaders(es).length === 1, LEASE_MS);
  const s = sampler(es);
  await sleep(2_000);
  const counts = s.stop();
  assert.ok(counts.length >= 15, `${counts.length} samples`);
  assert.ok(counts.every((n) => n === 1), `leaders per sample: ${counts.join(',')}`);
  const [leader] = leaders(es);
  const spec = await leaseSpec(lease);
  assert.is(spec.holderIdentity, leader!.identity);
  assert.is(spec.leaseDurationSeconds, LEASE_MS / 1000);
  assert.is(spec.leaseTransitions, 0);
  assert.match(spec.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.equal(leader!.leaderState(), { leader: true, holder: leader!.identity, identity: leader!.identity });
  const other = es.find((e) => e !== leader)!;
  assert.equal(other.leaderState(), { leader: false, holder: leader!.identity, identity: other.identity });
});

test('stop() of the leader releases the Lease: the other leads within ~1 retry period', async () => {
  const lease = newLeaseName();
  const events: string[] = [];
  const es = [elector(lease, 'alpha', events), elector(lease, 'beta', events)];
  es.forEach((e) => e.start());
  await when('a leader', () => leaders(es).length === 1, LEASE_MS);
  const leader = leaders(es)[0]!;
  const other = es.find((e) => e !== leader)!;
  await when('the follower to have observed the Lease', () => other.leaderState().holder === leader.identity, LEASE_MS);
  const s = sampler(es, 20);
  const stopped = Date.now();
  await leader.stop();
  const took = (await when('the other to lead', () => other.isLeader(), LEASE_MS)) - stopped;
  const counts = s.stop();
  assert.ok(counts.every((n) => n <= 1), 'never two leaders during the handover');
  // Took over because the Lease was released, not because it ran out (no sub-second timing: the
  // elector says why it acquired, and a lease that had to expire would take LEASE_MS at least).
  assert.is(acquiredLog(lease, other.identity)?.reason, 'released', `handover after ${took} ms`);
  assert.ok(took < LEASE_MS, `handover took ${took} ms, as long as an expiry (lease ${LEASE_MS} ms)`);
  const spec = await leaseSpec(lease);
  assert.is(spec.holderIdentity, other.identity);
  assert.is(spec.leaseTransitions, 1);
  assert.equal(events, [`${leader.identity}:started`, `${leader.identity}:stopped`, `${other.identity}:started`]);
});

test('a leader that dies without releasing: the other takes over after the lease duration, not before', async () => {
  const lease = newLeaseName();
  const a = elector(lease, 'alpha');
  a.start();
  await when('alpha to lead', () => a.isLeader(), LEASE_MS);
  const b = elector(lease, 'beta');
  b.start();
  // beta is watching alpha's Lease (and, at the next renewal, sees it change).
  await when('beta to observe alpha', () => b.leaderState().holder === 'alpha', LEASE_MS);
  const seen = await leaseSpec(lease);
  await until('alpha to renew once more', async () => (await leaseSpec(lease)).renewTime !== seen.renewTime, LEASE_MS, 50);
  await a.abandon();
  const died = Date.now();
  const spec = await leaseSpec(lease);
  assert.is(spec.holderIdentity, 'alpha', 'not released');
  // renewTime is alpha's wall clock when it sent its last renewal (same machine as this test):
  // the apiserver stored it later, and beta saw it later still.
  const lastRenewal = Date.parse(spec.renewTime ?? '');
  assert.ok(Number.isFinite(lastRenewal), `renewTime ${spec.renewTime}`);
  assert.ok(lastRenewal <= died, `last renewal ${died - lastRenewal} ms before the crash`);
  assert.not.ok(a.isLeader());
  const tookOver = await when('beta to take over', () => b.isLeader(), LEASE_MS + 2_000);
  assert.ok(tookOver - lastRenewal >= LEASE_MS, `beta took over ${tookOver - lastRenewal} ms after alpha's last renewal (lease ${LEASE_MS} ms)`);
  // Why beta took over: alpha's lease ran out (not a release, not a race).
  const acquired = acquiredLog(lease, 'beta');
  assert.equal([acquired?.reason, acquired?.previousHolder], ['expired', 'alpha'], `beta took over ${tookOver - died} ms after the crash`);
  const after = await leaseSpec(lease);
  assert.is(after.holderIdentity, 'beta');
  assert.is(after.leaseTransitions, 1);
});

test('three electors racing for a new Lease: exactly one leader at every sampled instant', async () => {
  const lease = newLeaseName();
  // The default lease/renew deadline (15 s / 10 s), not this file's 3 s / 2 s: "exactly one at every
  // instant" is about the creation race, and on 2 loaded cores one renewal can take over 2 s, which
  // rightly makes a 2 s leader step down (seen: 1,1,1,1,1,0,0,... then 1 again) -- a pause with no
  // leader, never two. Retries stay at 0.5 s, so the handover after a release stays quick.
  const slow = { leaseMs: 15_000, renewMs: 10_000 };
  const es = ['alpha', 'beta', 'gamma'].map((id) => elector(lease, id, [], slow));
  es.forEach((e) => e.start()); // all three GET 404 and race to create it
  await when('a leader', () => leaders(es).length === 1, slow.leaseMs);
  const first = leaders(es)[0]!;
  const s = sampler(es);
  // 30 samples (about 3 s), counted rather than slept: a loaded machine delays timers too.
  await until('30 samples', () => s.counts.length >= 30, 30_000, 50);
  const counts = s.stop();
  assert.ok(counts.every((n) => n === 1), `leaders per sample: ${counts.join(',')}`);
  assert.ok(first.isLeader(), 'leadership is stable');
  assert.is((await leaseSpec(lease)).holderIdentity, first.identity);
  // Stop the leader (it releases the Lease): the two others race again; still never two.
  const s2 = sampler(es);
  await first.stop();
  await when('a new leader', () => leaders(es).length === 1, slow.leaseMs);
  await sleep(1_500);
  const counts2 = s2.stop();
  assert.ok(counts2.every((n) => n <= 1), `leaders per sample: ${counts2.join(',')}`);
  assert.is(counts2[counts2.length - 1], 1);
  const second = leaders(es)[0]!;
  assert.is.not(second, first);
  assert.is((await leaseSpec(lease)).holderIdentity, second.identity);
});

test('apiserver restart while leading: leadership kept or re-acquired, never two leaders at once', async () => {
  const lease = newLeaseName();
  const events: string[] = [];
  const es = [elector(lease, 'alpha', events), elector(lease, 'beta', events)];
  es.forEach((e) => e.start());
  await when('a leader', () => leaders(es).length === 1, LEASE_MS);
  await sleep(1_000);
  const before = { identity: leaders(es)[0]!.identity, transitions: (await leaseSpec(lease)).leaseTransitions };
  const s = sampler(es);
  const restartStarted = Date.now();
  await restartApiserver();
  const restartMs = Date.now() - restartStarted;
  // Back: within a lease duration plus a couple of polls somebody leads again.
  await when('a leader after the restart', () => leaders(es).length === 1, LEASE_MS + 3 * POLL_MAX_MS);
  await sleep(2_000);
  const counts = s.stop();
  assert.ok(counts.every((n) => n <= 1), `never two leaders (restart took ${restartMs} ms); leaders per sample: ${counts.join(',')}`);
  assert.is(counts[counts.length - 1], 1);
  const leader = leaders(es)[0]!;
  assert.is((await leaseSpec(lease)).holderIdentity, leader.identity);
  // Callbacks strictly alternate per elector.
  for (const e of es) {
    const mine = events.filter((ev) => ev.startsWith(`${e.identity}:`)).map((ev) => ev.split(':')[1]);
    mine.forEach((ev, i) => assert.is(ev, i % 2 === 0 ? 'started' : 'stopped', `${e.identity}: ${mine.join(',')}`));
  }
  // Either way something is asserted: a leader that stepped down says why; one that did not still
  // holds the Lease it held before the restart, with no transition.
  const steppedDown = events.some((ev) => ev.endsWith(':stopped'));
  if (steppedDown) assert.ok(logLines.some((l) => l.includes('renew deadline passed') || l.includes('lease is now held by')), `stepped down (restart took ${restartMs} ms) without saying why`);
  else assert.equal([leader.identity, (await leaseSpec(lease)).leaseTransitions], [before.identity, before.transitions], `kept through a ${restartMs} ms restart`);
});

test.run();
