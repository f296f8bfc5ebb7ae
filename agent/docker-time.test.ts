import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isDockerZeroTime } from './docker-time.js';

test("Docker's zero time", () => {
  assert.ok(isDockerZeroTime('0001-01-01T00:00:00Z'));
  assert.ok(isDockerZeroTime(undefined));
  assert.not.ok(isDockerZeroTime('2026-01-01T00:00:00.123Z'));
});

test.run();
