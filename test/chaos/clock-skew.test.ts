// Clock skew. Agent tokens are minted AND verified by the controller; the agent only carries its
// token and checks no time claim itself. So "agent clock skew" means two things, both proven here:
// - time claims that disagree with the verifying controller's clock (another replica minted it, or
//   the clock was stepped after minting): within the 30 s tolerance they are accepted (iat/nbf 20 s
//   ahead, exp 20 s behind); beyond it (10 min) they get 401 with a reason saying which claim;
// - an agent whose own wall clock is 10 min off (either way): it connects and runs its containers,
//   because nothing in the agent judges time by its clock.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { importJWK, SignJWT, type CryptoKey } from 'jose';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from 'ws';
import { BerthEnv, condition, until } from '../support/berth-env.js';
import { repoRoot } from '../support/paths.js';
import { containersYaml, waitConverged, type Desired } from './support.js';

const env = new BerthEnv();
const host = 'box';
const desired: Desired = new Map([[env.name('skewed'), 0]]);

async function sign(times: { iat: number; nbf?: number; exp?: number }): Promise<string> {
  const k = JSON.parse(readFileSync(join(env.state, 'signing-key.json'), 'utf8')) as { kid: string; privateJwk: Record<string, string> };
  const tokens = await env.get<{ items: Array<{ metadata: { name: string; namespace: string; uid: string } }> }>('/api/v1/tokens');
  const jti = tokens.body.items.find((t) => t.metadata.name === host && t.metadata.namespace === env.namespace)!.metadata.uid;
  const jwt = new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: k.kid }).setIssuer('berth').setAudience('berth-agent')
    .setSubject(`${env.namespace}/${host}`).setJti(jti).setIssuedAt(times.iat);
  if (times.nbf !== undefined) jwt.setNotBefore(times.nbf);
  if (times.exp !== undefined) jwt.setExpirationTime(times.exp);
  return jwt.sign(await importJWK(k.privateJwk, 'EdDSA') as CryptoKey);
}

/** The AgentToken's last mint, in seconds (the rotation barrier). */
async function issuedAt(): Promise<number> {
  const tokens = await env.get<{ items: Array<{ metadata: { name: string; namespace: string }; status: { issuedAt?: string } }> }>('/api/v1/tokens');
  const t = tokens.body.items.find((x) => x.metadata.name === host && x.metadata.namespace === env.namespace)!;
  return Math.floor(Date.parse(t.status.issuedAt!) / 1000);
}

function connect(token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${env.url.replace(/^http/, 'ws')}/agent/v1/connect`, { headers: { Authorization: `Bearer ${token}` } });
    ws.once('open', () => { ws.close(); resolve({ status: 101, body: '' }); });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', () => resolve({ status: 0, body: '' }));
  });
}

test.before(async () => {
  env.write('box.yaml', env.hostYaml(host, containersYaml(desired)));
  await env.startController();
  await until('token minted', async () => (await env.get<{ items: Array<{ status: { tokenID?: string } }> }>('/api/v1/tokens')).body.items.some((t) => t.status.tokenID));
});
test.after(async () => { await env.cleanup(); });

test('time claims 20 s off the controller clock are accepted (30 s tolerance)', async () => {
  const now = Math.floor(Date.now() / 1000);
  assert.is((await connect(await sign({ iat: now + 20, nbf: now + 20 }))).status, 101, 'iat/nbf 20 s ahead');
  // iat no older than the AgentToken's last mint (status.issuedAt): older tokens count as rotated.
  assert.is((await connect(await sign({ iat: await issuedAt(), exp: now - 20 }))).status, 101, 'exp 20 s behind');
});

test('time claims 10 min off are refused with 401 naming the claim', async () => {
  const now = Math.floor(Date.now() / 1000);
  const ahead = await connect(await sign({ iat: now + 600, nbf: now + 600 }));
  assert.is(ahead.status, 401);
  assert.match(ahead.body, /token not yet valid/);
  const iatOnly = await connect(await sign({ iat: now + 600 }));
  assert.is(iatOnly.status, 401, 'an iat in the future alone is enough');
  assert.match(iatOnly.body, /token not yet valid/);
  const behind = await connect(await sign({ iat: await issuedAt(), exp: now - 600 }));
  assert.is(behind.status, 401);
  assert.match(behind.body, /token expired/);
});

for (const skewMin of [10, -10]) {
  test(`an agent whose clock is ${skewMin > 0 ? '+' : ''}${skewMin} min off connects and runs its containers`, async () => {
    await env.kill(env.agents.get(host));
    const preload = pathToFileURL(join(repoRoot, 'dist/test/chaos/skew-clock.js')).href;
    const startedAt = Date.now();
    await env.startAgent(host, { NODE_OPTIONS: `--import ${preload}`, BERTH_TEST_CLOCK_SKEW_MS: String(skewMin * 60_000) });
    await waitConverged(env, host, desired, 60_000);
    assert.is(condition(await env.host(host), 'AgentConnected')?.status, 'True');
    // The skew really took: the agent's own log lines carry its (wrong) time.
    const agentTimes = env.logs().split('\n').filter((l) => l.includes('"component":"agent"') && l.includes('hello sent')).map((l) => (JSON.parse(l) as { time: number }).time);
    const last = agentTimes.at(-1);
    assert.ok(last !== undefined, 'the agent logged its hello');
    assert.ok(Math.abs(last - startedAt - skewMin * 60_000) < 60_000, `agent clock off by ${Math.round((last - startedAt) / 1000)} s`);
  });
}

test.run();
