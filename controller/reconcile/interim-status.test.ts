import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { INTERIM_STATUS_DELAY_MS, interimStatusWait } from './interim-status.js';

const base = { ready: false, wasReady: false, deleting: false, inFlight: 3, failures: 0, dispatchedAtMs: 10_000, nowMs: 10_000 };

test('an interim status (actions in flight, none failed, not Ready) waits for the rest of the delay', () => {
  assert.is(interimStatusWait(base), INTERIM_STATUS_DELAY_MS);
  assert.is(interimStatusWait({ ...base, nowMs: 10_400 }), INTERIM_STATUS_DELAY_MS - 400);
  assert.is(interimStatusWait({ ...base, nowMs: 10_000 + INTERIM_STATUS_DELAY_MS }), 0, 'written once the delay is over (a long pull still shows Progressing)');
});

test('Ready, a failure, deletion, or nothing in flight are written at once', () => {
  assert.is(interimStatusWait({ ...base, ready: true }), 0);
  assert.is(interimStatusWait({ ...base, wasReady: true }), 0, 'a stored Ready=True is never left standing while containers change');
  assert.is(interimStatusWait({ ...base, failures: 1 }), 0);
  assert.is(interimStatusWait({ ...base, deleting: true }), 0);
  assert.is(interimStatusWait({ ...base, inFlight: 0 }), 0);
  assert.is(interimStatusWait({ ...base, dispatchedAtMs: undefined }), 0);
});

test.run();
