// The informer's pure parts; the informer itself is tested against the real apiserver in
// test/kube/kube-store*.test.ts (restart, stalled connection, relist).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KubeError, statusError } from '../../kube/api.js';
import { backoffDelay, isOlder, isPermanent, LineSplitter } from './reflector.js';

test('backoff doubles from the initial delay to the cap, with jitter in [50 %, 100 %]', () => {
  const low = () => 0;
  const high = () => 0.999999;
  assert.equal([1, 2, 3, 4, 10, 100].map((n) => backoffDelay(n, 500, 30_000, high)), [500, 1000, 2000, 4000, 30_000, 30_000]);
  assert.equal([1, 2, 7].map((n) => backoffDelay(n, 500, 30_000, low)), [250, 500, 15_000]);
});

test('watch frames: split on newlines across chunk boundaries; blank lines skipped', () => {
  const s = new LineSplitter();
  assert.equal(s.push('{"type":"ADD'), []);
  assert.equal(s.push('ED"}\n\n{"type":"BOOK'), ['{"type":"ADDED"}']);
  assert.equal(s.push('MARK"}\n{"a":1}\n'), ['{"type":"BOOKMARK"}', '{"a":1}']);
  assert.equal(s.push(''), []);
});

test('resourceVersion order: integers compare numerically; anything else is never older', () => {
  const o = (rv?: string) => ({ metadata: { name: 'x', ...(rv ? { resourceVersion: rv } : {}) } });
  assert.ok(isOlder(o('99'), o('100')));
  assert.not.ok(isOlder(o('100'), o('99')));
  assert.not.ok(isOlder(o('100'), o('100')));
  assert.ok(isOlder(o('18446744073709551615'), o('18446744073709551616')), 'beyond 2^53');
  assert.not.ok(isOlder(o('abc'), o('100')));
  assert.not.ok(isOlder(o(), o('1')));
});

test('errors: Status bodies become KubeErrors; 410 and Expired are "gone"; 403/404 are permanent at start', () => {
  const gone = statusError(410, JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 1 (5)' }), 'ContainerHost watch');
  assert.ok(gone.gone);
  assert.is(gone.message, 'ContainerHost watch: too old resource version: 1 (5)');
  assert.ok(new KubeError(0, 'Expired', 'x').gone);
  const forbidden = statusError(403, '{"reason":"Forbidden","message":"containerhosts.berth.dev is forbidden"}', 'list');
  assert.ok(isPermanent(forbidden));
  assert.match(forbidden.message, /^list: containerhosts\.berth\.dev is forbidden \(RBAC: the controller's ServiceAccount lacks this permission/, 'a 403 says the fix is RBAC');
  assert.not.match(statusError(404, 'not json', 'get').message, /RBAC/);
  assert.ok(statusError(404, 'not json', 'list').notFound);
  assert.not.ok(isPermanent(statusError(500, '', 'list')));
  assert.not.ok(isPermanent(new KubeError(0, 'NetworkError', 'ECONNREFUSED')));
  assert.ok(statusError(409, '{}', 'x').conflict);
});

test.run();
