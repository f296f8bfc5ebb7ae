// The agent hub over real sockets: a real http.Server on 127.0.0.1:0, the real `ws` client, real
// jose tokens verified by controller/tokens. Every wait is bounded.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket, type ClientOptions } from 'ws';
import { MAX_FRAME_BYTES } from '../../protocol/frames.js';
import { splitKey, type AgentToken } from '../api/types.js';
import { mintAgentToken } from '../tokens/mint.js';
import { generateSigningKey, importSigningKey } from '../tokens/signing-key.js';
import { verifyAgentToken } from '../tokens/verify.js';
import { startHubServer } from '../../test/support/hub-server.js';
import { until } from '../../test/support/wait.js';
import { DispatchError, type AgentHub, type AgentHubOptions, type ConnectionInfo } from './hub.js';

const key = await importSigningKey(await generateSigningKey());
const otherKey = await importSigningKey(await generateSigningKey());
const policy = { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: ['/srv'] };
const HELLO = {
  type: 'hello', protocolVersion: 1,
  agent: { version: '0.1.0', hostname: 'box-1.example', os: 'linux', arch: 'x64' },
  docker: { ok: true, version: '27.1.0', cpus: 4, memoryBytes: 8 * 2 ** 30 },
  containers: [],
};
const OBSERVED = { type: 'observed', docker: { ok: true, version: '27.1.0', cpus: 4, memoryBytes: 1 }, containers: [] };

/** Every JWT this file mints: none may ever show up in the hub's logs. */
const minted: string[] = [];
const logLines: string[] = [];
const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); if (process.env.BERTH_TEST_SHOW_LOGS) process.stderr.write(String(chunk)); cb(); } }));

function agentToken(host: string, uid: string, ns = 'games'): AgentToken {
  return {
    apiVersion: 'berth.dev/v1alpha1', kind: 'AgentToken',
    metadata: { name: `${host}-token`, namespace: ns, uid, generation: 1 },
    spec: { hostRef: { name: host } },
  };
}

async function jwtFor(t: AgentToken, opts: { now?: number; ttl?: string; signer?: typeof key } = {}): Promise<string> {
  const token = opts.ttl ? { ...t, spec: { ...t.spec, ttl: opts.ttl } } : t;
  const { jwt } = await mintAgentToken(token, opts.signer ?? key, opts.now !== undefined ? { now: opts.now } : {});
  minted.push(jwt);
  return jwt;
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms); }),
  ]);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Bed {
  hub: AgentHub; registry: Registry; tokens: AgentToken[]; url: string;
  events: Array<[string, ...unknown[]]>;
  teardown(): Promise<void>;
}

async function bed(over: Partial<AgentHubOptions> = {}): Promise<Bed> {
  const registry = new Registry();
  const tokens = [agentToken('box-1', 'uid-1'), agentToken('box-2', 'uid-2')];
  const { hub, url, close } = await startHubServer({
    registry, logger,
    authenticate: (jwt) => verifyAgentToken(jwt, { publicKeys: [key], lookupTokenByUid: (uid) => tokens.find((t) => t.metadata.uid === uid) }),
    welcomeFor: (hostKey) => ({ host: { ...splitKey(hostKey), uid: `uid-of-${hostKey}` }, policy, resyncSeconds: 300 }),
    ...over,
  });
  const events: Bed['events'] = [];
  for (const e of ['connected', 'observed', 'result', 'log', 'logEnd', 'agentError', 'disconnected', 'conflict'] as const) {
    hub.on(e, (...args: unknown[]) => { events.push([e, ...args]); });
  }
  return { hub, registry, tokens, url, events, teardown: () => close() };
}

type Frame = Record<string, unknown> & { type: string };

class Agent {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  /** Pings the hub sent this agent (answered or not). */
  pings = 0;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  constructor(url: string, jwt?: string, options: ClientOptions = {}) {
    this.ws = new WebSocket(url, { ...options, headers: jwt ? { Authorization: `Bearer ${jwt}` } : {} });
    this.ws.on('error', () => { /* asserted through opened/closed */ });
    this.ws.on('message', (d) => { this.frames.push(JSON.parse(String(d)) as Frame); });
    this.ws.on('ping', () => { this.pings++; });
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
  }
  static async open(url: string, jwt: string, options: ClientOptions = {}): Promise<Agent> {
    const a = new Agent(url, jwt, options);
    await within(a.opened, 3000, 'upgrade');
    return a;
  }
  send(frame: unknown): void { this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)); }
  async next(type: string, ms = 3000): Promise<Frame> {
    let found: Frame | undefined;
    await until(`a ${type} frame`, () => {
      const i = this.frames.findIndex((f) => f.type === type);
      if (i >= 0) found = this.frames.splice(i, 1)[0];
      return found !== undefined;
    }, ms);
    return found!;
  }
  async hello(over: Record<string, unknown> = {}): Promise<Frame> {
    this.send({ ...HELLO, ...over });
    return this.next('welcome');
  }
  closedWithin(ms = 3000) { return within(this.closed, ms, 'close'); }
}

/** Connect expecting a refusal before the upgrade; resolves with the HTTP status and body. */
function refusal(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return within(new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c) => { body += String(c); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
      res.on('error', reject);
    });
    ws.on('open', () => { ws.terminate(); reject(new Error('the connection was upgraded')); });
    ws.on('error', reject);
  }), 3000, 'refusal');
}

async function counter(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name) as Counter | undefined;
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((n, v) => n + v.value, 0);
}

async function withBed(over: Partial<AgentHubOptions>, fn: (b: Bed) => Promise<void>): Promise<void> {
  const b = await bed(over);
  try { await fn(b); } finally { await b.teardown(); }
}

// ------------------------------------------------------------------------------------------------

test('valid token: upgrade, hello -> welcome, connected event, connection info, gauge', () => withBed({}, async (b) => {
  const agent = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  const welcome = await agent.hello();
  assert.equal(welcome, { type: 'welcome', protocolVersion: 1, host: { namespace: 'games', name: 'box-1', uid: 'uid-of-games/box-1' }, policy, resyncSeconds: 300 });
  await until('connected event', () => b.events.some((e) => e[0] === 'connected'), 2000);
  const [, hostKey, hello, info] = b.events.find((e) => e[0] === 'connected')!;
  assert.is(hostKey, 'games/box-1');
  assert.equal((hello as typeof HELLO).agent, HELLO.agent);
  assert.is((info as ConnectionInfo).tokenUid, 'uid-1');
  assert.ok(b.hub.isConnected('games/box-1'));
  assert.not.ok(b.hub.isConnected('games/box-2'));
  const [connection] = b.hub.connections();
  assert.is(connection?.ready, true);
  assert.is(connection?.agent?.hostname, 'box-1.example');
  assert.equal(connection?.docker, HELLO.docker);
  assert.is(connection?.remoteAddress, '127.0.0.1');
  assert.is(await counter(b.registry, 'berth_hub_connected_agents'), 1);
  assert.is(await counter(b.registry, 'berth_hub_frames_sent_total', { type: 'welcome' }), 1);

  agent.send(OBSERVED);
  await until('observed event', () => b.events.some((e) => e[0] === 'observed'), 2000);
  agent.send({ type: 'log', stream: 's1', entries: [{ t: '2026-01-01T00:00:00Z', s: 'out', l: 'hi' }] });
  agent.send({ type: 'logEnd', stream: 's1' });
  await until('logEnd event', () => b.events.some((e) => e[0] === 'logEnd'), 2000);
  assert.ok(b.events.some((e) => e[0] === 'log' && e[1] === 'games/box-1'));
  assert.ok(b.hub.send('games/box-1', { type: 'logsCancel', stream: 's1' }));
  assert.is((await agent.next('logsCancel')).stream, 's1');
  assert.not.ok(b.hub.send('games/box-2', { type: 'logsCancel', stream: 's1' }));

  agent.ws.close(1000, 'bye');
  await until('disconnected event', () => b.events.some((e) => e[0] === 'disconnected'), 2000);
  assert.not.ok(b.hub.isConnected('games/box-1'));
  assert.is(await counter(b.registry, 'berth_hub_connected_agents'), 0);
}));

test('bad credentials are refused with HTTP 401 before the upgrade', () => withBed({}, async (b) => {
  const [t1, t2] = [b.tokens[0]!, b.tokens[1]!];
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['missing', {}, /missing bearer token/],
    ['not bearer', { Authorization: 'Basic dXNlcjpwYXNz' }, /missing bearer token/],
    ['garbage', { Authorization: 'Bearer not-a-jwt' }, /malformed/],
    ['forged', { Authorization: `Bearer ${await jwtFor(t1, { signer: { ...otherKey, kid: key.kid } })}` }, /signature/],
    ['unknown key', { Authorization: `Bearer ${await jwtFor(t1, { signer: otherKey })}` }, /unknown key/],
    ['expired', { Authorization: `Bearer ${await jwtFor(t1, { ttl: '1h', now: Date.now() - 2 * 3_600_000 })}` }, /expired/],
  ];
  for (const [what, headers, reason] of cases) {
    const r = await refusal(b.url, headers);
    assert.is(r.status, 401, what);
    assert.match(r.body, reason, what);
    // The same refusal format as the upgrade router's 404 (one helper writes both).
    assert.is((JSON.parse(r.body) as { error: string }).error, 'Unauthorized', what);
  }
  // revoked: the AgentToken is deleted
  const revokedJwt = await jwtFor(t2);
  b.tokens.splice(1, 1);
  const revoked = await refusal(b.url, { Authorization: `Bearer ${revokedJwt}` });
  assert.is(revoked.status, 401);
  assert.match(revoked.body, /revoked/);
  // wrong host: the AgentToken now names another host than the token's sub
  const jwt1 = await jwtFor(t1);
  b.tokens[0] = { ...t1, spec: { hostRef: { name: 'box-9' } } };
  const wrongHost = await refusal(b.url, { Authorization: `Bearer ${jwt1}` });
  assert.is(wrongHost.status, 401);
  assert.match(wrongHost.body, /not valid for this host/);

  assert.is(b.hub.connections().length, 0);
  assert.is(await counter(b.registry, 'berth_hub_auth_failures_total'), cases.length + 2);
  assert.is(await counter(b.registry, 'berth_hub_auth_failures_total', { reason: 'revoked' }), 1);
  assert.is(await counter(b.registry, 'berth_hub_auth_failures_total', { reason: 'missing_bearer' }), 2);
}));

test('wrong audience is refused with 401', () => withBed({}, async (b) => {
  const { SignJWT } = await import('jose');
  const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: key.kid }).setIssuer('berth').setAudience('berth-web')
    .setSubject('games/box-1').setJti('uid-1').setIssuedAt().sign(key.privateKey);
  minted.push(jwt);
  const r = await refusal(b.url, { Authorization: `Bearer ${jwt}` });
  assert.is(r.status, 401);
  assert.match(r.body, /audience/);
}));

test('a token in the query string is refused with 401, even beside a valid header', () => withBed({}, async (b) => {
  const jwt = await jwtFor(b.tokens[0]!);
  for (const [query, headers] of [
    [`?token=${jwt}`, {}],
    [`?token=${jwt}`, { Authorization: `Bearer ${jwt}` }],
    [`?access_token=${jwt}`, {}],
    [`?x=${jwt}`, {}],
  ] as const) {
    const r = await refusal(`${b.url}${query}`, headers);
    assert.is(r.status, 401);
    assert.match(r.body, /tokens in the URL are refused/);
  }
  assert.is(await counter(b.registry, 'berth_hub_auth_failures_total', { reason: 'token_in_url' }), 4);
}));

test('other paths get 404', () => withBed({}, async (b) => {
  const r = await refusal(b.url.replace('/agent/v1/connect', '/agent/v2/connect'), { Authorization: `Bearer ${await jwtFor(b.tokens[0]!)}` });
  assert.is(r.status, 404);
  assert.is((JSON.parse(r.body) as { error: string }).error, 'NotFound');
}));

test('a second connection for the same host supersedes the first (4001) and reports a conflict', () => withBed({}, async (b) => {
  const first = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  await first.hello();
  const second = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  const closed = await first.closedWithin();
  assert.equal(closed, { code: 4001, reason: 'superseded by a newer connection' });
  const conflict = b.events.find((e) => e[0] === 'conflict');
  assert.ok(conflict);
  assert.is(conflict![1], 'games/box-1');
  assert.is((conflict![2] as { previous: ConnectionInfo }).previous.ready, true);
  await second.hello();
  await until('second connected', () => b.events.filter((e) => e[0] === 'connected').length === 2, 2000);
  const order = b.events.filter((e) => e[0] === 'connected' || e[0] === 'disconnected').map((e) => e[0]);
  assert.equal(order, ['connected', 'disconnected', 'connected'], 'the old connection ends before the new one is announced');
  assert.ok(b.hub.isConnected('games/box-1'));
  assert.is(b.hub.connections().length, 1);
  assert.is(second.ws.readyState, WebSocket.OPEN);
}));

test('invalid frames get an error reply and are counted; the connection stays open', () => withBed({}, async (b) => {
  const agent = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  await agent.hello();
  agent.send('{not json');
  assert.is((await agent.next('error')).code, 'bad_json');
  agent.send({ type: 'launch', id: 'x1' });
  const unknown = await agent.next('error');
  assert.is(unknown.code, 'unknown_type');
  assert.is(unknown.id, 'x1');
  agent.send({ type: 'result', id: 'r1' }); // no `ok`
  const invalid = await agent.next('error');
  assert.is(invalid.code, 'invalid');
  assert.is(invalid.id, 'r1');
  agent.send('null');
  assert.is((await agent.next('error')).code, 'unknown_type');
  agent.send({ ...HELLO });
  assert.is((await agent.next('error')).code, 'unexpected_hello');
  agent.ws.send(Buffer.from('{"type":"observed"}'), { binary: true });
  assert.is((await agent.next('error')).code, 'binary');

  assert.is(await counter(b.registry, 'berth_hub_invalid_frames_total', { code: 'bad_json' }), 1);
  assert.is(await counter(b.registry, 'berth_hub_invalid_frames_total', { code: 'unknown_type' }), 2);
  assert.is(await counter(b.registry, 'berth_hub_invalid_frames_total', { code: 'invalid' }), 1);
  assert.is(await counter(b.registry, 'berth_hub_invalid_frames_total'), 6);
  // still open and served
  agent.send(OBSERVED);
  await until('observed after invalid frames', () => b.events.some((e) => e[0] === 'observed'), 2000);
  assert.is(agent.ws.readyState, WebSocket.OPEN);
  assert.ok(b.hub.isConnected('games/box-1'));
}));

test('the first frame must be hello; too many invalid frames close with 4004', () => withBed({}, async (b) => {
  const agent = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  agent.send(OBSERVED);
  assert.is((await agent.next('error')).code, 'expected_hello');
  for (let i = 0; i < 25; i++) agent.send('{');
  const closed = await agent.closedWithin();
  assert.is(closed.code, 4004);
  assert.match(closed.reason, /too many invalid frames/);
}));

test('a flood of valid frames is throttled (socket paused), not dropped and not closed', () => withBed({
  rateLimit: { framesPerSec: 10_000, bytesPerSec: 1024 * 1024, burstSeconds: 1 },
}, async (b) => {
  const agent = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  await agent.hello();
  const line = 'x'.repeat(16 * 1024);
  const frames = 256;   // 4 MiB: a 1 MiB burst, then 1 MiB/s
  const started = Date.now();
  for (let i = 0; i < frames; i++) agent.send({ type: 'log', stream: `s${i}`, entries: [{ t: '2026-01-01T00:00:00Z', s: 'out', l: line }] });
  await until('every log frame delivered', () => b.events.filter((e) => e[0] === 'log').length === frames, 15_000);
  assert.ok(Date.now() - started >= 1000, 'delivery was paced by the limit');
  assert.ok(await counter(b.registry, 'berth_hub_throttled_total') >= 1);
  assert.is(agent.ws.readyState, WebSocket.OPEN);
  assert.ok(logLines.some((l) => l.includes('exceeds the rate limit')), 'the throttling is logged with its reason');
  assert.ok(b.hub.isConnected('games/box-1'));
}));

test('oversized frame closes with 1009; the hub still serves new connections', () => withBed({}, async (b) => {
  const agent = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  await agent.hello();
  agent.send(JSON.stringify({ ...OBSERVED, pad: 'x'.repeat(MAX_FRAME_BYTES) }));
  const closed = await agent.closedWithin();
  assert.is(closed.code, 1009);
  await until('connection gone', () => !b.hub.isConnected('games/box-1'), 2000);
  const again = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  await again.hello();
  assert.ok(b.hub.isConnected('games/box-1'));
}));

test('unsupported protocol version closes with 4002 and a clear reason', () => withBed({}, async (b) => {
  const agent = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  agent.send({ ...HELLO, protocolVersion: 2 });
  assert.equal(await agent.closedWithin(), { code: 4002, reason: 'protocol version 2 not supported; this controller speaks 1' });
  // a future hello that does not even match this version's schema gets the same answer
  const future = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  future.send({ type: 'hello', protocolVersion: 3, capabilities: ['x'] });
  assert.equal(await future.closedWithin(), { code: 4002, reason: 'protocol version 3 not supported; this controller speaks 1' });
  assert.not.ok(b.events.some((e) => e[0] === 'connected'));
}));

test('no hello in time closes with 4004', () => withBed({ helloTimeoutMs: 150 }, async (b) => {
  const agent = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  const closed = await agent.closedWithin(2000);
  assert.is(closed.code, 4004);
  assert.match(closed.reason, /no hello/);
}));

test('disconnect(host, 4003) closes the live agent; disconnectToken targets one token', () => withBed({}, async (b) => {
  const a1 = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  await a1.hello();
  const a2 = await Agent.open(b.url, await jwtFor(b.tokens[1]!));
  await a2.hello();
  b.tokens.splice(0, 1); // the AgentToken is deleted: the controller revokes
  assert.ok(b.hub.disconnect('games/box-1', 4003, 'revoked'));
  assert.equal(await a1.closedWithin(), { code: 4003, reason: 'revoked' });
  assert.not.ok(b.hub.isConnected('games/box-1'));
  assert.ok(b.events.some((e) => e[0] === 'disconnected' && e[1] === 'games/box-1'));
  assert.not.ok(b.hub.disconnect('games/box-1'));
  assert.is(b.hub.disconnectToken('uid-other'), 0);
  assert.is(b.hub.disconnectToken('uid-2'), 1);
  assert.equal(await a2.closedWithin(), { code: 4003, reason: 'token revoked' });
  // and the revoked token cannot come back
  const r = await refusal(b.url, { Authorization: `Bearer ${minted.at(-2)!}` });
  assert.is(r.status, 401);
}));

test('a live connection is closed when its token expires', () => withBed({
  authenticate: () => ({ ok: true, hostKey: 'games/box-1', tokenUid: 'uid-1', expiresAt: new Date(Date.now() + 200) }),
}, async (b) => {
  const agent = await Agent.open(b.url, 'opaque');
  await agent.hello();
  assert.equal(await agent.closedWithin(2000), { code: 4003, reason: 'token expired' });
}));

test('dispatch resolves with the matching result, rejects on timeout, refusal and disconnect', () => withBed({}, async (b) => {
  const agent = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  await agent.hello();
  await rejectsWith(b.hub.dispatch('games/box-2', { type: 'remove', name: 'web' }), 'not_connected');

  const p = b.hub.dispatch('games/box-1', { type: 'remove', name: 'web' });
  const remove = await agent.next('remove');
  assert.type(remove.id, 'string');
  // A result for an id nobody dispatched is refused and never reaches the controller (issue 12).
  agent.send({ type: 'result', id: 'someone-else', ok: true, container: { name: 'phantom', containerID: 'x', image: 'i', imageID: 'i', state: 'running', health: 'none', restartCount: 0 } });
  const forged = await agent.next('error');
  assert.is(forged.code, 'unknown_result');
  assert.is(forged.id, 'someone-else');
  agent.send({ type: 'result', id: remove.id, ok: false, error: { code: 'NotFound', message: 'no such container' } });
  const result = await within(p, 2000, 'dispatch result');
  assert.equal(result, { type: 'result', id: remove.id, ok: false, error: { code: 'NotFound', message: 'no such container' } });
  assert.not.ok(b.events.some((e) => e[0] === 'result' && (e[2] as { id: string }).id === 'someone-else'));
  // A replayed result (already settled) is refused the same way.
  agent.send({ type: 'result', id: remove.id, ok: true });
  assert.is((await agent.next('error')).code, 'unknown_result');

  // A result that reports another container than the one dispatched settles without it.
  const other = b.hub.dispatch('games/box-1', { type: 'restart', name: 'web', startedAt: '2026-01-01T00:00:00Z' });
  const restart = await agent.next('restart');
  agent.send({ type: 'result', id: restart.id, ok: true, container: { name: 'db', containerID: 'x', image: 'i', imageID: 'i', state: 'running', health: 'none', restartCount: 0 } });
  assert.equal(await within(other, 2000, 'restart result'), { type: 'result', id: restart.id, ok: true });

  await rejectsWith(b.hub.dispatch('games/box-1', { type: 'remove', name: 'web', id: 'slow' }, { timeoutMs: 100 }), 'timeout');
  // The honest agent's late result for it is dropped quietly: no error frame, nothing folded in.
  agent.send({ type: 'result', id: 'slow', ok: true, container: { name: 'web', containerID: 'x', image: 'i', imageID: 'i', state: 'running', health: 'none', restartCount: 0 } });
  // Frames are handled in order: once the answer to a forged one is back, an error for 'slow' would be too.
  agent.send({ type: 'result', id: 'probe', ok: true });
  assert.is((await agent.next('error')).id, 'probe');
  assert.not.ok(agent.frames.some((f) => f.type === 'error' && f.id === 'slow'), 'no error frame for a late result');

  const refused = b.hub.dispatch('games/box-1', { type: 'remove', name: 'web', id: 'r-2' });
  await agent.next('remove');
  agent.send({ type: 'error', id: 'r-2', code: 'invalid', message: 'bad remove' });
  await rejectsWith(refused, 'refused');
  assert.not.ok(b.events.some((e) => e[0] === 'result' && (e[2] as { id: string }).id === 'slow'), 'a late result is not folded in');
  agent.send({ type: 'result', id: 'slow', ok: true });
  assert.is((await agent.next('error')).code, 'unknown_result', 'a second late result for the same id is a replay');

  const pending = b.hub.dispatch('games/box-1', { type: 'remove', name: 'db', id: 'r-3' });
  await agent.next('remove');
  agent.ws.close(1000, 'going away');
  await rejectsWith(pending, 'disconnected');
}));

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await within(p, 3000, `rejection ${code}`);
  } catch (err) {
    assert.instance(err, DispatchError);
    assert.is((err as DispatchError).code, code);
    return;
  }
  assert.unreachable(`expected a ${code} rejection`);
}

test('two missed pongs terminate a silent agent; a responsive one stays', () => withBed({ pingIntervalMs: 100 }, async (b) => {
  const good = await Agent.open(b.url, await jwtFor(b.tokens[1]!));
  await good.hello();
  const silent = await Agent.open(b.url, await jwtFor(b.tokens[0]!), { autoPong: false });
  await silent.hello();
  const closed = await silent.closedWithin(2000);
  assert.is(closed.code, 1006);
  // Counted, not timed: terminated at the heartbeat after the second unanswered ping (missedPongLimit 2).
  assert.is(silent.pings, 2, `pings the silent agent got before it was cut: ${silent.pings}`);
  await until('disconnected', () => b.events.some((e) => e[0] === 'disconnected' && e[1] === 'games/box-1'), 2000);
  // The responsive agent lives on past the point where the silent one was cut.
  const pingsThen = good.pings;
  await until('two more pings to the responsive agent', () => good.pings >= pingsThen + 2, 2000);
  assert.ok(b.hub.isConnected('games/box-2'));
  assert.is(good.ws.readyState, WebSocket.OPEN);
}));

test('a throwing listener does not break the hub', () => withBed({}, async (b) => {
  b.hub.on('connected', () => { throw new Error('listener bug'); });
  b.hub.on('observed', () => { throw new Error('listener bug'); });
  const agent = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  await agent.hello();
  agent.send(OBSERVED);
  agent.send('{');
  assert.is((await agent.next('error')).code, 'bad_json');
  assert.ok(b.hub.isConnected('games/box-1'));
}));

test('welcomeFor: an undeclared host is closed with 1008; an async welcome works', () => withBed({
  welcomeFor: async (hostKey) => {
    await sleep(50);
    return hostKey === 'games/box-1' ? { host: { namespace: 'games', name: 'box-1', uid: 'u1' }, policy, resyncSeconds: 60 } : undefined;
  },
}, async (b) => {
  const a1 = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  a1.send(HELLO);
  a1.send(OBSERVED); // pipelined before the welcome: replayed once ready
  assert.is((await a1.next('welcome')).resyncSeconds, 60);
  await until('pipelined observed', () => b.events.some((e) => e[0] === 'observed'), 2000);
  const a2 = await Agent.open(b.url, await jwtFor(b.tokens[1]!));
  a2.send(HELLO);
  const closed = await a2.closedWithin();
  assert.is(closed.code, 1008);
  assert.match(closed.reason, /not declared/);
}));

test('close() closes every agent with 1001', () => withBed({}, async (b) => {
  const a1 = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  await a1.hello();
  const a2 = await Agent.open(b.url, await jwtFor(b.tokens[1]!));
  await within(b.hub.close(), 3000, 'close');
  assert.equal(await a1.closedWithin(), { code: 1001, reason: 'controller shutting down' });
  assert.is((await a2.closedWithin()).code, 1001);
  assert.is(b.hub.connections().length, 0);
}));

test('no token ever reaches the logs', () => {
  assert.ok(minted.length > 10);
  assert.ok(logLines.length > 10);
  const all = logLines.join('');
  for (const jwt of minted) {
    const signature = jwt.split('.')[2]!;
    assert.not.ok(all.includes(signature), 'a token signature appears in the logs');
  }
});

test.run();
