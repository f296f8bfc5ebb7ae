// Enrollment with one-time join tokens (issue 12 item 7), end to end with the real `berth agent`
// code and a directory-mode controller: an AgentToken with spec.bootstrap → the agent joins with its
// join token → receives and stores (0600) its long-lived credential → a restarted agent connects
// with the credential; the join token replayed from another address (127.0.0.2) is refused 401 and
// reported by a Warning Event naming that address; an expired join token is refused saying so.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from 'ws';
import { runAgent } from '../../cli/agent.js';
import { Controller } from '../../controller/controller.js';
import { DirectoryStore } from '../../controller/store/dir/dir-store.js';
import { mintAgentToken } from '../../controller/tokens/mint.js';
import { generateSigningKey, importSigningKey } from '../../controller/tokens/signing-key.js';
import { until } from '../support/wait.js';
import { freePort } from '../support/ports.js';

// The agent needs no Docker for this: without it, it still connects and reports "Docker unavailable".
process.env.DOCKER_HOST = 'unix:///nonexistent/berth-enrollment-docker.sock';

const root = mkdtempSync(join(tmpdir(), 'berth-enrollment-'));
const stateDir = join(root, '.state');
const machine = join(root, 'machine');   // the agent's machine: its own copy of the join token
writeFileSync(join(root, 'host.yaml'), [
  'apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: box, namespace: en }\nspec: { paused: true }',
  'apiVersion: berth.dev/v1alpha1\nkind: AgentToken\nmetadata: { name: box, namespace: en }\nspec: { hostRef: { name: box }, bootstrap: true }',
  'apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: late, namespace: en }\nspec: { paused: true }',
  'apiVersion: berth.dev/v1alpha1\nkind: AgentToken\nmetadata: { name: late, namespace: en }\nspec: { hostRef: { name: late }, bootstrap: true, ttl: 1m }',
].join('\n---\n'));

const port = await freePort();
const store = new DirectoryStore({ paths: [root], stateDir, logger: pino({ level: 'silent' }), debounceMs: 20 });
/** Every log line of the controller and the agents, at debug: no join token or credential may appear. */
const logLines: string[] = [];
const debugLog = () => pino({ level: 'debug' }, { write: (line: string) => { logLines.push(line); } });
const controller = new Controller({ store, logger: debugLog(), version: 'test', listen: { host: '127.0.0.1', port }, webRoot: false });
const base = `http://127.0.0.1:${port}`;

/** A handshake with TOKEN from LOCAL_ADDRESS; the HTTP status and body (101 when upgraded). */
function handshakeFrom(token: string, localAddress: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/agent/v1/connect`, { headers: { Authorization: `Bearer ${token}` }, localAddress });
    ws.once('open', () => { ws.terminate(); resolve({ status: 101, body: '' }); });
    ws.once('unexpected-response', (_q, res) => { let body = ''; res.on('data', (c: Buffer) => { body += c; }); res.on('end', () => resolve({ status: res.statusCode ?? 0, body })); });
    ws.once('error', (err) => resolve({ status: 0, body: err.message }));
  });
}

/** `berth agent` in this process until the returned stop() is called. */
function startAgent(): { stop: () => Promise<number> } {
  let release!: () => void;
  const stopped = new Promise<void>((r) => { release = r; });
  const exit = runAgent(['--url', base, '--token-file', join(machine, 'box.token'), '--stop-timeout', '2'], { until: stopped, log: debugLog(), env: {} });
  return { stop: () => { release(); return exit; } };
}

const agentConnected = () => store.host('en/box')?.status?.conditions?.find((c) => c.type === 'AgentConnected')?.status === 'True';

test.before(async () => {
  await controller.start();
  rmSync(machine, { recursive: true, force: true });
  await import('node:fs').then((fs) => fs.mkdirSync(machine, { mode: 0o700 }));
  await until('the join token file', () => { try { return readFileSync(join(stateDir, 'tokens/en/box-agent-token.token'), 'utf8'); } catch { return undefined; } });
  copyFileSync(join(stateDir, 'tokens/en/box-agent-token.token'), join(machine, 'box.token'));
});
test.after(async () => { await controller.stop(); rmSync(root, { recursive: true, force: true }); });

test('join → credential stored 0600 → the restarted agent connects with the credential; the join token is burned', async () => {
  const joinToken = readFileSync(join(machine, 'box.token'), 'utf8').trim();
  const claims = JSON.parse(Buffer.from(joinToken.split('.')[1]!, 'base64url').toString()) as { use?: string; exp?: number; iat: number };
  assert.is(claims.use, 'join');
  assert.ok(claims.exp && claims.exp - claims.iat === 3600, 'a bootstrap token without ttl lives 1h');

  const first = startAgent();
  const credentialFile = join(machine, 'box.credential');
  const credential = await until('the stored credential', () => { try { return readFileSync(credentialFile, 'utf8').trim(); } catch { return undefined; } });
  assert.is(statSync(credentialFile).mode & 0o777, 0o600);
  assert.is.not(credential, joinToken);
  const cred = JSON.parse(Buffer.from(credential.split('.')[1]!, 'base64url').toString()) as { use?: string; exp?: number; sub: string };
  assert.is(cred.use, 'credential');
  assert.is(cred.sub, 'en/box');
  assert.is(cred.exp, undefined, 'the credential is long-lived');
  const status = await until('the enrollment in status', () => store.token('en/box')?.status?.enrollment);
  assert.is(status.remoteAddress?.replace(/^::ffff:/, ''), '127.0.0.1');
  assert.is(store.token('en/box')?.status?.expiresAt, undefined, 'no expiry once enrolled (no "expiring" alert for an enrolled host)');
  assert.ok(!JSON.stringify(store.token('en/box')?.status).includes(credential.split('.')[2]!), 'the credential is not in status');
  assert.is(await first.stop(), 0);
  await until('the first agent gone', () => !agentConnected());

  // The join token is burned (next test: refused), so a connection now can only be the credential's.
  const second = startAgent();
  try {
    await until('the restarted agent connected', () => agentConnected());
    assert.is(readFileSync(credentialFile, 'utf8').trim(), credential, 'the credential is kept, not replaced');
  } finally { assert.is(await second.stop(), 0); }
});

test('the burned join token replayed from another address: 401, and a Warning Event naming the address', async () => {
  const joinToken = readFileSync(join(machine, 'box.token'), 'utf8').trim();
  const replay = await handshakeFrom(joinToken, '127.0.0.2');
  assert.is(replay.status, 401);
  assert.match(replay.body, /join token already used/);
  const warning = await until('the Warning Event', () => store.events('AgentToken', 'en/box').find((e) => e.reason === 'JoinTokenReused'));
  assert.is(warning.type, 'Warning');
  assert.match(warning.message, /127\.0\.0\.2/);
  // The enrolled agent's credential still works.
  const credential = readFileSync(join(machine, 'box.credential'), 'utf8').trim();
  assert.is((await handshakeFrom(credential, '127.0.0.1')).status, 101);
});

test('an expired join token is refused with a message saying so', async () => {
  const late = await until('the late AgentToken', () => store.token('en/late'));
  const key = await importSigningKey(await store.signingKey(generateSigningKey));
  const minted = await mintAgentToken(late, key, { now: Date.now() - 2 * 3600_000 });
  const answer = await handshakeFrom(minted.jwt, '127.0.0.1');
  assert.is(answer.status, 401);
  assert.match(answer.body, /join token expired/);
});

test('neither the join token nor the credential appears in any log line (debug level)', () => {
  const secrets = [readFileSync(join(machine, 'box.token'), 'utf8').trim(), readFileSync(join(machine, 'box.credential'), 'utf8').trim()];
  assert.ok(logLines.length > 20, 'the logs were captured');
  assert.ok(logLines.some((l) => /enrolled/.test(l)), 'enrollment is logged');
  for (const secret of secrets) {
    const signature = secret.split('.')[2]!;
    assert.not.ok(logLines.some((l) => l.includes(signature)), 'a token signature in the logs');
  }
});

test.run();
