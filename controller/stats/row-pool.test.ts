import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RowPool } from './row-pool.js';

test('rows come empty, freed rows are reused, chunks are added only when full and dropped when all are free', () => {
  const pool = new RowPool(1024 * 1024, 2);   // 4 rows a chunk
  assert.is(pool.rowsPerChunk, 4);
  const rows = Array.from({ length: 5 }, () => pool.alloc());
  assert.equal(rows, [0, 1, 2, 3, 4]);
  assert.is(pool.bytes, 2 * (4 * 1024 * 1024 + 4 * 2 * 8));
  pool.pointsOf(2).fill(7); pool.latestOf(2)[0] = 1;
  assert.is(pool.pointsOf(1)[1024 * 1024 - 1], 0xff, 'neighbours untouched');
  pool.release(2);
  assert.is(pool.alloc(), 2, 'a freed row is reused before a new one');
  assert.ok(pool.pointsOf(2).every((b) => b === 0xff), 'and comes back MISSING');
  assert.ok(Number.isNaN(pool.latestOf(2)[0]!));
  assert.is(pool.inUse, 5);
  for (const r of rows) pool.release(r);
  assert.is(pool.inUse, 0);
  assert.is(pool.bytes, 0, 'no row in use: no chunk kept');
  assert.is(pool.alloc(), 0);
});

test('small rows: at most 4,096 a chunk', () => {
  assert.is(new RowPool(100, 11).rowsPerChunk, 4096);
  assert.is(new RowPool(360 * 5, 11).rowsPerChunk, 2330, 'the default window: ~4 MiB of rings a chunk');
});

test('a bad row size is refused with the numbers', () => {
  assert.throws(() => new RowPool(0, 11), /bytes \(0\)/);
});

test.run();
