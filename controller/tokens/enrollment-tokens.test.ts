// Join tokens and credentials (spec.bootstrap): what verify.ts accepts before and after enrollment,
// and that an ordinary AgentToken accepts neither kind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AgentToken } from '../api/types.js';
import { mintAgentToken, mintCredential } from './mint.js';
import { generateSigningKey, importSigningKey } from './signing-key.js';
import { verifyAgentToken, type VerifyResult } from './verify.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const key = await importSigningKey(await generateSigningKey());
const ISSUED = new Date(T0).toISOString();

function agentToken(bootstrap: boolean, enrollment?: { credentialID: string; joinIssuedAt?: string }): AgentToken {
  return {
    apiVersion: 'berth.dev/v1alpha1', kind: 'AgentToken',
    metadata: { name: 'box-1', namespace: 'games', uid: 'uid-1', generation: 1 },
    spec: { hostRef: { name: 'box-1' }, ...(bootstrap ? { bootstrap } : {}) },
    status: { issuedAt: ISSUED, ...(enrollment ? { enrollment: { joinIssuedAt: enrollment.joinIssuedAt ?? ISSUED, enrolledAt: ISSUED, credentialID: enrollment.credentialID } } : {}) },
  };
}
const verify = (jwt: string, t: AgentToken, now = T0 + 1000) => verifyAgentToken(jwt, { publicKeys: key, lookupTokenByUid: (uid) => (uid === t.metadata.uid ? t : undefined), now });
const code = (r: VerifyResult) => (r.ok ? 'ok' : r.code);

test('a bootstrap token mints a join token with the 1h default ttl (or its own ttl)', async () => {
  const minted = await mintAgentToken(agentToken(true), key, { now: T0 });
  assert.is(minted.expiresAt, new Date(T0 + 3600_000).toISOString());
  const withTtl = await mintAgentToken({ ...agentToken(true), spec: { hostRef: { name: 'box-1' }, bootstrap: true, ttl: '10m' } }, key, { now: T0 });
  assert.is(withTtl.expiresAt, new Date(T0 + 600_000).toISOString());
  const r = await verify(minted.jwt, agentToken(true));
  assert.ok(r.ok && r.use === 'join');
});

test('after enrollment: the join token is burned, only the current credential is accepted', async () => {
  const join = (await mintAgentToken(agentToken(true), key, { now: T0 })).jwt;
  const cred = (await mintCredential(agentToken(true), key, 'c1', { now: T0 + 500 })).jwt;
  const enrolled = agentToken(true, { credentialID: 'c1' });
  assert.is(code(await verify(join, enrolled)), 'join_used');
  const ok = await verify(cred, enrolled);
  assert.ok(ok.ok && ok.use === 'credential' && ok.expiresAt === undefined);
  assert.is(code(await verify(cred, agentToken(true, { credentialID: 'c2' }))), 'wrong_use', 'another enrollment\'s credential');
  assert.is(code(await verify(cred, agentToken(true))), 'wrong_use', 'a credential before any enrollment');
  // Rotated: a new join token (issuedAt later) is usable again; the credential is older than it.
  const rotated = { ...enrolled, status: { ...enrolled.status, issuedAt: new Date(T0 + 5000).toISOString() } };
  assert.is(code(await verify(cred, rotated, T0 + 6000)), 'rotated');
  const join2 = (await mintAgentToken(rotated, key, { now: T0 + 5000 })).jwt;
  assert.is(code(await verify(join2, rotated, T0 + 6000)), 'ok');
});

test('an ordinary AgentToken refuses join tokens and credentials; a bootstrap one refuses plain tokens', async () => {
  const join = (await mintAgentToken(agentToken(true), key, { now: T0 })).jwt;
  const cred = (await mintCredential(agentToken(true), key, 'c1', { now: T0 })).jwt;
  const plain = (await mintAgentToken(agentToken(false), key, { now: T0 })).jwt;
  assert.is(code(await verify(join, agentToken(false))), 'wrong_use');
  assert.is(code(await verify(cred, agentToken(false))), 'wrong_use');
  assert.is(code(await verify(plain, agentToken(true))), 'wrong_use');
  assert.is(code(await verify(plain, agentToken(false))), 'ok');
});

test('an expired join token says so; an expired ordinary token keeps its reason', async () => {
  const join = (await mintAgentToken(agentToken(true), key, { now: T0 })).jwt;
  const r = await verify(join, agentToken(true), T0 + 2 * 3600_000);
  assert.ok(!r.ok && r.code === 'join_expired');
  assert.match(!r.ok ? r.reason : '', /join token expired/);
  const plain = (await mintAgentToken({ ...agentToken(false), spec: { hostRef: { name: 'box-1' }, ttl: '1m' } }, key, { now: T0 })).jwt;
  assert.is(code(await verify(plain, agentToken(false), T0 + 3600_000)), 'expired');
});

test.run();
