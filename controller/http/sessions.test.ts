import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BrowserSessionStore, readCookie, sessionCookie } from './sessions.js';

test('a session lives until its expiry, then is gone', () => {
  let now = 1000;
  const store = new BrowserSessionStore({ ttlMs: 60_000, now: () => now });
  const { id, expiresAt } = store.create('tok', 'alice');
  assert.is(expiresAt, 61_000);
  assert.ok(id.length >= 43, 'a 256-bit random id');
  assert.is(store.get(id)?.user, 'alice');
  assert.is(store.get(`${id}x`), undefined);
  now = 61_000;
  assert.is(store.get(id), undefined);
  assert.is(store.size, 0);
});

test('sign-out deletes; the number of sessions is bounded', () => {
  const store = new BrowserSessionStore({ maxSessions: 2 });
  const a = store.create('t1', 'a');
  store.create('t2', 'b');
  store.create('t3', 'c');
  assert.is(store.size, 2);
  assert.is(store.get(a.id), undefined, 'the oldest went');
  const d = store.create('t4', 'd');
  store.delete(d.id);
  assert.is(store.get(d.id), undefined);
});

test('cookies: read one of several; the session cookie is HttpOnly, SameSite=Strict, API-scoped', () => {
  assert.is(readCookie('a=1; berth_session=abc_-; b=2', 'berth_session'), 'abc_-');
  assert.is(readCookie('xberth_session=1', 'berth_session'), undefined);
  assert.is(readCookie(undefined, 'berth_session'), undefined);
  assert.is(sessionCookie('id', 3_600_000, false), 'berth_session=id; Path=/api; Max-Age=3600; HttpOnly; SameSite=Strict');
  assert.match(sessionCookie('id', 1000, true), /; Secure$/);
});

test.run();
