// Tokens and frames against the real controller process: forged, expired, wrong-audience,
// wrong-host and revoked tokens get 401 before the upgrade; deleting an AgentToken disconnects the
// live agent; malformed and oversized frames get an error or a close, and the controller lives on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, importJWK, SignJWT, type CryptoKey } from 'jose';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from 'ws';
import { BerthEnv, condition, until } from '../support/berth-env.js';

const env = new BerthEnv();
const host = 'box';
const other = 'other';

interface KeyFile { kid: string; privateJwk: Record<string, string> }
const keyFile = (): KeyFile => JSON.parse(readFileSync(join(env.state, 'signing-key.json'), 'utf8')) as KeyFile;
const tokenUid = async (name: string): Promise<string> => {
  const r = await env.get<{ items: Array<{ metadata: { name: string; namespace: string; uid: string } }> }>('/api/v1/tokens');
  return r.body.items.find((t) => t.metadata.name === name && t.metadata.namespace === env.namespace)!.metadata.uid;
};

async function sign(claims: { sub?: string; aud?: string; iss?: string; jti?: string; exp?: number }, opts: { key?: CryptoKey; kid?: string } = {}): Promise<string> {
  const k = keyFile();
  const key = opts.key ?? (await importJWK(k.privateJwk, 'EdDSA')) as CryptoKey;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', kid: opts.kid ?? k.kid })
    .setIssuer(claims.iss ?? 'berth').setAudience(claims.aud ?? 'berth-agent')
    .setSubject(claims.sub ?? `${env.namespace}/${host}`).setJti(claims.jti ?? (await tokenUid(host)))
    .setIssuedAt(now).setExpirationTime(claims.exp ?? now + 3600)
    .sign(key);
}

/** Open the agent endpoint with a bearer token; resolves with the HTTP status or 101 for an upgrade. */
function connect(token: string, path = '/agent/v1/connect'): Promise<{ status: number; ws?: WebSocket; body?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${env.url.replace(/^http/, 'ws')}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    ws.once('open', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', () => resolve({ status: 0 }));
  });
}

const hello = JSON.stringify({ type: 'hello', protocolVersion: 1, agent: { version: 'test', hostname: 'probe', os: 'linux', arch: 'x64' }, docker: { ok: false, error: 'probe' }, containers: [] });

test.before(async () => {
  env.write('box.yaml', `${env.hostYaml(host, 'containers: []')}---\n${env.hostYaml(other, 'containers: []')}`);
  await env.startController();
  await until('tokens minted', async () => (await env.get<{ items: Array<{ status: { tokenID?: string } }> }>('/api/v1/tokens')).body.items.filter((t) => t.status.tokenID).length === 2);
});
test.after(async () => { await env.cleanup(); });

test('a well-formed token for the host is accepted (the control case)', async () => {
  const r = await connect(await sign({}));
  assert.is(r.status, 101);
  r.ws?.close();
});

test('forged, expired, wrong-audience, wrong-issuer, wrong-host and unknown-kid tokens get 401 before the upgrade', async () => {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const now = Math.floor(Date.now() / 1000);
  const cases: Record<string, string> = {
    forged: await sign({}, { key: privateKey as CryptoKey }),
    expired: await sign({ exp: now - 600 }),
    'wrong audience': await sign({ aud: 'someone-else' }),
    'wrong issuer': await sign({ iss: 'not-berth' }),
    'wrong host': await sign({ sub: `${env.namespace}/${other}` }),
    'unknown kid': await sign({}, { kid: 'nope' }),
    garbage: 'not.a.jwt',
  };
  for (const [name, token] of Object.entries(cases)) {
    const r = await connect(token);
    assert.is(r.status, 401, name);
    assert.not.match(r.body ?? '', token.split('.')[2] ?? token, `${name}: the 401 never echoes the token`);
  }
});

test('a token in the URL is refused even with a valid header', async () => {
  const token = await sign({});
  assert.is((await connect(token, `/agent/v1/connect?token=${token}`)).status, 401);
});

test('deleting the AgentToken disconnects the live agent and refuses its token', async () => {
  await env.startAgent(other);
  await env.waitHost(other, 'agent connected', (h) => condition(h, 'AgentConnected')?.status === 'True');
  const minted = readFileSync(env.tokenFile(other), 'utf8').trim();
  env.write('box.yaml', `${env.hostYaml(host, 'containers: []')}---\n${env.hostYaml(other, 'containers: []', false)}`);
  await env.waitHost(other, 'agent disconnected', (h) => condition(h, 'AgentConnected')?.status === 'False', 20_000);
  assert.is((await connect(minted)).status, 401);
});

test('malformed frames get an error reply; an oversized frame closes the socket; the controller lives on', async () => {
  const r = await connect(await sign({}));
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
