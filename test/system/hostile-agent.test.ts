// A hostile agent against the real controller process (issue 12 item 4). The agent of host "evil"
// holds a valid token and floods: a hello and observed frames listing 1,000 phantom containers, strings
// full of terminal escape codes and bidi overrides, and thousands of `result` frames for ids nobody
// dispatched. The host view, the status, the Events and the controller's log lines stay within the
// caps (declared + 64 containers, capped strings, no control characters), the hostile socket is closed
// for its invalid frames, and the other host keeps reconciling.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from 'ws';
import { BerthEnv, condition, until } from '../support/berth-env.js';
import { bed } from '../support/testbed.js';
import { agentHandshake } from '../support/ws-probe.js';

const env = new BerthEnv();
const [good, evil] = ['good', 'evil'];
const MARGIN = 64;   // controller/reconcile/observed-cap.ts OBSERVED_MARGIN
const ESC = '\u001b';
const nasty = `${ESC}[2J${ESC}]0;owned\u0007\u202e`;

const loop = (name: string) => `- name: ${name}
  image: ${bed('BERTH_TEST_IMAGE')}
  imagePullPolicy: IfNotPresent
  command: ["sh", "-c", "while true; do sleep 1; done"]
  stopTimeoutSeconds: 1`;
const writeGood = (names: string[]) => env.write('good.yaml', env.hostYaml(good, `containers:\n${names.map(loop).join('\n')}`));

const phantom = (i: number) => ({
  name: `${i % 10 === 0 ? nasty : ''}phantom-${String(i).padStart(4, '0')}`, containerID: `${nasty}${'c'.repeat(100)}`,
  image: `${nasty}${'i'.repeat(600)}`, imageID: 'sha256:x', state: 'running', health: 'none', restartCount: 0, specHash: `${nasty}h`,
});
const phantoms = Array.from({ length: 1000 }, (_, i) => phantom(i));

interface Wire { ws: WebSocket; frames: Array<{ type: string; id?: string; code?: string; name?: string }>; closed: Promise<{ code: number; reason: string }> }
async function connectEvil(): Promise<Wire> {
  const token = readFileSync(env.tokenFile(evil), 'utf8').trim();
  const r = await agentHandshake(env.url, token);
  assert.is(r.status, 101, r.body);
  const ws = r.ws!;
  const frames: Wire['frames'] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as Wire['frames'][number]));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.send(JSON.stringify({
    type: 'hello', protocolVersion: 1, agent: { version: `${nasty}9.9.9`, hostname: `${nasty}${'evil'.repeat(60)}`, os: `linux${nasty}`, arch: 'x64' },
    docker: { ok: true, version: `${nasty}27.0`, cpus: 2, memoryBytes: 1 << 30 }, containers: phantoms,
  }));
  await until('welcome', () => frames.some((f) => f.type === 'welcome'), 10_000);
  return { ws, frames, closed };
}

test.before(async () => {
  writeGood([env.name('g1')]);
  env.write('evil.yaml', env.hostYaml(evil, `containers:\n${loop(env.name('e1'))}`));
  await env.startController();
  await env.startAgent(good);
  await env.waitReady(good);
});
test.after(async () => { await env.cleanup(); });

let wire: Wire;

test('a giant inventory with escape codes: the host view keeps declared + 64, strings capped and clean', async () => {
  wire = await connectEvil();
  for (let i = 0; i < 5; i++) wire.ws.send(JSON.stringify({ type: 'observed', docker: { ok: true, version: `${nasty}27`, cpus: 2, memoryBytes: 1 }, containers: phantoms }));
  const observed = await until('the capped observed view', async () => {
    const r = await env.get<{ containers: Array<{ name: string; image: string; containerID: string }> | null }>(`/api/v1/hosts/${env.namespace}/${evil}/observed`);
    return r.body.containers && r.body.containers.length > 0 ? r.body.containers : undefined;
  });
  assert.ok(observed.length <= 1 + MARGIN, `observed ${observed.length}`);
  for (const c of observed) {
    assert.not.match(c.name, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
    assert.ok(c.image.length <= 512 && c.containerID.length <= 128, 'capped');
  }
  const r = await env.get(`/api/v1/hosts/${env.namespace}/${evil}`);
  const text = JSON.stringify(r.body);
  assert.ok(text.length < 256 * 1024, `host view is ${text.length} bytes`);
  assert.not.ok(/\\u001b|\\u0007|\u202e/.test(text), 'no control characters in the host view');
  const h = r.body as { status: { agent?: { hostname?: string }; containers?: unknown[] }; events?: Array<{ reason: string; type: string }> };
  assert.ok((h.status.agent?.hostname ?? '').length <= 253);
  assert.ok((h.status.containers ?? []).length <= 1 + MARGIN, `status containers ${(h.status.containers ?? []).length}`);
  assert.ok(h.events?.some((e) => e.type === 'Warning' && e.reason === 'InventoryTruncated'), JSON.stringify(h.events?.map((e) => e.reason)));
  // The phantoms earn at most MARGIN removes in flight, not one per phantom.
  await new Promise((res) => setTimeout(res, 2000));
  const removes = wire.frames.filter((f) => f.type === 'remove').length;
  assert.ok(removes <= MARGIN, `removes dispatched: ${removes}`);
});

test('forged results are refused and never reach the view; the flood closes the hostile socket', async () => {
  const before = (await env.get<{ containers: unknown[] }>(`/api/v1/hosts/${env.namespace}/${evil}/observed`)).body.containers.length;
  for (let i = 0; i < 3000 && wire.ws.readyState === WebSocket.OPEN; i++) {
    wire.ws.send(JSON.stringify({ type: 'result', id: `forged-${i}`, ok: true, container: phantom(5000 + i) }));
  }
  const closed = await wire.closed;
  assert.is(closed.code, 4004);
  assert.match(closed.reason, /too many invalid frames/);
  assert.ok(wire.frames.some((f) => f.type === 'error' && f.code === 'unknown_result'));
  const after = (await env.get<{ containers: Array<{ name: string }> | null }>(`/api/v1/hosts/${env.namespace}/${evil}/observed`)).body.containers ?? [];
  assert.ok(after.length <= before, `${after.length} > ${before}`);
  assert.not.ok(after.some((c) => /phantom-(5|6|7)\d{3}/.test(c.name)), 'no forged container in the view');
  assert.not.ok(/\\u001b|\\u0007|\\u202e/.test(env.logs(Infinity)), 'no control characters reached the controller log');
});

test('the other host keeps reconciling through the flood', async () => {
  const again = await connectEvil();
  writeGood([env.name('g1'), env.name('g2')]);
  // Keep flooding while the good host converges.
  let sent = 0;
  const flood = setInterval(() => {
    if (again.ws.readyState !== WebSocket.OPEN) return;
    again.ws.send(JSON.stringify({ type: 'observed', docker: { ok: true, version: '27', cpus: 2, memoryBytes: 1 }, containers: phantoms }));
    sent++;
  }, 20);
  try {
    const h = await env.waitHost(good, 'good 2/2 Ready', (x) => (x.status.ready === '2/2' && condition(x, 'Ready')?.status === 'True' ? x : undefined), 60_000);
    assert.is(h.status.ready, '2/2');
  } finally { clearInterval(flood); again.ws.close(); }
  assert.ok(sent > 10, `sent ${sent} floods`);
  assert.is((await env.get('/healthz')).status, 200);
});

test.run();
