import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readTokenClaims } from './token.js';

const jwt = (payload: unknown) => `eyJhbGciOiJFZERTQSJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;

test('sub "<namespace>/<name>" is read without verifying', () => {
  const c = readTokenClaims(`${jwt({ sub: 'games/box-1', exp: 99, jti: 'u1', iss: 'berth' })}\n`);
  assert.equal(c, { sub: 'games/box-1', namespace: 'games', name: 'box-1', exp: 99, jti: 'u1' });
});

test('not a JWT, no sub, a malformed sub: clear errors that never echo the token', () => {
  assert.throws(() => readTokenClaims('secret-value'), (e: Error) => /not a JWT/.test(e.message) && !e.message.includes('secret-value'));
  assert.throws(() => readTokenClaims('a.!!!.c'), /not a JWT/);
  assert.throws(() => readTokenClaims(jwt({ iss: 'berth' })), /no "sub" claim/);
  assert.throws(() => readTokenClaims(jwt({ sub: 'box-1' })), /is not "<namespace>\/<name>"/);
  assert.throws(() => readTokenClaims(jwt({ sub: 'Games/box 1' })), /is not "<namespace>\/<name>"/);
});

test.run();
