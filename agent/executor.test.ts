import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyedSerialQueue } from './executor.js';

/** A promise with its resolve/reject handles, to drive tasks by hand. */
function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}
const tick = () => new Promise((r) => setImmediate(r));

test('tasks of one key run one at a time, in order', async () => {
  const q = new KeyedSerialQueue();
  const log: string[] = [];
  const gates = [deferred(), deferred(), deferred()];
  const done = gates.map((g, i) => q.run('web', async () => { log.push(`start ${i}`); await g.promise; log.push(`end ${i}`); return i; }));
  await tick();
  assert.equal(log, ['start 0']);
  gates[1]!.resolve(); gates[2]!.resolve();   // later tasks finishing "early" changes nothing
  await tick();
  assert.equal(log, ['start 0']);
  gates[0]!.resolve();
  assert.equal(await Promise.all(done), [0, 1, 2]);
  assert.equal(log, ['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
});

test('different keys run in parallel', async () => {
  const q = new KeyedSerialQueue();
  const a = deferred();
  const started: string[] = [];
  const pa = q.run('a', async () => { started.push('a'); await a.promise; });
  const pb = q.run('b', async () => { started.push('b'); });
  await pb;
  assert.equal(started, ['a', 'b'], 'b finished while a was still running');
  assert.equal(q.activeKeys, ['a']);
  a.resolve();
  await pa;
  assert.is(q.size, 0);
});

test('a failing task rejects its own promise and does not block the key', async () => {
  const q = new KeyedSerialQueue();
  const first = q.run('web', async () => { throw new Error('boom'); });
  const second = q.run('web', async () => 'ok');
  try { await first; assert.unreachable(); } catch (err) { assert.is((err as Error).message, 'boom'); }
  assert.is(await second, 'ok');
  assert.is(q.size, 0);
  assert.equal(q.activeKeys, []);
});

test('maxConcurrent caps running tasks across keys', async () => {
  const q = new KeyedSerialQueue({ maxConcurrent: 2 });
  let running = 0;
  let peak = 0;
  const gates = Array.from({ length: 5 }, () => deferred());
  const all = gates.map((g, i) => q.run(`k${i}`, async () => { running++; peak = Math.max(peak, running); await g.promise; running--; }));
  await tick();
  assert.is(running, 2);
  for (const g of gates) { g.resolve(); await tick(); await tick(); }
  await Promise.all(all);
  assert.is(peak, 2);
});

test('idle() and drain() wait for in-flight work; drain gives up at its deadline', async () => {
  const q = new KeyedSerialQueue();
  await q.idle();                              // idle at once when empty
  const g = deferred();
  void q.run('web', () => g.promise);
  assert.is(await q.drain(20), false, 'not drained while the task hangs');
  setTimeout(() => g.resolve(), 5);
  assert.is(await q.drain(2000), true);
  assert.is(q.size, 0);
});

test.run();
