import type { IncomingMessage } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SESSION_COOKIE } from './sessions.js';
import { UiTokenAccessControl } from './token-access.js';

const TOKEN = 'x'.repeat(43);
const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

test('the UI token as a bearer header, or a session made with it; nothing else', async () => {
  const a = new UiTokenAccessControl({ token: () => TOKEN });
  assert.equal(await a.check(req({ authorization: `Bearer ${TOKEN}` })), { allowed: true, user: 'ui-token' });
  const wrong = await a.check(req({ authorization: `Bearer ${'y'.repeat(43)}` }));
  assert.ok(!wrong.allowed && wrong.status === 401);
  const none = await a.check(req({}));
  assert.ok(!none.allowed && /sign in with the UI token/.test(none.message));
  const bad = await a.signIn('guess');
  assert.ok(!bad.ok && bad.status === 401 && /ui-token/.test(bad.message));
  const s = await a.signIn(`${TOKEN}\n`);
  assert.ok(s.ok);
  if (!s.ok) return;
  assert.not.match(s.sessionId, TOKEN);
  const cookie = { cookie: `${SESSION_COOKIE}=${s.sessionId}` };
  assert.equal(await a.check(req(cookie)), { allowed: true, user: 'ui-token' });
  a.signOut(req(cookie));
  assert.not.ok((await a.check(req(cookie))).allowed, 'signed out');
});

test('a session ends when the UI token it was made with is no longer the controller\'s', async () => {
  let current = TOKEN;
  const a = new UiTokenAccessControl({ token: () => current });
  const s = await a.signIn(TOKEN);
  assert.ok(s.ok);
  current = 'z'.repeat(43);
  if (s.ok) assert.not.ok((await a.check(req({ cookie: `${SESSION_COOKIE}=${s.sessionId}` }))).allowed);
});

test('session flooding: signing in again and again keeps at most maxPerUser sessions', async () => {
  const a = new UiTokenAccessControl({ token: () => TOKEN, maxPerUser: 4 });
  for (let i = 0; i < 200; i++) assert.ok((await a.signIn(TOKEN)).ok);
  assert.is(a.sessions.size, 4);
});

test.run();
