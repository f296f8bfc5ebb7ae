import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TtlCache } from './ttl-cache.js';

test('answers are reused within the TTL and looked up again after it', async () => {
  let now = 0;
  let calls = 0;
  const cache = new TtlCache<number>({ ttlMs: 10_000, now: () => now });
  const load = async () => ++calls;
  assert.is(await cache.get('k', load), 1);
  now = 9_999;
  assert.is(await cache.get('k', load), 1);
  now = 10_000;
  assert.is(await cache.get('k', load), 2);
});

test('concurrent lookups share one call; failures are not remembered', async () => {
  let calls = 0;
  const cache = new TtlCache<string>({ ttlMs: 1000 });
  let release!: (v: string) => void;
  const a = cache.get('k', () => { calls++; return new Promise((r) => { release = r; }); });
  const b = cache.get('k', async () => { calls++; return 'other'; });
  release('one');
  assert.equal(await Promise.all([a, b]), ['one', 'one']);
  assert.is(calls, 1);
  await cache.get('bad', async () => { throw new Error('apiserver down'); }).catch(() => undefined);
  assert.is(await cache.get('bad', async () => 'ok now'), 'ok now');
});

test('the size is bounded, oldest first', async () => {
  const cache = new TtlCache<number>({ ttlMs: 1000, maxEntries: 2 });
  await cache.get('a', async () => 1);
  await cache.get('b', async () => 2);
  await cache.get('c', async () => 3);
  assert.is(cache.size, 2);
  assert.is(await cache.get('a', async () => 10), 10, 'a was evicted');
});

test.run();
