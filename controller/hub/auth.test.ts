// Admission before the upgrade, without sockets: where the token may come from, and authenticate
// never throwing out.
import type { IncomingMessage } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bearerToken, checkToken, type Refusal } from './auth.js';

const req = (authorization?: string) => ({ headers: authorization ? { authorization } : {} }) as IncomingMessage;
const url = (query = '') => new URL(`http://agent.invalid/agent/v1/connect${query}`);

test('the token comes from the Bearer header only; a token in the URL is refused even beside one', () => {
  assert.is(bearerToken(req('Bearer abc.def.ghi'), url()), 'abc.def.ghi');
  assert.is(bearerToken(req('bearer  abc '), url()), 'abc');
  assert.is((bearerToken(req(), url()) as Refusal).code, 'missing_bearer');
  assert.is((bearerToken(req('Basic dXNlcjpwYXNz'), url()) as Refusal).code, 'missing_bearer');
  for (const q of ['?token=x', '?Access_Token=x', '?x=eyJhbGciOi.eyJzdWIi.sig']) {
    const r = bearerToken(req('Bearer abc'), url(q)) as Refusal;
    assert.is(r.status, 401, q);
    assert.is(r.code, 'token_in_url', q);
  }
  assert.is(bearerToken(req('Bearer abc'), url('?x=1')), 'abc');
});

test('checkToken: a refusal keeps its code; a throw becomes 503 with its cause (for the log only)', async () => {
  const ok = await checkToken('t', () => ({ ok: true, hostKey: 'games/box-1' }));
  assert.is(ok.ok && ok.hostKey, 'games/box-1');
  const no = await checkToken('t', () => ({ ok: false, reason: 'token revoked', code: 'revoked' })) as Refusal;
  assert.equal([no.status, no.code, no.reason, no.cause], [401, 'revoked', 'token revoked', undefined]);
  const threw = await checkToken('t', async () => { throw new Error('apiserver down'); }) as Refusal;
  assert.equal([threw.status, threw.code, threw.cause], [503, 'auth_error', 'apiserver down']);
  assert.not.match(threw.reason, /apiserver/);
});

test.run();
