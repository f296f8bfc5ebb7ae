import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BrowserSessionStore, readCookie, sessionCookie } from './sessions.js';

test('a session lives until its expiry, then is gone', () => {
  let now = 1000;
  const store = new BrowserSessionStore({ ttlMs: 60_000, now: () => now });
  const { id, expiresAt } = store.create('tok', 'alice')!;
  assert.is(expiresAt, 61_000);
  assert.ok(id.length >= 43, 'a 256-bit random id');
  assert.is(store.get(id)?.user, 'alice');
  assert.is(store.get(`${id}x`), undefined);
  now = 61_000;
  assert.is(store.get(id), undefined);
  assert.is(store.size, 0);
});

test('sign-out deletes; when full, a new sign-in is refused and nobody is signed out', () => {
  const store = new BrowserSessionStore({ maxSessions: 2 });
  const a = store.create('t1', 'a')!;
  const b = store.create('t2', 'b')!;
  assert.is(store.create('t3', 'c'), undefined, 'refused: the store is full');
  assert.is(store.size, 2);
  assert.is(store.get(a.id)?.user, 'a', 'the oldest session stays');
  store.delete(b.id);
  assert.is(store.get(b.id), undefined);
  assert.ok(store.create('t3', 'c'), 'a freed slot takes a new session');
});

test('session flooding: one user signing in again and again only replaces their own oldest sessions', () => {
  const store = new BrowserSessionStore({ maxSessions: 40, maxPerUser: 3 });
  const others = Array.from({ length: 30 }, (_, i) => store.create(`o${i}`, `user${i}`)!);
  const mine = Array.from({ length: 500 }, () => store.create('m', 'mallory')!);
  assert.ok(mine.every(Boolean), 'never refused: they replace their own');
  assert.is(store.countOf('mallory'), 3);
  assert.is(store.size, 33);
  for (const o of others) assert.ok(store.get(o.id), 'every other user is still signed in');
  assert.ok(store.get(mine[499]!.id) && !store.get(mine[496]!.id), 'the newest three of mallory\'s stay');
});

test('cookies: read one of several; the session cookie is HttpOnly, SameSite=Strict, API-scoped', () => {
  assert.is(readCookie('a=1; berth_session=abc_-; b=2', 'berth_session'), 'abc_-');
  assert.is(readCookie('xberth_session=1', 'berth_session'), undefined);
  assert.is(readCookie(undefined, 'berth_session'), undefined);
  assert.is(sessionCookie('id', 3_600_000, false), 'berth_session=id; Path=/api; Max-Age=3600; HttpOnly; SameSite=Strict');
  assert.match(sessionCookie('id', 1000, true), /; Secure$/);
});

test.run();
