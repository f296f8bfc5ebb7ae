import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { statsControllerArgs, statsTable } from './scale-stats.js';

const MiB = 2 ** 20;

test('the controller keeps the given slots at the given resolution', () => {
  assert.equal(statsControllerArgs({ resolutionS: 1, slots: 360 }), ['--stats-resolution', '1', '--stats-history', '360']);
});

test('the table sets each run with stats against the run without at the same host count', () => {
  const lines = statsTable([
    { hosts: 5000, withStats: false, hwm: 0, steadyRss: 900 * MiB, steadyCpuPct: 6 },
    { hosts: 5000, withStats: true, hwm: 0, steadyRss: 1020 * MiB, steadyCpuPct: 20, stats: { historyBytes: 107 * MiB, filledSlots: 360, frames: 123 } },
  ], 10, { resolutionS: 1, slots: 360 });
  const row = lines.find((l) => l.startsWith('| 5000 '));
  assert.ok(row, lines.join('\n'));
  assert.match(row!, '| 900 MiB | 1020 MiB | **120 MiB** | 107 MiB | 360/360 | 123 | 6.0 % → 20.0 % |');
});

test.run();
