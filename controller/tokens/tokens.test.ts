import { SignJWT, calculateJwkThumbprint, type JWK } from 'jose';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AgentToken } from '../api/types.js';
import { mintAgentToken, TOKEN_AUDIENCE, TOKEN_ISSUER } from './mint.js';
import { generateSigningKey, importSigningKey, importVerificationKey, type SigningKey } from './signing-key.js';
import { verifyAgentToken, type VerifyOptions, type VerifyResult } from './verify.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const material = await generateSigningKey();
const key = await importSigningKey(material);
const other = await importSigningKey(await generateSigningKey());

function agentToken(over: { uid?: string; ns?: string; name?: string; host?: string; ttl?: string; issuedAt?: string; deleting?: boolean } = {}): AgentToken {
  return {
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'AgentToken',
    metadata: {
      name: over.name ?? 'box-1', namespace: over.ns ?? 'games', uid: over.uid ?? 'uid-1', generation: 1,
      ...(over.deleting ? { deletionTimestamp: '2026-03-01T12:00:00Z' } : {}),
    },
    spec: { hostRef: { name: over.host ?? 'box-1' }, ...(over.ttl ? { ttl: over.ttl } : {}) },
    ...(over.issuedAt ? { status: { issuedAt: over.issuedAt } } : {}),
  };
}

function opts(tokens: AgentToken[], now: number = T0, keys: SigningKey[] = [key]): VerifyOptions {
  return { publicKeys: keys, lookupTokenByUid: (uid) => tokens.find((t) => t.metadata.uid === uid), now };
}

/** Signs arbitrary claims with arbitrary header — for tokens our minter would never produce. */
async function craft(claims: Record<string, unknown>, header: { alg?: string; kid?: string } = {}, signer: CryptoKey | Uint8Array = key.privateKey): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: header.alg ?? 'EdDSA', ...(header.kid === '' ? {} : { kid: header.kid ?? key.kid }) }).sign(signer);
}
type CryptoKey = SigningKey['privateKey'];

const baseClaims = (over: Record<string, unknown> = {}) => ({
  iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, sub: 'games/box-1', jti: 'uid-1', iat: Math.floor(T0 / 1000), ...over,
});

/** P must reject with an Error whose message matches EXPECTED (not just any rejection, e.g. a TypeError from a bug). */
async function rejects(p: Promise<unknown>, expected: RegExp): Promise<void> {
  try { await p; } catch (err) {
    assert.instance(err, Error);
    assert.match((err as Error).message, expected);
    return;
  }
  assert.unreachable('expected a rejection');
}

function refused(result: VerifyResult, code: string, jwt?: string): void {
  assert.is(result.ok, false, `expected refusal ${code}`);
  if (result.ok) return;
  assert.is(result.code, code);
  assert.ok(result.reason.length > 0 && result.reason.length < 64);
  if (jwt) for (const part of jwt.split('.')) if (part.length > 8) assert.not.ok(result.reason.includes(part), 'reason echoes the token');
}

test('signing key: generated material round-trips; kid is the thumbprint', async () => {
  assert.is(material.kid, await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: material.publicJwk.x } as JWK, 'sha256'));
  assert.is(material.publicJwk.kid, material.kid);
  assert.is(material.publicJwk.d, undefined);
  assert.type(material.privateJwk.d, 'string');
  for (const v of [...Object.values(material.publicJwk), ...Object.values(material.privateJwk)]) assert.type(v, 'string');
  const again = await importSigningKey(JSON.parse(JSON.stringify(material)));
  const minted = await mintAgentToken(agentToken(), again, { now: T0 });
  assert.ok((await verifyAgentToken(minted.jwt, opts([agentToken()]))).ok);
});

test('signing key: corrupted material is refused on import', async () => {
  await rejects(importSigningKey({ ...material, kid: 'not-the-thumbprint' }), /kid does not match the public key/);
  const m2 = await generateSigningKey();
  await rejects(importSigningKey({ ...material, privateJwk: m2.privateJwk }), /not one key pair/);
  await rejects(importVerificationKey({ kid: material.kid, publicJwk: material.privateJwk }), /must not carry a private part/);
  await rejects(importVerificationKey({ kid: material.kid, publicJwk: { kty: 'RSA', n: 'x', e: 'AQAB' } }), /not an Ed25519 \(OKP\) key/);
});

test('mint/verify round trip with ttl', async () => {
  const t = agentToken({ ttl: '1h30m' });
  const minted = await mintAgentToken(t, key, { now: T0 + 400 });
  assert.is(minted.tokenID, 'uid-1');
  assert.is(minted.issuedAt, '2026-03-01T12:00:00.000Z');
  assert.is(minted.expiresAt, '2026-03-01T13:30:00.000Z');
  const r = await verifyAgentToken(minted.jwt, opts([t], T0 + 60_000));
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.is(r.hostKey, 'games/box-1');
  assert.is(r.tokenUid, 'uid-1');
  assert.is(r.token, t);
  assert.is(r.expiresAt?.toISOString(), minted.expiresAt);
  const [header, payload] = minted.jwt.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
  assert.equal(header, { alg: 'EdDSA', kid: key.kid, typ: 'JWT' });
  assert.equal(payload, { iss: 'berth', aud: 'berth-agent', sub: 'games/box-1', jti: 'uid-1', iat: T0 / 1000, exp: T0 / 1000 + 5400 });
});

test('mint without ttl has no exp and stays valid', async () => {
  const minted = await mintAgentToken(agentToken(), key, { now: T0 });
  assert.is(minted.expiresAt, undefined);
  const r = await verifyAgentToken(minted.jwt, opts([agentToken()], T0 + 10 * 365 * 86_400_000));
  assert.ok(r.ok);
});

test('mint refuses an invalid ttl', async () => {
  await rejects(mintAgentToken(agentToken({ ttl: 'forever' }), key), /invalid ttl "forever"/);
  await rejects(mintAgentToken(agentToken({ ttl: '0s' }), key), /invalid ttl "0s"/);
});

test('refuses a token signed by another key (forged, same kid)', async () => {
  const jwt = await craft(baseClaims(), { kid: key.kid }, other.privateKey);
  refused(await verifyAgentToken(jwt, opts([agentToken()])), 'signature', jwt);
});

test('refuses alg none (hand-crafted, empty signature)', async () => {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  for (const header of [{ alg: 'none' }, { alg: 'none', kid: key.kid }, { alg: 'None', kid: key.kid }]) {
    const jwt = `${b64(header)}.${b64(baseClaims())}.`;
    refused(await verifyAgentToken(jwt, opts([agentToken()])), 'algorithm', jwt);
  }
});

test('refuses HS256 signed with the public key bytes as the HMAC secret', async () => {
  const secrets = [
    Buffer.from(material.publicJwk.x!, 'base64url'),
    Buffer.from(JSON.stringify(material.publicJwk)),
    Buffer.from(material.publicJwk.x!),
  ];
  for (const secret of secrets) {
    const jwt = await craft(baseClaims(), { alg: 'HS256', kid: key.kid }, new Uint8Array(secret));
    refused(await verifyAgentToken(jwt, opts([agentToken()])), 'algorithm', jwt);
  }
});

test('refuses an unknown or missing kid', async () => {
  const unknown = await craft(baseClaims(), { kid: other.kid }, other.privateKey);
  refused(await verifyAgentToken(unknown, opts([agentToken()])), 'unknown_key', unknown);
  const none = await craft(baseClaims(), { kid: '' });
  refused(await verifyAgentToken(none, opts([agentToken()])), 'unknown_key', none);
  // ...but accepts it when that key is among the current verification keys (key replacement window)
  assert.ok((await verifyAgentToken(unknown, opts([agentToken()], T0, [key, other]))).ok);
});

test('exp: expired beyond the tolerance is refused, within it accepted', async () => {
  const t = agentToken({ ttl: '1h' });
  const { jwt } = await mintAgentToken(t, key, { now: T0 });
  refused(await verifyAgentToken(jwt, opts([t], T0 + 3_600_000 + 31_000)), 'expired', jwt);
  assert.ok((await verifyAgentToken(jwt, opts([t], T0 + 3_600_000 + 20_000))).ok);
  const strict = await verifyAgentToken(jwt, { ...opts([t], T0 + 3_600_000 + 20_000), clockToleranceSec: 5 });
  refused(strict, 'expired', jwt);
});

test('nbf in the future beyond the tolerance is refused, within it accepted', async () => {
  const far = await craft(baseClaims({ nbf: T0 / 1000 + 60 }));
  refused(await verifyAgentToken(far, opts([agentToken()])), 'not_yet_valid', far);
  const near = await craft(baseClaims({ nbf: T0 / 1000 + 20 }));
  assert.ok((await verifyAgentToken(near, opts([agentToken()]))).ok);
});

test('20 s of clock skew is accepted; iat beyond the tolerance is not', async () => {
  const ahead = await mintAgentToken(agentToken(), key, { now: T0 + 20_000 });
  assert.ok((await verifyAgentToken(ahead.jwt, opts([agentToken()], T0))).ok);
  const farAhead = await mintAgentToken(agentToken(), key, { now: T0 + 45_000 });
  refused(await verifyAgentToken(farAhead.jwt, opts([agentToken()], T0)), 'not_yet_valid', farAhead.jwt);
  const t = agentToken({ ttl: '60s' });
  const short = await mintAgentToken(t, key, { now: T0 });
  assert.ok((await verifyAgentToken(short.jwt, opts([t], T0 + 80_000))).ok, 'expired 20 s ago, within tolerance');
});

test('refuses a wrong audience or issuer, and missing claims', async () => {
  const aud = await craft(baseClaims({ aud: 'berth-web' }));
  refused(await verifyAgentToken(aud, opts([agentToken()])), 'audience', aud);
  const iss = await craft(baseClaims({ iss: 'someone-else' }));
  refused(await verifyAgentToken(iss, opts([agentToken()])), 'issuer', iss);
  const { jti: _jti, ...noJti } = baseClaims();
  const missing = await craft(noJti);
  refused(await verifyAgentToken(missing, opts([agentToken()])), 'claims', missing);
});

test('refuses the jti of a deleted (or deleting) AgentToken: revocation', async () => {
  const { jwt } = await mintAgentToken(agentToken(), key, { now: T0 });
  refused(await verifyAgentToken(jwt, opts([])), 'revoked', jwt);
  refused(await verifyAgentToken(jwt, opts([agentToken({ deleting: true })])), 'revoked', jwt);
  refused(await verifyAgentToken(jwt, opts([agentToken({ uid: 'uid-2' })])), 'revoked', jwt);
});

test('refuses a token for host A where the AgentToken names host B', async () => {
  // A token minted for box-a, then the AgentToken now points at box-b.
  const { jwt } = await mintAgentToken(agentToken({ host: 'box-a' }), key, { now: T0 });
  refused(await verifyAgentToken(jwt, opts([agentToken({ host: 'box-b' })])), 'wrong_host', jwt);
  // A (validly signed) token whose sub names box-a but whose jti is the AgentToken of box-b.
  const crafted = await craft(baseClaims({ sub: 'games/box-a' }));
  refused(await verifyAgentToken(crafted, opts([agentToken({ host: 'box-b' })])), 'wrong_host', crafted);
  // Same host name, other namespace.
  const otherNs = await craft(baseClaims({ sub: 'prod/box-1' }));
  refused(await verifyAgentToken(otherNs, opts([agentToken()])), 'wrong_host', otherNs);
});

test('refuses a token minted before the last rotation; the new one (and equality) is accepted', async () => {
  const before = await mintAgentToken(agentToken(), key, { now: T0 });
  const after = await mintAgentToken(agentToken(), key, { now: T0 + 5_000 });
  const rotated = agentToken({ issuedAt: after.issuedAt });
  refused(await verifyAgentToken(before.jwt, opts([rotated], T0 + 6_000)), 'rotated', before.jwt);
  assert.ok((await verifyAgentToken(after.jwt, opts([rotated], T0 + 6_000))).ok);
  // The status written by the minter is exactly iat: equality is accepted, even with ms in the status.
  assert.ok((await verifyAgentToken(after.jwt, opts([agentToken({ issuedAt: new Date(T0 + 5_999).toISOString() })], T0 + 6_000))).ok);
});

test('garbage is malformed, never thrown', async () => {
  for (const s of ['', 'abc', 'a.b', 'a.b.c', '....', `${'a'.repeat(9000)}.b.c`, 'eyJhbGciOiJFZERTQSJ9.!!!.x', 'e30.e30.']) {
    const r = await verifyAgentToken(s, opts([agentToken()]));
    assert.is(r.ok, false, s.slice(0, 20));
  }
});

test.run();
