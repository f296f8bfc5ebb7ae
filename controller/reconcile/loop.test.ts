import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../../test/support/wait.js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ReconcileAborted, ReconcileLoop, ReconcileMetrics, type ReconcileLoopOptions, type ReconcileResult } from './loop.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** A loop around `reconcile`, with its own registry; everything but the reconciler has test defaults. */
function loopOf(reconcile: (key: string, signal: AbortSignal) => Promise<ReconcileResult>, opts: Partial<ReconcileLoopOptions<string>> = {}) {
  const registry = new Registry();
  const loop = new ReconcileLoop<string>({
    kind: 'Thing', queue: 'things', logKey: 'thing', reconciler: { reconcile }, workers: 2, keys: () => [],
    resyncMs: 60_000, metrics: new ReconcileMetrics(registry), logger: pino({ level: 'silent' }), backoff: { baseMs: 20, maxMs: 1000 }, ...opts,
  });
  return { loop, registry };
}

test('a throw backs the key off, doubling per failure; a success forgets it', async () => {
  const at: number[] = [];
  const { loop } = loopOf(async () => {
    at.push(Date.now());
    if (at.length <= 2) throw new Error('boom');
    return {};
  });
  loop.lead();
  loop.add('k');
  await until('at.length === 3', () => at.length === 3, 2000);
  const [a = 0, b = 0, c = 0] = at;
  assert.ok(b - a >= 18, `first retry after the base delay (${b - a} ms)`);
  assert.ok(c - b >= 38, `second retry after twice that (${c - b} ms)`);
  await tick(100);
  assert.is(at.length, 3, 'nothing more once it succeeded');
  await loop.stop();
});

test('requeueAfterMs brings the key back after that long', async () => {
  const at: number[] = [];
  const { loop } = loopOf(async () => { at.push(Date.now()); return at.length === 1 ? { requeueAfterMs: 40 } : {}; });
  loop.lead();
  loop.add('k');
  await until('at.length === 2', () => at.length === 2, 2000);
  assert.ok((at[1] ?? 0) - (at[0] ?? 0) >= 38);
  await tick(80);
  assert.is(at.length, 2);
  await loop.stop();
});

test('one reconcile per key at a time; adds meanwhile fold into one more', async () => {
  let concurrent = 0; let max = 0; let calls = 0;
  const { loop } = loopOf(async () => { calls++; concurrent++; max = Math.max(max, concurrent); await tick(10); concurrent--; return {}; }, { workers: 4 });
  loop.lead();
  for (let i = 0; i < 10; i++) loop.add('same');
  await until('concurrent === 1', () => concurrent === 1, 2000);
  for (let i = 0; i < 10; i++) loop.add('same');
  await until('calls === 2 && concurrent === 0', () => calls === 2 && concurrent === 0, 2000);
  await tick(30);
  assert.is(max, 1);
  assert.is(calls, 2, 'ten adds before and ten during the first reconcile: two reconciles');
  await loop.stop();
});

test('a standby never reconciles: before the first lead, and after standing by', async () => {
  const seen: string[] = [];
  let leader = true;
  const { loop } = loopOf(async (key) => { seen.push(key); return {}; }, { keys: () => ['a'], isLeader: () => leader });
  loop.add('early');
  await tick(20);
  assert.equal(seen, [], 'no workers before lead()');
  loop.lead();
  await until('seen.length === 2', () => seen.length === 2, 2000);
  assert.equal(seen.sort(), ['a', 'early'], 'queued keys and every key once leading');
  loop.standBy();
  loop.add('b');
  await tick(20);
  assert.is(seen.length, 2, 'dropped while standing by');
  loop.lead();
  await until('seen.length === 3', () => seen.length === 3, 2000);
  assert.is(seen[2], 'a', 'lead() enqueues every key again');
  leader = false;
  loop.add('c');
  await tick(20);
  assert.is(seen.length, 3, 'isLeader() false gates too');
  await loop.stop();
});

test('losing the leadership aborts the reconciles in flight; no backoff, they come back on lead()', async () => {
  const signals: AbortSignal[] = [];
  const { loop, registry } = loopOf(async (_key, signal) => {
    signals.push(signal);
    if (signals.length > 1) return {};
    // A reconcile waiting on I/O: it checks its signal before the next side effect.
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    signal.throwIfAborted();
    return {};
  }, { keys: () => ['k'] });
  loop.lead();
  await until('signals.length === 1', () => signals.length === 1, 2000);
  loop.standBy('lost the lease');
  assert.ok(signals[0]?.aborted);
  assert.instance(signals[0]?.reason, ReconcileAborted);
  assert.is((signals[0]?.reason as Error).message, 'lost the lease');
  await tick(60);
  assert.is(signals.length, 1, 'not retried while standing by');
  loop.lead();
  await until('signals.length === 2', () => signals.length === 2, 2000);
  assert.not.ok(signals[1]?.aborted, 'a new term has a fresh signal');
  const metrics = await registry.getSingleMetricAsString('berth_reconcile_duration_seconds');
  assert.match(metrics, 'berth_reconcile_duration_seconds_count{kind="Thing",result="error"} 1');
  assert.match(metrics, 'berth_reconcile_duration_seconds_count{kind="Thing",result="ok"} 1');
  await loop.stop();
});

test('stop() aborts in flight and resolves once the workers returned', async () => {
  let signal: AbortSignal | undefined;
  const { loop } = loopOf(async (_key, s) => { signal = s; await new Promise((r) => s.addEventListener('abort', r)); return {}; });
  loop.lead();
  loop.add('k');
  await until('signal !== undefined', () => signal !== undefined, 2000);
  await loop.stop();
  assert.ok(signal?.aborted);
  loop.lead();
  loop.add('k2');
  await tick(10);
});

test('resync enqueues every key on its timer while leading', async () => {
  const counts = new Map<string, number>();
  const { loop } = loopOf(async (key) => { counts.set(key, (counts.get(key) ?? 0) + 1); return {}; }, { keys: () => ['a', 'b'], resyncMs: 15 });
  loop.lead();
  await until('(counts.get("a") ?? 0) >= 3 && (counts.get("b") ?? 0) >= 3', () => (counts.get('a') ?? 0) >= 3 && (counts.get('b') ?? 0) >= 3, 2000);
  loop.standBy();
  await tick(20);
  const before = counts.get('a');
  await tick(50);
  assert.is(counts.get('a'), before, 'no resync while standing by');
  await loop.stop();
});

test('depth gauge: berth_workqueue_depth{queue} read at scrape time', async () => {
  const { loop, registry } = loopOf(async () => ({}));
  loop.add('x'); loop.add('y');
  assert.match(await registry.getSingleMetricAsString('berth_workqueue_depth'), 'berth_workqueue_depth{queue="things"} 2');
  loop.lead();
  await until('loop.depth === 0', () => loop.depth === 0, 2000);
  assert.match(await registry.getSingleMetricAsString('berth_workqueue_depth'), 'berth_workqueue_depth{queue="things"} 0');
  await loop.stop();
});


test('berth_workqueue_adds_total and _retries_total count live, per queue, from zero', async () => {
  let calls = 0;
  const { loop, registry } = loopOf(async () => { calls++; if (calls <= 2) throw new Error('boom'); return {}; });
  const before = await registry.getSingleMetricAsString('berth_workqueue_retries_total');
  assert.match(before, 'berth_workqueue_retries_total{queue="things"} 0', 'exported before anything happened');
  loop.lead();
  loop.add('k');
  await until('three reconciles', () => calls === 3, 2000);
  const adds = await registry.getSingleMetricAsString('berth_workqueue_adds_total');
  const retries = await registry.getSingleMetricAsString('berth_workqueue_retries_total');
  assert.match(adds, 'berth_workqueue_adds_total{queue="things"} 3', 'the first add and the two retries coming due');
  assert.match(retries, 'berth_workqueue_retries_total{queue="things"} 2');
  await loop.stop();
});

test.run();
