// The elector's loop against an in-memory Lease with real resourceVersion semantics (409 on a stale
// write), on a FAKE clock (lease 1 s / renew 0.6 s / retry 0.1 s of virtual time): the elector's
// sleeps, deadline timer and request bounds and the fake client's latency all run on it, so every
// elapsed-time bound below is exact and no result depends on how loaded the machine is. Each fake
// client can be partitioned (every request fails) or hung (requests never answer until aborted).
// The real apiserver version of these scenarios is test/kube/leader.test.ts. Every wait is bounded.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LeaseRecord } from './decide.js';
import { LeaderElector, type ElectorTimers, type LeaderElectorOptions } from './elector.js';
import { LeaseConflictError, type LeaseClient, type LeaseSnapshot } from '../kube/lease-client.js';

const TIMINGS = { leaseDurationMs: 1_000, renewDeadlineMs: 600, retryPeriodMs: 100 };

const logLines: string[] = [];
const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); if (process.env.BERTH_TEST_SHOW_LOGS) process.stderr.write(String(chunk)); cb(); } }));

/**
 * Virtual time: timers fire only when the test advances the clock, in order, each followed by a
 * turn of the event loop so that the promise chains it started settle before the next one fires.
 */
class FakeClock implements ElectorTimers {
  private t = 0;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  now = () => this.t;
  wallNow = () => new Date(Date.UTC(2026, 0, 1) + this.t);
  setTimeout = (fn: () => void, ms: number) => { const id = ++this.seq; this.pending.set(id, { at: this.t + Math.max(0, ms), fn }); return id; };
  clearTimeout = (handle: unknown) => { this.pending.delete(handle as number); };
  sleep(ms: number): Promise<void> { return new Promise((r) => this.setTimeout(r, ms)); }
  /** Runs every timer due within the next MS of virtual time. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await settle();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.pending) if (e[1].at <= target && (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[0] < next[0]))) next = e;
      if (!next) break;
      this.pending.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = target;
    await settle();
  }
}
const settle = () => new Promise<void>((r) => setImmediate(r));

let clock = new FakeClock();

class FakeLease {
  rv = 0;
  record: LeaseRecord | undefined;
  writes = 0;
  /** Virtual time of the last successful write. */
  lastWriteAt = 0;
}

type Mode = 'ok' | 'fail' | 'hang';

class FakeClient implements LeaseClient {
  mode: Mode = 'ok';
  requests = 0;
  constructor(private readonly store: FakeLease) {}

  private async io(signal: AbortSignal): Promise<void> {
    this.requests++;
    await clock.sleep(2);
    if (signal.aborted) throw signal.reason;
    if (this.mode === 'fail') throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:16443'), { code: 'ECONNREFUSED' });
    if (this.mode === 'hang') {
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    }
  }
  private snap(): LeaseSnapshot { return { resourceVersion: String(this.store.rv), record: { ...this.store.record } }; }

  async get(signal: AbortSignal) { await this.io(signal); return this.store.record ? this.snap() : undefined; }
  async create(record: LeaseRecord, signal: AbortSignal) {
    await this.io(signal);
    if (this.store.record) throw new LeaseConflictError();
    this.store.record = { ...record }; this.store.rv++; this.store.writes++; this.store.lastWriteAt = clock.now();
    return this.snap();
  }
  async replace(prev: LeaseSnapshot, record: LeaseRecord, signal: AbortSignal) {
    await this.io(signal);
    if (!this.store.record || prev.resourceVersion !== String(this.store.rv)) throw new LeaseConflictError();
    this.store.record = { ...record }; this.store.rv++; this.store.writes++; this.store.lastWriteAt = clock.now();
    return this.snap();
  }
}

interface Candidate { elector: LeaderElector; client: FakeClient; events: string[] }

/**
 * The jitter source: a seeded generator (mulberry32), so waits are jittered as in production but
 * every run draws the same sequence -- with Math.random a bound could hold on one run and not the next.
 */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const all: Candidate[] = [];
function candidate(store: FakeLease, id: string, extra: Partial<LeaderElectorOptions> = {}): Candidate {
  const client = new FakeClient(store);
  const events: string[] = [];
  const elector = new LeaderElector({
    namespace: 'ns', name: 'lease', identity: id, logger, client, timers: clock, random: seeded(id.charCodeAt(0)), ...TIMINGS,
    onStartedLeading: () => events.push('started'), onStoppedLeading: () => events.push('stopped'),
    ...extra,
  });
  const c = { elector, client, events };
  all.push(c);
  return c;
}

/** Lets MS of virtual time pass. */
const sleep = (ms: number) => clock.advance(ms);
/** Advances the clock 1 ms at a time until PRED holds; returns the virtual time it first held. */
async function until(pred: () => boolean, ms: number, what: string): Promise<number> {
  const start = clock.now();
  while (!pred()) {
    if (clock.now() - start > ms) throw new Error(`timed out after ${ms} virtual ms waiting for ${what}`);
    await clock.advance(1);
  }
  return clock.now();
}
const leaders = (cs: Candidate[]) => cs.filter((c) => c.elector.isLeader());

/** Samples isLeader() of all candidates every `everyMs` for `ms`; returns the most leaders ever seen at once. */
async function maxLeadersDuring(cs: Candidate[], ms: number, everyMs = 1): Promise<number> {
  let max = 0;
  const end = clock.now() + ms;
  while (clock.now() < end) { max = Math.max(max, leaders(cs).length); await sleep(everyMs); }
  return max;
}

/** Runs F while the clock keeps moving (stop() and abandon() wait on timers of their own). */
async function whileTicking<T>(f: Promise<T>): Promise<T> {
  let done = false;
  void f.finally(() => { done = true; });
  while (!done) await clock.advance(1);
  return f;
}

test.before.each(() => { clock = new FakeClock(); });

test.after.each(async () => {
  await whileTicking(Promise.all(all.splice(0).map((c) => c.elector.abandon())));
});

test('a lone elector creates the Lease, leads, and releases it on stop()', async () => {
  const store = new FakeLease();
  const a = candidate(store, 'a');
  assert.not.ok(a.elector.isLeader());
  a.elector.start();
  a.elector.start(); // idempotent
  await until(() => a.elector.isLeader(), 1_000, 'a to lead');
  assert.equal(store.record?.holderIdentity, 'a');
  assert.is(store.record?.leaseTransitions, 0);
  assert.is(store.record?.leaseDurationSeconds, 1);
  assert.match(store.record?.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.equal(a.elector.leaderState(), { leader: true, holder: 'a', identity: 'a' });
  const writes = store.writes;
  await sleep(350);
  assert.ok(store.writes >= writes + 3, `renews every retry period (${store.writes - writes} writes in 350 ms)`);
  await whileTicking(a.elector.stop());
  assert.not.ok(a.elector.isLeader());
  assert.equal(a.events, ['started', 'stopped']);
  assert.is(store.record?.holderIdentity, undefined, 'released');
  assert.is(store.record?.leaseDurationSeconds, 1);
  assert.throws(() => a.elector.start(), /cannot be restarted/);
});

test('two electors: exactly one leads; stop() of the leader hands over within ~1 retry period', async () => {
  const store = new FakeLease();
  const cs = [candidate(store, 'a'), candidate(store, 'b')];
  cs.forEach((c) => c.elector.start());
  await until(() => leaders(cs).length === 1, 1_000, 'one leader');
  assert.is(await maxLeadersDuring(cs, 500), 1);
  const [leader] = leaders(cs);
  const other = cs.find((c) => c !== leader)!;
  assert.is(store.record?.holderIdentity, leader!.elector.identity);
  const stopped = clock.now();
  await whileTicking(leader!.elector.stop());
  const took = (await until(() => other.elector.isLeader(), 1_000, 'handover')) - stopped;
  assert.ok(took <= TIMINGS.retryPeriodMs * 1.2 + 10, `handover took ${took} ms`);
  assert.is(store.record?.holderIdentity, other.elector.identity);
  assert.is(store.record?.leaseTransitions, 1);
  assert.equal(other.events, ['started']);
});

test('abandon() leaves the Lease: the peer takes over only after the lease duration', async () => {
  const store = new FakeLease();
  const a = candidate(store, 'a');
  a.elector.start();
  await until(() => a.elector.isLeader(), 1_000, 'a to lead');
  const b = candidate(store, 'b');
  b.elector.start();
  await sleep(300);
  await whileTicking(a.elector.abandon());
  const writtenAt = store.lastWriteAt; // a's last renewal: the last change b could see
  assert.equal(a.events, ['started', 'stopped']);
  assert.is(store.record?.holderIdentity, 'a', 'not released');
  const tookOver = await until(() => b.elector.isLeader(), 3_000, 'b to take over');
  const after = tookOver - writtenAt;
  assert.ok(after >= TIMINGS.leaseDurationMs, `b took over ${after} ms after a's last renewal`);
  // b first sees a's last renewal at its next jittered poll (≤ retry × 1.2 later), counts the lease
  // duration from then, and notices the expiry at the poll after that (≤ retry × 1.2 more); each
  // poll costs the fake client's 2 ms per request.
  assert.ok(after <= TIMINGS.leaseDurationMs + 2 * TIMINGS.retryPeriodMs * 1.2 + 10, `b took over ${after} ms after a's last renewal`);
});

test('a partitioned leader steps down at its renew deadline, before the peer can take over', async () => {
  const store = new FakeLease();
  const a = candidate(store, 'a');
  a.elector.start();
  await until(() => a.elector.isLeader(), 1_000, 'a to lead');
  const b = candidate(store, 'b');
  b.elector.start();
  await sleep(250);
  a.client.mode = 'fail';
  const cut = clock.now();
  const lastRenewal = store.lastWriteAt;
  let down = 0;
  let up = 0;
  let overlap = 0;
  while (clock.now() - cut < 2_000 && !up) {
    const la = a.elector.isLeader(); const lb = b.elector.isLeader();
    if (la && lb) overlap++;
    if (!la && !down) down = clock.now();
    if (lb && !up) up = clock.now();
    await sleep(1);
  }
  assert.is(overlap, 0, 'never two leaders');
  assert.ok(down > 0 && down - cut <= TIMINGS.renewDeadlineMs + 5, `a stepped down ${down - cut} ms after the cut`);
  assert.ok(up > down, 'b leads only after a stepped down');
  assert.ok(up - lastRenewal >= TIMINGS.leaseDurationMs, `b took over ${up - lastRenewal} ms after a's last renewal`);
  assert.equal(a.events, ['started', 'stopped']);
  assert.ok(logLines.some((l) => l.includes('renew deadline passed')), 'logs why it stepped down');
  // Healed: a sees b's lease and does not lead again.
  a.client.mode = 'ok';
  assert.is(await maxLeadersDuring([a, b], 400), 1);
  assert.ok(b.elector.isLeader());
  assert.equal(a.elector.leaderState(), { leader: false, holder: 'b', identity: 'a' });
});

test('a hung renewal cannot stretch leadership: the deadline timer steps down while the request hangs', async () => {
  const store = new FakeLease();
  const a = candidate(store, 'a');
  a.elector.start();
  await until(() => a.elector.isLeader(), 1_000, 'a to lead');
  a.client.mode = 'hang';
  const cut = clock.now();
  const down = await until(() => !a.elector.isLeader(), 1_500, 'a to stop leading');
  assert.ok(down - cut <= TIMINGS.renewDeadlineMs + 5, `stopped leading ${down - cut} ms after requests hung`);
  // onStoppedLeading comes from the deadline timer, not from the (still hanging) loop.
  await until(() => a.events.length === 2, 500, 'onStoppedLeading');
  assert.ok(a.client.requests > 0 && logLines.some((l) => l.includes('renew deadline passed')));
  // The Lease still names a and nobody else wrote it: once requests work again a re-acquires it.
  a.client.mode = 'ok';
  await until(() => a.elector.isLeader(), 2_000, 'a to lead again');
  assert.equal(a.events, ['started', 'stopped', 'started']);
  await whileTicking(a.elector.stop());
  assert.equal(a.events, ['started', 'stopped', 'started', 'stopped']);
});

test('three electors racing through stops and crashes: never two leaders at once', async () => {
  const store = new FakeLease();
  const cs = ['a', 'b', 'c'].map((id) => candidate(store, id));
  cs.forEach((c) => c.elector.start());
  let max = await maxLeadersDuring(cs, 300);
  const first = leaders(cs)[0]!;
  await whileTicking(first.elector.stop());
  max = Math.max(max, await maxLeadersDuring(cs, 400));
  const second = leaders(cs)[0];
  assert.ok(second && second !== first, 'a new leader after the stop');
  await whileTicking(second.elector.abandon());
  max = Math.max(max, await maxLeadersDuring(cs, 1_600));
  assert.is(max, 1);
  assert.is(leaders(cs).length, 1);
  assert.is(store.record?.leaseTransitions, 2);
});

test('a callback that throws does not stop the elector', async () => {
  const store = new FakeLease();
  const a = candidate(store, 'a', {
    onStartedLeading: () => { throw new Error('boom-start'); },
    onStoppedLeading: () => { throw new Error('boom-stop'); },
  });
  a.elector.start();
  await until(() => a.elector.isLeader(), 1_000, 'a to lead');
  await sleep(250);
  assert.ok(a.elector.isLeader(), 'still leading');
  await whileTicking(a.elector.stop());
  assert.is(store.record?.holderIdentity, undefined, 'still released');
  assert.ok(logLines.some((l) => l.includes('onStartedLeading threw')));
  assert.ok(logLines.some((l) => l.includes('onStoppedLeading threw')));
});

test('options are validated; stop() before start() is a no-op; identity defaults to hostname_random', async () => {
  const store = new FakeLease();
  const base = { namespace: 'ns', name: 'lease', client: new FakeClient(store), onStartedLeading() {}, onStoppedLeading() {} };
  assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }), /greater than renewDeadlineMs/);
  assert.throws(() => new LeaderElector({ namespace: 'ns', name: 'l', onStartedLeading() {}, onStoppedLeading() {} }), /kubeConfig/);
  const e = new LeaderElector(base);
  assert.match(e.identity, /^.+_[0-9a-f]{8}$/);
  assert.is.not(e.identity, new LeaderElector(base).identity);
  assert.equal([e.leaseDurationMs, e.renewDeadlineMs, e.retryPeriodMs], [15_000, 10_000, 2_000]);
  await e.stop();
  assert.is(store.writes, 0);
  assert.throws(() => e.start(), /cannot be restarted/);
});

test.run();
