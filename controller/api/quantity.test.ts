import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDurationMs } from './duration.js';
import { isQuantity, quantityValue } from './quantity.js';

test('quantities parse like resource.ParseQuantity', () => {
  const cases: Array<[string, number]> = [
    ['1', 1], ['0.5', 0.5], ['500m', 0.5], ['256Mi', 256 * 2 ** 20], ['1Gi', 2 ** 30], ['2k', 2000],
    ['1e3', 1000], ['1E3', 1000], ['1E', 1e18], ['.5', 0.5], ['1.', 1], ['-1', -1], ['+2Ki', 2048], ['100n', 1e-7],
  ];
  for (const [text, value] of cases) assert.ok(Math.abs(quantityValue(text)! - value) < 1e-9 * Math.max(1, value), text);
});

test('malformed quantities are refused', () => {
  for (const text of ['', 'lots', '1 Mi', 'Mi', '1MB', '1mi', '1.2.3', '0x10', '--1', '1e']) assert.not.ok(isQuantity(text), text);
});

test('durations parse like the ttl field spells them', () => {
  assert.is(parseDurationMs('8760h'), 8760 * 3_600_000);
  assert.is(parseDurationMs('1h30m'), 5_400_000);
  assert.is(parseDurationMs('1.5h'), 5_400_000);
  assert.is(parseDurationMs('250ms'), 250);
  assert.is(parseDurationMs('90s'), 90_000);
  for (const bad of ['', 'forever', '10', '1d', '-1h', 'h']) assert.is(parseDurationMs(bad), undefined, bad);
});

test.run();
