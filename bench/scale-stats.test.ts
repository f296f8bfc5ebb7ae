import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { medians, memoryOf, statsControllerArgs, statsTable } from './scale-stats.js';

const MiB = 2 ** 20;

test('the controller keeps the given slots at the given resolution', () => {
  assert.equal(statsControllerArgs({ resolutionS: 1, slots: 360 }), ['--stats-resolution', '1', '--stats-history', '360']);
});

test('medians per figure; a reading without metrics still counts its RSS', () => {
  const m = medians([memoryOf(300, new Map([['nodejs_heap_size_used_bytes', 30], ['nodejs_external_memory_bytes', 3]])), memoryOf(100, undefined),
    memoryOf(200, new Map([['nodejs_heap_size_used_bytes', 10], ['nodejs_external_memory_bytes', 1]]))]);
  assert.equal(m, { rss: 200, heap: 30, external: 3, samples: 3 });
  assert.is(medians([]), undefined);
});

test('the table sets each run with stats against the run without at the same host count', () => {
  const lines = statsTable([
    { hosts: 5000, withStats: false, hwm: 0, steadyCpuPct: 6, filling: { rss: 900 * MiB, heap: 500 * MiB, samples: 9 }, paced: { rss: 880 * MiB, heap: 490 * MiB, external: 20 * MiB, samples: 9 } },
    { hosts: 5000, withStats: true, hwm: 0, steadyCpuPct: 20, stats: { historyBytes: 92 * MiB, filledSlots: 360, frames: 123 },
      filling: { rss: 1100 * MiB, heap: 600 * MiB, samples: 9 }, paced: { rss: 1000 * MiB, heap: 500 * MiB, external: 112 * MiB, samples: 9 } },
  ], 10, { resolutionS: 1, slots: 360 });
  const row = lines.find((l) => l.startsWith('| 5000 '));
  assert.ok(row, lines.join('\n'));
  assert.is(row, '| 5000 | **92 MiB** | 92 MiB | **120 MiB** | 10 MiB | 200 MiB | 100 MiB | 880 MiB → 1000 MiB | 360/360 | 123 | 6.0 % → 20.0 % |');
});

test.run();
