// Revocation holds across controller restarts and is re-checked on live sessions (issue 12 item 6):
// a directory-mode controller issues a token, an agent connects, the controller restarts on the same
// directory, the agent reconnects, and the AgentToken is deleted right away: the live session is
// closed 4003 and the token is refused from then on. Rotation closes a live session on the old token
// the same way, whoever remembered what.
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from 'ws';
import { Controller } from '../../controller/controller.js';
import { DirectoryStore } from '../../controller/store/dir/dir-store.js';
import { until } from '../support/wait.js';
import { agentHandshake } from '../support/ws-probe.js';
import { freePort } from '../support/ports.js';

const root = mkdtempSync(join(tmpdir(), 'berth-revocation-'));
const stateDir = join(root, '.state');
const tokenFile = join(stateDir, 'tokens/rv/box-agent-token.token');
writeFileSync(join(root, 'host.yaml'), 'apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: box, namespace: rv }\nspec: { paused: true }\n');
const tokenYaml = (rotate = '') => `apiVersion: berth.dev/v1alpha1\nkind: AgentToken\nmetadata: { name: box, namespace: rv${rotate ? `, annotations: { berth.dev/rotate: "${rotate}" }` : ''} }\nspec: { hostRef: { name: box } }\n`;
writeFileSync(join(root, 'token.yaml'), tokenYaml());

const HELLO = {
  type: 'hello', protocolVersion: 1, agent: { version: '0.1.0', hostname: 'box.example', os: 'linux', arch: 'x64' },
  docker: { ok: true, version: '27.1.0', cpus: 1, memoryBytes: 2 ** 30 }, containers: [],
};

const port = await freePort();
let controller: Controller | undefined;
async function startController(): Promise<Controller> {
  const store = new DirectoryStore({ paths: [root], stateDir, logger: pino({ level: 'silent' }), debounceMs: 20 });
  const c = new Controller({ store, logger: pino({ level: 'silent' }), version: 'test', listen: { host: '127.0.0.1', port }, webRoot: false });
  await c.start();
  return controller = c;
}

/** An agent session: upgraded with the token, hello answered with welcome; resolves with its close. */
async function session(token: string): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/agent/v1/connect`, { headers: { Authorization: `Bearer ${token}` } });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (d) => { if ((JSON.parse(String(d)) as { type: string }).type === 'welcome') resolve(); });
    ws.once('open', () => ws.send(JSON.stringify(HELLO)));
    ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return { ws, closed };
}

const within = <T>(p: Promise<T>, ms: number, what: string) => Promise.race([p, new Promise<never>((_, j) => setTimeout(() => j(new Error(`timed out waiting for ${what}`)), ms))]);

test.after(async () => { await controller?.stop(); rmSync(root, { recursive: true, force: true }); });

const readToken = () => { try { return readFileSync(tokenFile, 'utf8'); } catch { return undefined; } };
let revoked = '';

test('a token deleted right after a controller restart closes its live session and is refused', async () => {
  await startController();
  const token = revoked = await until('the token file', readToken);
  const first = await session(token);
  await controller!.stop();
  assert.is((await within(first.closed, 5000, 'the close at shutdown')).code, 1001);

  await startController();
  const second = await session(token);
  unlinkSync(join(root, 'token.yaml'));
  const closed = await within(second.closed, 5000, 'the revoked session to close');
  assert.is(closed.code, 4003);
  assert.match(closed.reason, /revoked/);
  const again = await agentHandshake(`http://127.0.0.1:${port}`, token);
  assert.is(again.status, 401);
  assert.match(again.body ?? '', /revoked/);
});

test('a rotation after a restart closes the session still on the old token', async () => {
  writeFileSync(join(root, 'token.yaml'), tokenYaml());
  const token = await until('a new token file', () => { const t = readToken(); return t !== revoked && t; });
  await controller!.stop();
  await startController();
  const live = await session(token);
  await new Promise((r) => setTimeout(r, 1100));   // iat is whole seconds: the rotation must be later
  writeFileSync(join(root, 'token.yaml'), tokenYaml('1'));
  const closed = await within(live.closed, 5000, 'the session on the old token to close');
  assert.is(closed.code, 4003);
  const rotated = readFileSync(tokenFile, 'utf8');
  assert.is.not(rotated, token);
  assert.is((await agentHandshake(`http://127.0.0.1:${port}`, token)).status, 401);
  const fresh = await session(rotated);
  fresh.ws.close();
});

test.run();
