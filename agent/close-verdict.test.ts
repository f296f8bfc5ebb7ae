import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLOSE } from '../protocol/frames.js';
import { closeVerdict, refusalReason } from './close-verdict.js';

const retry = { refusedMs: 30, supersededMs: 60 };

test('refusals the operator must fix wait refusedMs; superseded waits supersededMs; the rest only the backoff', () => {
  assert.is(closeVerdict(1006, 'x', 401, retry).floorMs, 30);
  assert.match(closeVerdict(1006, 'token expired', 401, retry).message, /token refused by the controller \(HTTP 401: token expired\)/);
  assert.is(closeVerdict(1006, '', 503, retry).floorMs, 0);
  assert.is(closeVerdict(1006, '', 503, retry).level, 'warn');
  assert.is(closeVerdict(CLOSE.superseded, '', undefined, retry).floorMs, 60);
  for (const code of [CLOSE.revoked, CLOSE.unsupportedVersion, CLOSE.policyViolation]) assert.is(closeVerdict(code, '', undefined, retry).floorMs, 30, String(code));
  assert.is(closeVerdict(CLOSE.protocolError, '', undefined, retry).floorMs, 0);
  assert.is(closeVerdict(CLOSE.shuttingDown, '', undefined, retry).level, 'info');
  assert.is(closeVerdict(1006, '', undefined, retry).message, 'connection to the controller lost');
});

test('refusalReason reads the controller\'s JSON body, keeps other bodies as text', () => {
  assert.is(refusalReason('{"error":"Unauthorized","message":"token revoked"}\n'), 'token revoked');
  assert.is(refusalReason('  token expired \n'), 'token expired');
  assert.is(refusalReason('{"error":"x"}'), '{"error":"x"}');
  assert.is(refusalReason('x'.repeat(1000)).length, 300);
});

test.run();
