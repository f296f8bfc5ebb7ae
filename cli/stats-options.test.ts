import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseStatsOptions } from './stats-options.js';

test('defaults: 1 h at 10 s, no per-container gauges', () => {
  assert.equal(parseStatsOptions({}), { resolutionSeconds: 10, windowSeconds: 3600, containerMetrics: false });
  assert.equal(parseStatsOptions({ 'stats-history': '600', 'stats-resolution': '2', 'container-metrics': true }), { resolutionSeconds: 2, windowSeconds: 600, containerMetrics: true });
});

test('bad values name the flag and what is allowed', () => {
  assert.throws(() => parseStatsOptions({ 'stats-resolution': '0' }), /--stats-resolution must be a whole number of seconds from 1 to 3600 \(got "0"\)/);
  assert.throws(() => parseStatsOptions({ 'stats-history': '5' }), /--stats-history must be .* from --stats-resolution \(10\)/);
  assert.throws(() => parseStatsOptions({ 'stats-history': '1h' }), /got "1h"/);
});

test.run();
