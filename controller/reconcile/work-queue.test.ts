import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WorkQueue } from './work-queue.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

test('a key added many times is queued once', async () => {
  const q = new WorkQueue();
  q.add('a'); q.add('a'); q.add('b'); q.add('a');
  assert.is(q.depth, 2);
  assert.is(await q.get(), 'a');
  assert.is(await q.get(), 'b');
});

test('a key is never processed by two workers at once; an add while processing comes back after done', async () => {
  const q = new WorkQueue();
  q.add('a');
  assert.is(await q.get(), 'a');
  q.add('a');
  assert.is(q.depth, 0, 'not handed out while it is being processed');
  q.done('a');
  assert.is(q.depth, 1);
  assert.is(await q.get(), 'a');
});

test('backoff doubles per failure, is capped, and forget resets it', async () => {
  const q = new WorkQueue({ baseMs: 5, maxMs: 40 });
  const delays = [1, 2, 3, 4, 5].map(() => q.addRateLimited('k'));
  assert.equal(delays, [5, 10, 20, 40, 40]);
  q.forget('k');
  assert.is(q.addRateLimited('k'), 5);
  q.shutDown();
});

test('addAfter delivers later; a sooner one wins', async () => {
  const q = new WorkQueue();
  q.addAfter('k', 10_000);
  q.addAfter('k', 5);
  await tick(30);
  assert.is(q.depth, 1);
  q.shutDown();
});


test('the observer hears each real add (not folded duplicates) and each retry', async () => {
  let added = 0, retried = 0;
  const q = new WorkQueue({ baseMs: 5, maxMs: 40 }, { added: () => { added++; }, retried: () => { retried++; } });
  q.add('a'); q.add('a'); q.add('b');
  assert.is(added, 2, 'a duplicate add folded into the waiting key is not counted');
  assert.is(await q.get(), 'a');
  q.add('a'); q.add('a');
  assert.is(added, 2, 'an add while processing only marks the key dirty');
  q.done('a');
  assert.is(added, 3, 'the dirty key coming back is counted once');
  q.addRateLimited('b');
  assert.is(retried, 1);
  q.shutDown();
});

test.run();
