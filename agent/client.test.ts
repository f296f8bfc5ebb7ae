// The agent's WebSocket client against a tiny in-test controller (a ws server on 127.0.0.1:0) and
// an in-memory runtime: no Docker needed.
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../test/support/wait.js';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ContainerSpec, DockerFacts, ObservedContainer } from '../protocol/container.js';
import { PROTOCOL_VERSION, type AgentFrame } from '../protocol/frames.js';
import { Backoff } from '../protocol/backoff.js';
import { StatsReporter } from './stats-reporter.js';
import { AgentClient, connectUrl, type AgentClientOptions } from './client.js';
import { RuntimeError, type ApplyContext, type ContainerRuntime, type Watch } from './runtime.js';

const TOKEN = `eyJhbGciOiJFZERTQSJ9.${Buffer.from(JSON.stringify({ sub: 'games/box-1' })).toString('base64url')}.c2VjcmV0LXNpZ25hdHVyZQ`;
const logLines: string[] = [];
const log = pino({ level: 'debug' }, { write: (s: string) => { logLines.push(s); } });

const waitFor = <T>(get: () => T | undefined | false, what: string, timeoutMs = 5000) => until(what, get, timeoutMs);

class FakeRuntime implements ContainerRuntime {
  readonly hostKey = 'games/box-1';
  containers = new Map<string, ObservedContainer>();
  applied: Array<{ spec: ContainerSpec; ctx: ApplyContext }> = [];
  gate: Promise<void> | undefined;
  onChange: (() => void) | undefined;
  docker: DockerFacts = { ok: true, version: '20.10.24', cpus: 2, memoryBytes: 1 << 30 };
  async dockerFacts() { return this.docker; }
  async inventory() { return [...this.containers.values()]; }
  async apply(spec: ContainerSpec, ctx: ApplyContext) {
    this.applied.push({ spec, ctx });
    if (this.gate) await this.gate;
    if (spec.image === 'fail') throw new RuntimeError('PullFailed', 'pulling image "fail" failed: unauthorized');
    const c: ObservedContainer = { name: spec.name, containerID: `id-${spec.name}`, image: spec.image, imageID: 'sha256:1', state: 'running', health: 'none', restartCount: 0, specHash: spec.specHash };
    this.containers.set(spec.name, c);
    return c;
  }
  async remove(name: string) { this.containers.delete(name); }
  watch(onChange: () => void): Watch { this.onChange = onChange; return { close: () => { this.onChange = undefined; } }; }
}

interface Conn { ws: WebSocket; req: IncomingMessage; frames: AgentFrame[]; closed?: { code: number; reason: string } }

class Controller {
  readonly wss: WebSocketServer;
  readonly conns: Conn[] = [];
  refuse: number | undefined;
  constructor(opts: { autoPong?: boolean } = {}) {
    this.wss = new WebSocketServer({
      host: '127.0.0.1', port: 0, path: '/agent/v1/connect', autoPong: opts.autoPong ?? true,
      verifyClient: (_info, cb) => (this.refuse ? cb(false, this.refuse, 'token expired') : cb(true)),
    });
    this.wss.on('connection', (ws, req) => {
      const conn: Conn = { ws, req, frames: [] };
      this.conns.push(conn);
      ws.on('message', (data) => conn.frames.push(JSON.parse(data.toString()) as AgentFrame));
      ws.on('close', (code, reason) => { conn.closed = { code, reason: reason.toString() }; });
    });
  }
  async ready(): Promise<string> {
    await new Promise<void>((r) => (this.wss.address() ? r() : this.wss.once('listening', () => r())));
    return `http://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }
  conn(i: number): Promise<Conn> { return waitFor(() => this.conns[i], `connection ${i}`); }
  frame<T extends AgentFrame['type']>(conn: Conn, type: T, pred: (f: Extract<AgentFrame, { type: T }>) => boolean = () => true): Promise<Extract<AgentFrame, { type: T }>> {
    return waitFor(() => conn.frames.find((f) => f.type === type && pred(f as Extract<AgentFrame, { type: T }>)) as Extract<AgentFrame, { type: T }> | undefined, `a ${type} frame`);
  }
  close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    return new Promise((r) => this.wss.close(() => r()));
  }
}

const clients: AgentClient[] = [];
const servers: Controller[] = [];

async function setup(opts: Partial<AgentClientOptions> & { autoPong?: boolean; refuse?: number } = {}) {
  const controller = new Controller({ autoPong: opts.autoPong ?? true });
  controller.refuse = opts.refuse;
  servers.push(controller);
  const url = await controller.ready();
  const runtime = (opts.runtime as FakeRuntime | undefined) ?? new FakeRuntime();
  let tokenReads = 0;
  const client = new AgentClient({
    url, runtime, log, token: () => { tokenReads++; return TOKEN; },
    agent: { version: '0.1.0', hostname: 'test', os: 'linux', arch: 'x64' },
    backoff: new Backoff({ baseMs: 5, capMs: 20 }), refusedRetryMs: 20, supersededRetryMs: 20,
    ...opts,
  });
  clients.push(client);
  client.start();
  return { controller, runtime, client, tokenReads: () => tokenReads };
}

const spec = (name: string, image = 'busybox:1'): ContainerSpec => ({
  name, image, imagePullPolicy: 'IfNotPresent', state: 'Running', env: [], ports: [], volumes: [], restartPolicy: 'Always',
  network: 'bridge', privileged: false, stopTimeoutSeconds: 1, logging: { maxSizeBytes: 1000, maxFiles: 1 }, specHash: `h-${image}`,
});
const policy = { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] };
const welcome = (resyncSeconds = 300) => JSON.stringify({ type: 'welcome', protocolVersion: PROTOCOL_VERSION, host: { namespace: 'games', name: 'box-1', uid: 'u1' }, policy, resyncSeconds });

test.after.each(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop(1000)));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

test('connectUrl maps http(s) to ws(s) and appends the agent path once', () => {
  assert.is(connectUrl('https://berth.example.com'), 'wss://berth.example.com/agent/v1/connect');
  assert.is(connectUrl('http://127.0.0.1:7070/'), 'ws://127.0.0.1:7070/agent/v1/connect');
  assert.is(connectUrl('wss://x/prefix/agent/v1/connect'), 'wss://x/prefix/agent/v1/connect');
  assert.throws(() => connectUrl('ftp://x'), /must start with/);
  assert.throws(() => connectUrl('not a url'), /is not a URL/);
});

test('hello arrives first, with the bearer header, the protocol version, facts and the inventory', async () => {
  const runtime = new FakeRuntime();
  runtime.containers.set('web', { name: 'web', containerID: 'c1', image: 'nginx', imageID: 'sha256:x', state: 'running', health: 'none', restartCount: 0, specHash: 'h' });
  const { controller } = await setup({ runtime });
  const conn = await controller.conn(0);
  assert.is(conn.req.headers.authorization, `Bearer ${TOKEN}`);
  const hello = await controller.frame(conn, 'hello');
  assert.is(conn.frames[0]?.type, 'hello');
  assert.is(hello.protocolVersion, PROTOCOL_VERSION);
  assert.equal(hello.agent, { version: '0.1.0', hostname: 'test', os: 'linux', arch: 'x64' });
  assert.equal(hello.docker, { ok: true, version: '20.10.24', cpus: 2, memoryBytes: 1 << 30 });
  assert.equal(hello.containers.map((c) => c.containerID), ['c1']);
});

test('stats frames go out every interval while connected; an older controller\'s unknown_type stops them', async () => {
  const source = { calls: 0, async sample() { this.calls++; return [{ name: 'web', cpuPercent: 1, memoryBytes: 2, netRxBytes: 0, netTxBytes: 0, blockReadBytes: 0, blockWriteBytes: 0, pids: 1 }]; } };
  const stats = new StatsReporter(source, 1);
  const { controller } = await setup({ stats });
  const conn = await controller.conn(0);
  await controller.frame(conn, 'hello');
  const first = await controller.frame(conn, 'stats');
  assert.equal(first.containers.map((c) => c.name), ['web']);
  assert.is(first.intervalSeconds, 1);
  assert.is(conn.frames.findIndex((f) => f.type === 'hello'), 0, 'hello first');
  await until('a second stats frame', () => conn.frames.filter((f) => f.type === 'stats').length >= 2, 5000);
  conn.ws.send(JSON.stringify({ type: 'error', code: 'unknown_type', message: 'unknown frame type "stats" (known: hello, observed)' }));
  await new Promise((r) => setTimeout(r, 300));
  const sent = conn.frames.filter((f) => f.type === 'stats').length;
  await new Promise((r) => setTimeout(r, 1600));
  assert.is(conn.frames.filter((f) => f.type === 'stats').length, sent, 'no more stats on this connection');
});

test('an invalid frame gets an error reply (with its id) and the agent stays connected', async () => {
  const { controller, client } = await setup();
  const conn = await controller.conn(0);
  await controller.frame(conn, 'hello');
  conn.ws.send('{not json');
  conn.ws.send(JSON.stringify({ type: 'apply', id: 'a-7', container: { name: 'x' } }));
  conn.ws.send(JSON.stringify({ type: 'launch', id: 'l-1' }));
  conn.ws.send(Buffer.from('{"type":"welcome"}'), { binary: true });
  await waitFor(() => conn.frames.filter((f) => f.type === 'error').length === 4, 'four error replies');
  const errors = conn.frames.filter((f): f is Extract<AgentFrame, { type: 'error' }> => f.type === 'error');
  assert.equal(errors.map((e) => e.code), ['bad_json', 'invalid', 'unknown_type', 'invalid']);
  assert.is(errors[1]!.id, 'a-7');
  assert.is(errors[2]!.id, 'l-1');
  assert.is(client.stats.invalidFrames, 4);
  // Still the same connection, and it still works.
  conn.ws.send(JSON.stringify({ type: 'apply', id: 'a-8', container: spec('web'), policy, hostUid: 'u1' }));
  const result = await controller.frame(conn, 'result', (f) => f.id === 'a-8');
  assert.ok(result.ok);
  assert.is(controller.conns.length, 1);
  assert.is(client.stats.connects, 1);
});

test('apply and remove go to the runtime and come back as results; failures carry the code', async () => {
  const { controller, runtime } = await setup();
  const conn = await controller.conn(0);
  await controller.frame(conn, 'hello');
  conn.ws.send(welcome());
  const pullAuth = { serveraddress: '127.0.0.1:5000', username: 'u', password: 'p' };
  conn.ws.send(JSON.stringify({ type: 'apply', id: '1', container: spec('web'), policy, hostUid: 'u1', pullAuth }));
  const ok = await controller.frame(conn, 'result', (f) => f.id === '1');
  assert.is(ok.ok, true);
  assert.is(ok.container?.containerID, 'id-web');
  assert.equal(runtime.applied[0]?.ctx, { policy, hostUid: 'u1', pullAuth });
  conn.ws.send(JSON.stringify({ type: 'apply', id: '2', container: spec('job', 'fail'), policy, hostUid: 'u1' }));
  const failed = await controller.frame(conn, 'result', (f) => f.id === '2');
  assert.is(failed.ok, false);
  assert.equal(failed.error, { code: 'PullFailed', message: 'pulling image "fail" failed: unauthorized' });
  conn.ws.send(JSON.stringify({ type: 'remove', id: '3', name: 'web' }));
  const removed = await controller.frame(conn, 'result', (f) => f.id === '3');
  assert.equal(removed, { type: 'result', id: '3', ok: true });
  assert.not.ok(runtime.containers.has('web'));
});

test('Docker events and the resync period send the full inventory as observed', async () => {
  const { controller, runtime, client } = await setup();
  const conn = await controller.conn(0);
  await controller.frame(conn, 'hello');
  conn.ws.send(welcome(1));
  await waitFor(() => client.welcome, 'welcome');
  runtime.containers.set('a', { name: 'a', containerID: 'ca', image: 'i', imageID: 'sha256:i', state: 'exited', health: 'none', restartCount: 0, exitCode: 0 });
  runtime.onChange!();
  const observed = await controller.frame(conn, 'observed');
  assert.equal(observed.containers.map((c) => c.containerID), ['ca']);
  assert.ok(observed.docker.ok);
  const t0 = Date.now();
  await waitFor(() => conn.frames.filter((f) => f.type === 'observed').length >= 2, 'a resync observed', 3000);
  assert.ok(Date.now() - t0 >= 700, 'the second observed came from the 1 s resync');
});

test('the controller closing the socket → the agent reconnects with backoff and says hello again', async () => {
  const { controller, client } = await setup();
  const first = await controller.conn(0);
  await controller.frame(first, 'hello');
  first.ws.close(1001, 'controller restarting');
  const second = await controller.conn(1);
  await controller.frame(second, 'hello');
  assert.is(client.stats.connects, 2);
  first.ws.terminate();
  second.ws.terminate();                          // abrupt loss, no close frame
  const third = await controller.conn(2);
  await controller.frame(third, 'hello');
});

test('HTTP 401 on upgrade → "token refused" logged, the token re-read, retried', async () => {
  const { controller, tokenReads, client } = await setup({ refuse: 401 });
  const disconnects: Array<{ httpStatus?: number; delayMs: number }> = [];
  client.on('disconnected', (d) => disconnects.push(d));
  await waitFor(() => disconnects.filter((d) => d.httpStatus === 401).length >= 2, 'two refused attempts');
  assert.ok(tokenReads() >= 2, 'the token file is read again on every attempt');
  assert.ok(disconnects.filter((d) => d.httpStatus === 401).every((d) => d.delayMs >= 20), 'refusals wait at least refusedRetryMs');
  assert.match(logLines.join(''), /token refused by the controller \(HTTP 401: token expired\)/);
  assert.is(controller.conns.length, 0);
  assert.is(client.stats.connects, 0);
  controller.refuse = undefined;
  await controller.frame(await controller.conn(0), 'hello');
});

test('close 4003 (revoked) and 4001 (superseded) are logged clearly and retried', async () => {
  const { controller, client } = await setup();
  const codes: number[] = [];
  client.on('disconnected', (d: { code: number }) => codes.push(d.code));
  const first = await controller.conn(0);
  await controller.frame(first, 'hello');
  first.ws.close(4003, 'token revoked');
  const second = await controller.conn(1);
  await controller.frame(second, 'hello');
  second.ws.close(4001, 'superseded');
  await controller.conn(2);
  assert.equal(codes.slice(0, 2), [4003, 4001]);
  const text = logLines.join('');
  assert.match(text, /revoked this agent's token \(4003\)/);
  assert.match(text, /superseded: another agent connected with this host's token \(4001\)/);
});

test('two missed pongs → the agent drops the socket and reconnects', async () => {
  const { controller, client } = await setup({ autoPong: false, pingIntervalMs: 30 });
  const first = await controller.conn(0);
  let pings = 0;
  first.ws.on('ping', () => { pings++; });
  await waitFor(() => first.closed, 'the agent to give up on the silent controller');
  assert.ok(pings >= 2, `${pings} pings before giving up`);
  await controller.conn(1);
  assert.match(logLines.join(''), /stopped answering pings/);
  assert.ok(client.stats.connects >= 1);
});

test('logs requests are answered "unsupported" plus logEnd, so the controller can end the stream', async () => {
  const { controller } = await setup();
  const conn = await controller.conn(0);
  await controller.frame(conn, 'hello');
  conn.ws.send(JSON.stringify({ type: 'logs', stream: 's1', name: 'web', tail: 10, follow: true }));
  const err = await controller.frame(conn, 'error');
  assert.is(err.code, 'unsupported');
  assert.is(err.id, 's1');
  const end = await controller.frame(conn, 'logEnd');
  assert.is(end.stream, 's1');
  conn.ws.send(JSON.stringify({ type: 'logsCancel', stream: 's1' }));
  conn.ws.send(JSON.stringify({ type: 'error', code: 'x', message: 'the controller complains' }));
  await waitFor(() => /the controller reported an error/.test(logLines.join('')), 'the error frame logged');
  assert.is(conn.frames.filter((f) => f.type === 'error').length, 1, 'error frames are never answered');
});

test('graceful stop: in-flight actions finish and report, new ones are refused, then close 1001', async () => {
  const runtime = new FakeRuntime();
  let release!: () => void;
  runtime.gate = new Promise((r) => { release = r; });
  const { controller, client } = await setup({ runtime });
  const conn = await controller.conn(0);
  await controller.frame(conn, 'hello');
  conn.ws.send(JSON.stringify({ type: 'apply', id: 'slow', container: spec('web'), policy, hostUid: 'u1' }));
  await waitFor(() => runtime.applied.length === 1, 'the apply to start');
  const stopped = client.stop(5000);
  conn.ws.send(JSON.stringify({ type: 'apply', id: 'late', container: spec('other'), policy, hostUid: 'u1' }));
  const late = await controller.frame(conn, 'result', (f) => f.id === 'late');
  assert.is(late.error?.code, 'ShuttingDown');
  assert.not.ok(conn.closed, 'still open while the apply runs');
  release();
  await stopped;
  const slow = await controller.frame(conn, 'result', (f) => f.id === 'slow');
  assert.ok(slow.ok);
  const closed = await waitFor(() => conn.closed, 'the close');
  assert.is(closed.code, 1001);
  assert.is(runtime.onChange, undefined, 'the Docker watch is closed');
  await new Promise((r) => setTimeout(r, 50));
  assert.is(controller.conns.length, 1, 'no reconnect after stop');
});

test('Docker unavailable: hello still goes out with docker.ok false and an empty inventory', async () => {
  const runtime = new FakeRuntime();
  runtime.docker = { ok: false, error: 'Docker is unavailable: connect ENOENT /var/run/docker.sock' };
  const { controller } = await setup({ runtime });
  const hello = await controller.frame(await controller.conn(0), 'hello');
  assert.equal(hello.docker, runtime.docker);
  assert.equal(hello.containers, []);
});

test('a wedged Docker (no answer) still lets hello out in time, saying so', async () => {
  const runtime = new FakeRuntime();
  runtime.inventory = () => new Promise<ObservedContainer[]>(() => { /* never answers */ });
  const { controller } = await setup({ runtime, snapshotTimeoutMs: 100 });
  const hello = await controller.frame(await controller.conn(0), 'hello');
  assert.equal(hello.docker, { ok: false, error: 'Docker did not answer within 0.1 s' });
  assert.equal(hello.containers, []);
});

test('the token never appears in the logs', () => {
  const text = logLines.join('');
  assert.ok(text.length > 0);
  assert.not.ok(text.includes(TOKEN));
  assert.not.ok(text.includes(TOKEN.split('.')[2]!), 'not even the signature');
});

test.run();
