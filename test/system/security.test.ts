// Tokens and frames against the real controller process. Token attacks, one test each: every forged
// or misused token gets HTTP 401 with a reason naming the refusal BEFORE any upgrade, never echoes
// the token, and leaves the live agent's connection alone (a token that slipped through would
// supersede it with 4001, so "connected agents" and "sessions superseded" must not move).
// Then: deleting an AgentToken disconnects the live agent; malformed and oversized frames get an
// error or a close, and the controller lives on.
import { createHmac, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from 'ws';
import { BerthEnv, condition, until } from '../support/berth-env.js';
import { metric as readMetric } from '../support/metrics.js';
import { agentHandshake } from '../support/ws-probe.js';

const env = new BerthEnv();
const host = 'box';       // a live agent stays connected for it; the attacks target it
const other = 'other';    // its AgentToken is deleted (revocation)
const probe = 'probe';    // the control case and the frame tests connect as this one

interface KeyFile { kid: string; privateJwk: Record<string, string>; publicJwk: Record<string, string> }
const keyFile = (): KeyFile => JSON.parse(readFileSync(join(env.state, 'signing-key.json'), 'utf8')) as KeyFile;
const tokenUids = new Map<string, string>();
const tokenUid = async (name: string): Promise<string> => {
  const known = tokenUids.get(name);
  if (known) return known;
  const r = await env.get<{ items: Array<{ metadata: { name: string; namespace: string; uid: string } }> }>('/api/v1/tokens');
  const uid = r.body.items.find((t) => t.metadata.name === name && t.metadata.namespace === env.namespace)!.metadata.uid;
  tokenUids.set(name, uid);
  return uid;
};

interface Claims { sub?: string; aud?: string; iss?: string; jti?: string; exp?: number; nbf?: number; iat?: number }

/** A token signed with the controller's own key (what only the controller can make), claims adjustable. */
async function sign(claims: Claims = {}, opts: { key?: CryptoKey; kid?: string; forHost?: string } = {}): Promise<string> {
  const k = keyFile();
  const key = opts.key ?? (await importJWK(k.privateJwk, 'EdDSA')) as CryptoKey;
  const now = Math.floor(Date.now() / 1000);
  const forHost = opts.forHost ?? host;
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', kid: opts.kid ?? k.kid, typ: 'JWT' })
    .setIssuer(claims.iss ?? 'berth').setAudience(claims.aud ?? 'berth-agent')
    .setSubject(claims.sub ?? `${env.namespace}/${forHost}`).setJti(claims.jti ?? (await tokenUid(forHost)))
    .setIssuedAt(claims.iat ?? now).setExpirationTime(claims.exp ?? now + 3600);
  if (claims.nbf !== undefined) jwt.setNotBefore(claims.nbf);
  return jwt.sign(key);
}

const b64url = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** The claims a real token for `host` carries, for hand-built (unsigned or HMAC) tokens. */
async function claimsFor(name = host): Promise<JWTPayload> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: 'berth', aud: 'berth-agent', sub: `${env.namespace}/${name}`, jti: await tokenUid(name), iat: now, exp: now + 3600 };
}

/** Open the agent endpoint with a bearer token; resolves with the HTTP status (101 for an upgrade) and the refusal body. */
const connect = (token: string | undefined, path?: string) => agentHandshake(env.url, token, path ? { path } : {});

/** A counter or gauge of the controller; one never incremented is not exposed yet and counts as 0 here. */
const metric = async (name: string, labels = ''): Promise<number> => (await readMetric(env, name, labels)) ?? 0;

/**
 * The attack's token must be refused with 401 and `reason`, counted under `code`, never echoed, and
 * must not disturb the live agent (same connected count, nothing superseded).
 */
async function refused(token: string, reason: RegExp, code: string, path?: string): Promise<void> {
  const connected = await metric('berth_hub_connected_agents');
  const superseded = await metric('berth_hub_sessions_superseded_total');
  const failures = await metric('berth_hub_auth_failures_total', `reason="${code}"`);
  const r = await connect(token, path);
  assert.is(r.status, 401, `expected 401, got ${r.status}`);
  assert.match(r.body ?? '', reason);
  const secretPart = token.split('.')[2] || token;
  assert.not.ok((r.body ?? '').includes(secretPart), 'the 401 never echoes the token');
  assert.is(await metric('berth_hub_connected_agents'), connected, 'live connection count unchanged');
  assert.is(await metric('berth_hub_sessions_superseded_total'), superseded, 'the live agent was not superseded');
  assert.is(await metric('berth_hub_auth_failures_total', `reason="${code}"`), failures + 1, `counted as ${code}`);
  assert.is(condition(await env.host(host), 'AgentConnected')?.status, 'True', 'the live agent is still connected');
}

const hello = JSON.stringify({ type: 'hello', protocolVersion: 1, agent: { version: 'test', hostname: 'probe', os: 'linux', arch: 'x64' }, docker: { ok: false, error: 'probe' }, containers: [] });

test.before(async () => {
  env.write('box.yaml', [host, other, probe].map((h) => env.hostYaml(h, 'containers: []')).join('---\n'));
  await env.startController();
  await until('tokens minted', async () => (await env.get<{ items: Array<{ status: { tokenID?: string } }> }>('/api/v1/tokens')).body.items.filter((t) => t.status.tokenID).length === 3);
});
test.after(async () => { await env.cleanup(); });

test('a well-formed token is accepted (the control case); then a live agent connects for the target host', async () => {
  const r = await connect(await sign({}, { forHost: probe }));
  assert.is(r.status, 101);
  r.ws?.close();
  await env.startAgent(host);
  await env.waitHost(host, 'live agent connected', (h) => condition(h, 'AgentConnected')?.status === 'True');
  await until('one connected agent', async () => (await metric('berth_hub_connected_agents')) === 1);
});

test('attack: alg "none" (unsigned token) is refused', async () => {
  const token = `${b64url({ alg: 'none', typ: 'JWT', kid: keyFile().kid })}.${b64url(await claimsFor())}.`;
  await refused(token, /token algorithm not allowed/, 'algorithm');
});

test('attack: HS256 signed with the public key as the HMAC secret is refused', async () => {
  // The classic key-confusion attack: a verifier that picks the algorithm from the header would use
  // the (public!) verification key as an HMAC secret. Try each form an attacker could use.
  const k = keyFile();
  const pub: KeyObject = createPublicKey({ key: k.publicJwk as unknown as import('node:crypto').JsonWebKey, format: 'jwk' });
  const secrets: Array<[string, Buffer]> = [
    ['SPKI PEM', Buffer.from(pub.export({ type: 'spki', format: 'pem' }).toString())],
    ['SPKI DER', pub.export({ type: 'spki', format: 'der' })],
    ['raw x', Buffer.from(k.publicJwk.x!, 'base64url')],
    ['JWK JSON', Buffer.from(JSON.stringify(k.publicJwk))],
  ];
  for (const [, secret] of secrets) {
    const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT', kid: k.kid })}.${b64url(await claimsFor())}`;
    const token = `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
    await refused(token, /token algorithm not allowed/, 'algorithm');
  }
});

test('attack: an unknown kid is refused (no "try every key")', async () => {
  await refused(await sign({}, { kid: 'not-our-key' }), /token signed by an unknown key/, 'unknown_key');
});

test('attack: an expired token (beyond the clock tolerance) is refused', async () => {
  const now = Math.floor(Date.now() / 1000);
  await refused(await sign({ iat: now - 7200, exp: now - 600 }), /token expired/, 'expired');
});

test('attack: a token not yet valid (nbf beyond the clock tolerance) is refused', async () => {
  const now = Math.floor(Date.now() / 1000);
  await refused(await sign({ nbf: now + 600 }), /token not yet valid/, 'not_yet_valid');
});

test('attack: a revoked token (AgentToken deleted) is refused; its live agent is disconnected', async () => {
  await env.startAgent(other);
  await env.waitHost(other, 'agent connected', (h) => condition(h, 'AgentConnected')?.status === 'True');
  const minted = readFileSync(env.tokenFile(other), 'utf8').trim();
  // Drop only the AgentToken of `other` (the host stays declared).
  env.write('box.yaml', [env.hostYaml(host, 'containers: []'), env.hostYaml(other, 'containers: []', false), env.hostYaml(probe, 'containers: []')].join('---\n'));
  await env.waitHost(other, 'agent disconnected', (h) => condition(h, 'AgentConnected')?.status === 'False', 20_000);
  await until('one connected agent', async () => (await metric('berth_hub_connected_agents')) === 1);
  await refused(minted, /token revoked/, 'revoked');
});

test('attack: a token for host A used as host B is refused', async () => {
  // (a) Signed by us, but sub names another host than its AgentToken's hostRef.
  await refused(await sign({ sub: `${env.namespace}/${probe}` }), /token not valid for this host/, 'wrong_host');
  // (b) A real token of `probe` with its payload's sub rewritten to `box`, signature kept.
  const real = await sign({}, { forHost: probe });
  const [h, p, s] = real.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as JWTPayload;
  await refused(`${h}.${b64url({ ...payload, sub: `${env.namespace}/${host}` })}.${s}`, /token signature invalid/, 'signature');
});

test('attack: a token in the URL query is refused, with or without a header', async () => {
  const token = await sign({});
  await refused(token, /tokens in the URL are refused/, 'token_in_url', `/agent/v1/connect?token=${token}`);
  await refused(token, /tokens in the URL are refused/, 'token_in_url', `/agent/v1/connect?access_token=${token}`);
  // No header at all: the URL alone never authenticates.
  const connected = await metric('berth_hub_connected_agents');
  const r = await connect(undefined, `/agent/v1/connect?x=${token}`);
  assert.is(r.status, 401);
  assert.match(r.body ?? '', /tokens in the URL are refused/);
  assert.is(await metric('berth_hub_connected_agents'), connected);
});

test('other forgeries: foreign key, wrong audience, wrong issuer, garbage', async () => {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  await refused(await sign({}, { key: privateKey as CryptoKey }), /token signature invalid/, 'signature');
  await refused(await sign({ aud: 'someone-else' }), /token audience not accepted/, 'audience');
  await refused(await sign({ iss: 'not-berth' }), /token issuer not accepted/, 'issuer');
  await refused('not.a.jwt', /malformed token/, 'malformed');
});

test('malformed frames get an error reply; an oversized frame closes the socket; the controller lives on', async () => {
  const r = await connect(await sign({}, { forHost: probe }));
  assert.is(r.status, 101);
  const ws = r.ws!;
  const frames: Array<{ type: string; code?: string; message?: string }> = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
  ws.send(hello);
  await until('welcome', () => frames.some((f) => f.type === 'welcome'));
  for (const bad of ['{not json', '{"type":"launch-missiles"}', '{"type":"result","id":"1"}', 'null']) ws.send(bad);
  await until('four error replies', () => frames.filter((f) => f.type === 'error').length >= 4);
  assert.equal(frames.filter((f) => f.type === 'error').map((f) => f.code), ['bad_json', 'unknown_type', 'invalid', 'unknown_type']);
  assert.is(ws.readyState, WebSocket.OPEN, 'invalid frames do not end the session');
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.send('x'.repeat(2 * 1024 * 1024));
  assert.is(await closed, 1009);
  assert.is((await env.get('/healthz')).status, 200);
  const metrics = (await env.get<string>('/metrics')).body;
  assert.match(metrics, /berth_hub_invalid_frames_total\{code="bad_json"\} [1-9]/);
});

test.run();
