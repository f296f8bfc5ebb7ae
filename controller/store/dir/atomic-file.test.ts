// The state directory's file helpers, on real files.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConcurrencyLimit, writeFileAtomic } from './atomic-file.js';

test('ConcurrencyLimit runs at most N jobs at once, in arrival order, and survives failing jobs', async () => {
  const limit = new ConcurrencyLimit(3);
  let running = 0; let peak = 0;
  const started: number[] = [];
  const jobs = Array.from({ length: 20 }, (_, i) => limit.run(async () => {
    started.push(i);
    running++; peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 2 + (i % 4)));
    running--;
    if (i % 5 === 0) throw new Error(`job ${i} failed`);
    return i;
  }));
  const results = await Promise.allSettled(jobs);
  assert.is(peak, 3);
  assert.equal(started, Array.from({ length: 20 }, (_, i) => i));
  assert.is(results.filter((r) => r.status === 'rejected').length, 4);
  assert.equal(await limit.run(async () => 'after'), 'after', 'slots are all free again');
});

test('writeFileAtomic with and without fsync: content, mode, no tmp files left', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-atomic-'));
  try {
    await writeFileAtomic(join(dir, 'a.json'), 'one', 0o600);
    await writeFileAtomic(join(dir, 'a.json'), 'two', 0o600, { sync: false });
    assert.is(readFileSync(join(dir, 'a.json'), 'utf8'), 'two');
    assert.is(statSync(join(dir, 'a.json')).mode & 0o777, 0o600);
    assert.equal(readdirSync(dir), ['a.json']);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
