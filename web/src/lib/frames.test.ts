import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HostView } from '../../../protocol/api-views.js';
import { Backoff } from '../../../protocol/backoff.js';
import { parseLogFrame, ReplayFilter, timeKey } from './log-frames.js';
import { logTime, relativeTime, shortId } from './format.js';
import { PAGE_BACKOFF, pageBackoff } from './reconnect.js';
import { hrefFor, parseRoute } from './route.js';
import { applyChanges, fromSnapshot } from './model.js';

test('log frames are checked; bad ones are named, not trusted', () => {
  assert.equal(parseLogFrame('{"type":"lines","entries":[{"t":"x","s":"err","l":"boom"}]}'), { type: 'lines', entries: [{ t: 'x', s: 'err', l: 'boom' }] });
  assert.equal(parseLogFrame('{"type":"gap","dropped":12}'), { type: 'gap', dropped: 12 });
  assert.is(parseLogFrame('nope').type, 'invalid');
  assert.match((parseLogFrame('{"type":"lines","entries":[{"s":"bad"}]}') as { message: string }).message, /lines.entries/);
  assert.match((parseLogFrame('{"type":"teleport"}') as { message: string }).message, /unknown frame type "teleport"/);
});

test('Docker timestamps with fractions of any length sort correctly', () => {
  assert.ok(timeKey('2026-01-01T00:00:05.1Z') > timeKey('2026-01-01T00:00:05.099999999Z'));
  assert.is(timeKey('2026-01-01T00:00:05Z'), '2026-01-01T00:00:05.000000000');
});

test('after a reconnect the replayed lines already shown are skipped, new ones kept', () => {
  const f = new ReplayFilter();
  const e = (t: string, l: string) => ({ t: `2026-01-01T00:00:0${t}Z`, s: 'out' as const, l });
  assert.ok(f.accept(e('1', 'a')));
  assert.ok(f.accept(e('2', 'b')));
  assert.ok(f.accept(e('2', 'b')), 'two identical lines at one timestamp both show');
  f.reconnecting();
  assert.not.ok(f.accept(e('1', 'a')));
  assert.not.ok(f.accept(e('2', 'b')));
  assert.not.ok(f.accept(e('2', 'b')));
  assert.ok(f.accept(e('2', 'c')), 'a new line at the same timestamp');
  assert.ok(f.accept(e('3', 'd')));
});

test('page backoff: windows 0.5 s → 15 s, reset after 30 s up', () => {
  assert.ok(pageBackoff() instanceof Backoff);
  let now = 0;
  const b = new Backoff({ ...PAGE_BACKOFF, now: () => now });
  for (let i = 0; i < 8; i++) b.next();
  assert.is(b.window(), 15_000);
  b.connected(); now += 29_999; b.disconnected();
  assert.is(b.window(), 15_000, 'up for less than 30 s: still backing off');
  b.connected(); now += 30_000; b.disconnected();
  assert.is(b.window(), 500);
});

test('routes round-trip; junk is not-found', () => {
  for (const path of ['/', '/hosts/games/box-1', '/hosts/games/box-1/containers/web', '/tokens', '/sources']) assert.is(hrefFor(parseRoute(path)), path);
  assert.equal(parseRoute('/hosts/games/box-1/containers/web'), { view: 'container', namespace: 'games', name: 'box-1', container: 'web' });
  assert.is(parseRoute('/hosts/Games/x').view, 'not-found');
  assert.is(parseRoute('/hosts/a/b/c').view, 'not-found');
  assert.is(parseRoute('/hosts/%E0%A4%A/b').view, 'not-found');
});

test('formatting', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  assert.is(relativeTime('2026-01-01T11:59:58Z', now), 'just now');
  assert.is(relativeTime('2026-01-01T11:59:18Z', now), '42 s ago');
  assert.is(relativeTime('2026-01-01T09:00:00Z', now), '3 h ago');
  assert.is(relativeTime('2026-01-04T12:00:00Z', now), 'in 3 d');
  assert.is(relativeTime(undefined, now), '—');
  assert.is(shortId('sha256:0123456789abcdef0123'), '0123456789ab');
  assert.is(logTime('2026-01-01T12:00:00.5Z'), '2026-01-01 12:00:00.500');
});

test('the model applies changes immutably', () => {
  const host = (name: string, ready: string): HostView => ({
    metadata: { namespace: 'ns', name, uid: name, generation: 1 },
    spec: { paused: false, removalPolicy: 'Delete', policy: { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] } },
    status: { ready },
  });
  const m = fromSnapshot({ hosts: [host('a', '0/1'), host('b', '1/1')], tokens: null, tokensMessage: 'no', problems: [] });
  const m2 = applyChanges(m, { hosts: [host('a', '1/1')], deletedHosts: ['ns/b'] });
  assert.is.not(m2.hosts, m.hosts);
  assert.is(m.hosts.get('ns/a')?.status.ready, '0/1');
  assert.is(m2.hosts.get('ns/a')?.status.ready, '1/1');
  assert.not.ok(m2.hosts.has('ns/b'));
  assert.is(m2.tokens, null, 'no token rights: stays null');
});

test.run();
