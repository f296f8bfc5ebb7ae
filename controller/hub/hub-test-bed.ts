// The bed shared by the agent hub's tests (hub-handshake.test.ts, hub.test.ts): the hub on a real
// http.Server on 127.0.0.1:0, agents on the real `ws` client, real jose tokens verified by
// controller/tokens. Every wait is bounded. Test-only; nothing in the product imports it.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket, type ClientOptions } from 'ws';
import { splitKey, type AgentToken } from '../api/types.js';
import { mintAgentToken } from '../tokens/mint.js';
import { generateSigningKey, importSigningKey } from '../tokens/signing-key.js';
import { verifyAgentToken } from '../tokens/verify.js';
import { startHubServer } from '../../test/support/hub-server.js';
import { until } from '../../test/support/wait.js';
import type { AgentHub, AgentHubOptions } from './hub.js';

export const key = await importSigningKey(await generateSigningKey());
export const otherKey = await importSigningKey(await generateSigningKey());
export const policy = { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: ['/srv'] };
export const HELLO = {
  type: 'hello', protocolVersion: 1,
  agent: { version: '0.1.0', hostname: 'box-1.example', os: 'linux', arch: 'x64' },
  docker: { ok: true, version: '27.1.0', cpus: 4, memoryBytes: 8 * 2 ** 30 },
  containers: [],
};
export const OBSERVED = { type: 'observed', docker: { ok: true, version: '27.1.0', cpus: 4, memoryBytes: 1 }, containers: [] };

/** Every JWT this process mints: none may ever show up in the hub's logs (testNoTokenInLogs). */
export const minted: string[] = [];
export const logLines: string[] = [];
export const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); if (process.env.BERTH_TEST_SHOW_LOGS) process.stderr.write(String(chunk)); cb(); } }));

function agentToken(host: string, uid: string, ns = 'games'): AgentToken {
  return {
    apiVersion: 'berth.dev/v1alpha1', kind: 'AgentToken',
    metadata: { name: `${host}-token`, namespace: ns, uid, generation: 1 },
    spec: { hostRef: { name: host } },
  };
}

export async function jwtFor(t: AgentToken, opts: { now?: number; ttl?: string; signer?: typeof key } = {}): Promise<string> {
  const token = opts.ttl ? { ...t, spec: { ...t.spec, ttl: opts.ttl } } : t;
  const { jwt } = await mintAgentToken(token, opts.signer ?? key, opts.now !== undefined ? { now: opts.now } : {});
  minted.push(jwt);
  return jwt;
}

export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms); }),
  ]);
}
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Bed {
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

export type Frame = Record<string, unknown> & { type: string };

export class Agent {
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
export function refusal(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
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

export async function counter(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name) as Counter | undefined;
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((n, v) => n + v.value, 0);
}

export async function withBed(over: Partial<AgentHubOptions>, fn: (b: Bed) => Promise<void>): Promise<void> {
  const b = await bed(over);
  try { await fn(b); } finally { await b.teardown(); }
}

/**
 * The last test of each hub test file: every JWT that file's process minted is checked against
 * everything the hub logged there (the lists are per process, so each file runs its own check).
 */
export function testNoTokenInLogs(): void {
  test('no token ever reaches the logs', () => {
    assert.ok(minted.length > 10);
    assert.ok(logLines.length > 10);
    const all = logLines.join('');
    for (const jwt of minted) {
      const signature = jwt.split('.')[2]!;
      assert.not.ok(all.includes(signature), 'a token signature appears in the logs');
    }
  });
}
