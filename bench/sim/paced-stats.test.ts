import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PacedStats } from './paced-stats.js';

test('unpaced samples at once; paced waits until PACE after the previous sample', async () => {
  let calls = 0;
  const paced = new PacedStats({ sample: () => { calls++; return Promise.resolve([]); } });
  await paced.sample(); await paced.sample();
  assert.is(calls, 2);
  paced.pace(0.2);
  const t0 = Date.now();
  await paced.sample();
  assert.ok(Date.now() - t0 >= 190, `waited ${Date.now() - t0} ms`);
  assert.is(calls, 3);
});

test.run();
