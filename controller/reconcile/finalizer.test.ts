import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ANNOTATIONS } from '../api/types.js';
import { finalizer, type Finalizable, type FinalizerHandlers } from './finalizer.js';

/** Runs the rule with recording ops and handlers; `cleanupDone` is what the cleanup reports. */
async function run(resource: Finalizable, cleanupDone = false, signal = new AbortController().signal) {
  const calls: string[] = [];
  const ops = { ensure: async () => { calls.push('ensure'); }, remove: async () => { calls.push('remove'); } };
  const handlers: FinalizerHandlers<string> = {
    apply: async () => { calls.push('apply'); return 'applied'; },
    cleanup: async () => { calls.push('cleanup'); return cleanupDone ? { done: true } : { done: false, result: 'cleaning' }; },
    forced: () => { calls.push('forced'); },
  };
  const outcome = await finalizer(resource, ops, handlers, signal);
  return { calls, outcome };
}

const live: Finalizable = { metadata: {} };
const deleting: Finalizable = { metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' } };
const forced: Finalizable = { metadata: { deletionTimestamp: '2026-01-01T00:00:00Z', annotations: { [ANNOTATIONS.forceDelete]: 'true' } } };

test('not deleting: the finalizer is ensured first, then apply', async () => {
  const { calls, outcome } = await run(live);
  assert.equal(calls, ['ensure', 'apply']);
  assert.equal(outcome, { phase: 'applied', result: 'applied' });
});

test('the force-delete annotation only counts while deleting', async () => {
  const { calls } = await run({ metadata: { annotations: { [ANNOTATIONS.forceDelete]: 'true' } } });
  assert.equal(calls, ['ensure', 'apply']);
});

test('deleting: cleanup; the finalizer stays while it is not done', async () => {
  const { calls, outcome } = await run(deleting, false);
  assert.equal(calls, ['cleanup']);
  assert.equal(outcome, { phase: 'cleaning', result: 'cleaning' });
});

test('deleting: the finalizer is dropped once the cleanup is done', async () => {
  const { calls, outcome } = await run(deleting, true);
  assert.equal(calls, ['cleanup', 'remove']);
  assert.equal(outcome, { phase: 'released', forced: false });
});

test('deleting with force-delete: dropped without cleanup (forced is told first)', async () => {
  const { calls, outcome } = await run(forced, false);
  assert.equal(calls, ['forced', 'remove']);
  assert.equal(outcome, { phase: 'released', forced: true });
  assert.equal((await run({ metadata: { ...forced.metadata, annotations: { [ANNOTATIONS.forceDelete]: 'false' } } })).calls, ['cleanup'], 'only "true" forces');
});

test('an aborted reconcile changes no finalizer', async () => {
  const aborted = AbortSignal.abort(new Error('lost the leadership'));
  for (const r of [live, deleting, forced]) {
    let threw = false;
    try { await run(r, true, aborted); } catch { threw = true; }
    assert.ok(threw);
  }
  // Aborted during the cleanup: the finalizer is not removed afterwards.
  const ac = new AbortController();
  const calls: string[] = [];
  const done = finalizer(deleting, { ensure: async () => { calls.push('ensure'); }, remove: async () => { calls.push('remove'); } }, {
    apply: async () => 'x', cleanup: async () => { ac.abort(new Error('stop')); return { done: true }; },
  }, ac.signal);
  await done.then(() => assert.unreachable('should throw'), (err: Error) => assert.is(err.message, 'stop'));
  assert.equal(calls, []);
});

test.run();
