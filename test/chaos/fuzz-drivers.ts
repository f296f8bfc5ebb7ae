// Drive fuzz frames into a real process and check every answer against the oracle (fuzz.ts):
// - fuzzHub: the real controller (`berth controller --dir`), over authenticated agent sockets;
// - fuzzAgent: the real agent (`berth agent`), dialling a WebSocket server of the test that plays
//   the controller.
// Both measure the target's resident memory before and after (the controller's /metrics, the agent's
// /proc/<pid>/status) and report what they saw; the tests assert.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { BerthEnv, until } from '../support/berth-env.js';
import { repoRoot } from '../support/paths.js';
import { agentCorpus, agentDecoder, controllerCorpus, controllerDecoder, expectation, Fuzzer, type Expectation, type FuzzFrame } from './fuzz.js';
import { metric, Rng, sleep, type Log } from './support.js';

export interface FuzzReport {
  frames: number;
  connections: number;
  /** error replies the oracle expected / got (in order, per connection). */
  errorsExpected: number;
  errorsReceived: number;
  /** Frames the target accepted as valid (no error reply expected). */
  accepted: number;
  /** Close codes seen, with how often. */
  closes: Record<string, number>;
  /** Everything that differed from the oracle (first 20). */
  mismatches: string[];
  kinds: Record<string, number>;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  rssPeakBytes: number;
  /** The target process is still running and answering at the end. */
  alive: boolean;
  ms: number;
}

const toText = (d: RawData): string => (Buffer.isBuffer(d) ? d : Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d)).toString('utf8');
const bump = (r: Record<string, number>, k: string) => { r[k] = (r[k] ?? 0) + 1; };
const describe = (f: FuzzFrame) => `${f.kind}${f.binary ? ' (binary)' : ''}: ${(typeof f.data === 'string' ? f.data : f.data.toString('latin1')).slice(0, 120)}`;

interface Incoming { type?: string; code?: string; id?: string; message?: string }

/** One WebSocket with its received frames and close, as promises a driver can wait on. */
class Conn {
  readonly frames: Incoming[] = [];
  closed?: { code: number; reason: string };
  private waiters: Array<() => void> = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d, isBinary) => {
      if (isBinary) this.frames.push({ type: '<binary>' });
      else { try { this.frames.push(JSON.parse(toText(d)) as Incoming); } catch { this.frames.push({ type: '<not json>' }); } }
      this.wake();
    });
    ws.on('close', (code, reason) => { this.closed = { code, reason: reason.toString() }; this.wake(); });
    ws.on('error', () => { /* the close event reports */ });
  }
  private wake() { const w = this.waiters; this.waiters = []; for (const f of w) f(); }
  /** Resolve when `done()` holds, or after `ms` (resolving false). */
  async until(done: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (!done()) {
      const left = end - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => { const t = setTimeout(resolve, Math.min(left, 250)); this.waiters.push(() => { clearTimeout(t); resolve(); }); });
    }
    return true;
  }
  errors(): Incoming[] { return this.frames.filter((f) => f.type === 'error'); }
  send(f: FuzzFrame): void { if (this.ws.readyState === WebSocket.OPEN) this.ws.send(f.data, { binary: f.binary }); }
  async close(): Promise<void> {
    if (this.closed) return;
    try { this.ws.close(1000, 'fuzz batch done'); } catch { /* closing */ }
    if (!(await this.until(() => !!this.closed, 3000))) this.ws.terminate();
  }
}

/** Is this an agent frame the hub answers with 4002 before hello (a hello of another protocol version)? */
function foreignHello(data: string | Buffer): boolean {
  try {
    const v = JSON.parse(typeof data === 'string' ? data : data.toString('utf8')) as { type?: unknown; protocolVersion?: unknown };
    return !!v && typeof v === 'object' && v.type === 'hello' && typeof v.protocolVersion === 'number' && v.protocolVersion !== 1;
  } catch { return false; }
}

// ---------------------------------------------------------------- the hub

export interface HubFuzzOptions { frames: number; seed: number; lanes?: number; log?: Log }

export async function fuzzHub(o: HubFuzzOptions): Promise<FuzzReport> {
  const log = o.log ?? (() => {});
  const lanes = o.lanes ?? 3;
  const env = new BerthEnv();
  const decoder = agentDecoder();
  const report: FuzzReport = { frames: 0, connections: 0, errorsExpected: 0, errorsReceived: 0, accepted: 0, closes: {}, mismatches: [], kinds: {}, rssBeforeBytes: 0, rssAfterBytes: 0, rssPeakBytes: 0, alive: false, ms: 0 };
  const mismatch = (m: string) => { if (report.mismatches.length < 20) report.mismatches.push(m); };
  const hosts = Array.from({ length: lanes }, (_, i) => `fz${i}`);
  try {
    env.write('fuzz.yaml', hosts.map((h) => env.hostYaml(h, 'containers: []')).join('---\n'));
    await env.startController();
    const tokens = await Promise.all(hosts.map(async (h) => {
      await until(`token of ${h}`, () => { try { return readFileSync(env.tokenFile(h), 'utf8').trim() || undefined; } catch { return undefined; } }, 15_000);
      return readFileSync(env.tokenFile(h), 'utf8').trim();
    }));
    const rss = async () => (await metric(env, 'process_resident_memory_bytes')) ?? 0;
    report.rssBeforeBytes = await rss();
    report.rssPeakBytes = report.rssBeforeBytes;
    const sampler = setInterval(() => { void rss().then((v) => { report.rssPeakBytes = Math.max(report.rssPeakBytes, v); }, () => {}); }, 500);
    const started = Date.now();
    const hello = JSON.stringify(agentCorpus()[0]);
    const perLane = Math.ceil(o.frames / lanes);

    const lane = async (i: number) => {
      const rng = new Rng((o.seed + i * 7919) >>> 0);
      const fuzzer = new Fuzzer(rng, agentCorpus(), { terminal: true });
      let sent = 0;
      while (sent < perLane) {
        const ws = new WebSocket(`${env.url.replace(/^http/, 'ws')}/agent/v1/connect`, { headers: { Authorization: `Bearer ${tokens[i]}` }, maxPayload: 64 * 1024 * 1024 });
        const c = new Conn(ws);
        const opened = await new Promise<boolean>((resolve) => { ws.once('open', () => resolve(true)); ws.once('unexpected-response', () => resolve(false)); ws.once('error', () => resolve(false)); });
        if (!opened) { mismatch(`lane ${i}: connection refused`); await sleep(200); continue; }
        report.connections++;
        const expected: string[] = [];
        const batchFrames: FuzzFrame[] = [];
        let closeWanted: number | undefined;

        // Sometimes the first frame is a fuzz frame instead of hello.
        let welcomed = false;
        if (rng.chance(0.15)) {
          const f = fuzzer.next();
          sent++; report.frames++; bump(report.kinds, f.kind);
          const d = f.terminal || f.binary ? undefined : decoder.decode(f.data);
          if (f.terminal) closeWanted = f.terminal;
          else if (f.binary) expected.push('binary');
          else if (d && !d.ok) { if (foreignHello(f.data)) closeWanted = 4002; else expected.push(d.code); }
          else if (d?.ok && d.frame.type === 'hello') { if ((d.frame as { protocolVersion?: number }).protocolVersion === 1) welcomed = true; else closeWanted = 4002; }
          else if (d?.ok && d.frame.type !== 'error') expected.push('expected_hello');
          batchFrames.push(f);
          c.send(f);
          if (welcomed && !(await c.until(() => c.frames.some((x) => x.type === 'welcome') || !!c.closed, 10_000))) mismatch(`lane ${i}: no welcome after a valid fuzzed hello`);
        }
        if (closeWanted === undefined && !welcomed) {
          c.ws.send(hello);
          if (!(await c.until(() => c.frames.some((x) => x.type === 'welcome') || !!c.closed, 10_000))) mismatch(`lane ${i}: no welcome`);
        }
        // A batch below the hub's invalid-frame limit (20 per 10 s), so the limit never ends it.
        const batch = closeWanted === undefined ? Math.min(18, perLane - sent) : 0;
        for (let k = 0; k < batch && !c.closed; k++) {
          const f = fuzzer.next();
          sent++; report.frames++; bump(report.kinds, f.kind);
          const e: Expectation = f.terminal ? { reply: 'close', code: f.terminal } : expectation(f, decoder, 'binary');
          if (e.reply === 'error') expected.push(e.code);
          else if (e.reply === 'close') closeWanted = e.code;
          else if (e.type === 'hello') expected.push('unexpected_hello');
          // Nothing is dispatched to the fuzz lanes, so every well-formed result names an unknown id (issue 12).
          else if (e.type === 'result') expected.push('unknown_result');
          else report.accepted++;
          batchFrames.push(f);
          c.send(f);
          if (e.reply === 'close') break;
        }
        report.errorsExpected += expected.length;
        const done = await c.until(() => c.errors().length >= expected.length && (closeWanted === undefined || !!c.closed), 15_000);
        const got = c.errors().map((x) => x.code ?? '?');
        report.errorsReceived += got.length;
        if (!done || JSON.stringify(got) !== JSON.stringify(expected)) mismatch(`lane ${i} connection ${report.connections}: expected errors ${JSON.stringify(expected)}${closeWanted ? ` then close ${closeWanted}` : ''}, got ${JSON.stringify(got)} close ${JSON.stringify(c.closed)}; frames: ${batchFrames.map(describe).join(' | ').slice(0, 1500)}`);
        if (closeWanted !== undefined && c.closed && c.closed.code !== closeWanted) mismatch(`lane ${i}: expected close ${closeWanted}, got ${c.closed.code} ${c.closed.reason}`);
        if (closeWanted === undefined && c.closed) mismatch(`lane ${i}: closed unexpectedly ${c.closed.code} ${c.closed.reason}`);
        await c.close();
        bump(report.closes, String(c.closed?.code ?? 'none'));
      }
    };
    await Promise.all(hosts.map((_, i) => lane(i)));
    clearInterval(sampler);
    report.ms = Date.now() - started;
    await sleep(1000);   // let the controller settle (status writes of the last sessions)
    report.rssAfterBytes = await rss();
    report.rssPeakBytes = Math.max(report.rssPeakBytes, report.rssAfterBytes);
    report.alive = env.controller?.exitCode === null && (await env.get('/healthz')).status === 200;
    log(`  hub: ${report.frames} frames over ${report.connections} connections in ${(report.ms / 1000).toFixed(1)} s; ${report.errorsReceived}/${report.errorsExpected} error replies as expected, ${report.accepted} accepted; closes ${JSON.stringify(report.closes)}; RSS ${mb(report.rssBeforeBytes)} → ${mb(report.rssAfterBytes)} (peak ${mb(report.rssPeakBytes)}); mismatches ${report.mismatches.length}`);
    return report;
  } finally {
    if (report.mismatches.length || !report.alive) log(env.logs().slice(-3000));
    await env.cleanup();
  }
}

export const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;

// ---------------------------------------------------------------- the agent

export interface AgentFuzzOptions { frames: number; seed: number; log?: Log }

/** VmRSS of a process, in bytes. */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

export async function fuzzAgent(o: AgentFuzzOptions): Promise<FuzzReport> {
  const log = o.log ?? (() => {});
  const rng = new Rng(o.seed);
  const host = { namespace: 'berth-fuzz', name: 'agent', uid: 'fuzz-uid' };
  const decoder = controllerDecoder();
  const report: FuzzReport = { frames: 0, connections: 0, errorsExpected: 0, errorsReceived: 0, accepted: 0, closes: {}, mismatches: [], kinds: {}, rssBeforeBytes: 0, rssAfterBytes: 0, rssPeakBytes: 0, alive: false, ms: 0 };
  const mismatch = (m: string) => { if (report.mismatches.length < 20) report.mismatches.push(m); };
  const dir = mkdtempSync(join(tmpdir(), 'berth-fuzz-'));
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/agent/v1/connect', maxPayload: 64 * 1024 * 1024 });
  const conns: Conn[] = [];
  const waiters: Array<(c: Conn) => void> = [];
  wss.on('connection', (ws) => { const c = new Conn(ws); report.connections++; conns.push(c); for (const w of waiters.splice(0)) w(c); });
  const nextConn = (ms: number) => new Promise<Conn | undefined>((resolve) => { const t = setTimeout(() => resolve(undefined), ms); waiters.push((c) => { clearTimeout(t); resolve(c); }); });
  let agent: ChildProcess | undefined;
  const output: string[] = [];
  try {
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: 'fuzz' }).setIssuer('berth').setAudience('berth-agent')
      .setSubject(`${host.namespace}/${host.name}`).setJti('fuzz').setIssuedAt().sign(privateKey);
    writeFileSync(join(dir, 'token'), jwt, { mode: 0o600 });
    const port = (wss.address() as AddressInfo).port;
    const first = nextConn(30_000);
    // Docker is pointed at nothing on purpose: valid fuzzed `apply` frames (random specs, some
    // privileged) must never reach the shared dockerd; they fail fast with "Docker unavailable".
    agent = spawn(process.execPath, [join(repoRoot, 'bin/berth.js'), 'agent', '--url', `ws://127.0.0.1:${port}`, '--token-file', join(dir, 'token'), '--log-level', 'error'], {
      env: { ...process.env, DOCKER_HOST: `unix://${join(dir, 'no-docker.sock')}` }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent.stdout!.on('data', (c: Buffer) => { output.push(c.toString()); if (output.length > 200) output.splice(0, 100); });
    agent.stderr!.on('data', (c: Buffer) => { output.push(c.toString()); if (output.length > 200) output.splice(0, 100); });
    const pid = agent.pid!;

    const greet = async (c: Conn | undefined, what: string): Promise<Conn> => {
      if (!c) throw new Error(`the agent did not connect (${what})\n${output.join('').slice(-2000)}`);
      if (!(await c.until(() => c.frames.some((f) => f.type === 'hello'), 10_000))) throw new Error(`no hello from the agent (${what})`);
      c.ws.send(JSON.stringify(controllerCorpus(host)[0]));
      return c;
    };
    let c = await greet(await first, 'first connection');
    await sleep(500);
    report.rssBeforeBytes = rssOf(pid);
    report.rssPeakBytes = report.rssBeforeBytes;
    const started = Date.now();
    const fuzzer = new Fuzzer(rng, controllerCorpus(host), { terminal: false });
    const DECODER_CODES = new Set(['bad_json', 'unknown_type', 'invalid', 'too_large']);
    const decodeErrors = () => c.errors().filter((e) => DECODER_CODES.has(e.code ?? ''));
    let errorBase = 0;
    const wantResults = new Map<string, number>();
    while (report.frames < o.frames) {
      const expected: string[] = [];
      const n = Math.min(200, o.frames - report.frames);
      for (let k = 0; k < n; k++) {
        const f = fuzzer.next();
        report.frames++; bump(report.kinds, f.kind);
        const e = expectation(f, decoder, 'invalid');
        if (e.reply === 'error') expected.push(e.code);
        else if (e.reply === 'none') {
          report.accepted++;
          if (e.type === 'apply' || e.type === 'remove') {
            const id = (JSON.parse(f.data as string) as { id: string }).id;
            wantResults.set(id, (wantResults.get(id) ?? 0) + 1);
          }
        }
        c.send(f);
      }
      report.errorsExpected += expected.length;
      const ok = await c.until(() => decodeErrors().length - errorBase >= expected.length || !!c.closed, 20_000);
      const got = decodeErrors().slice(errorBase).map((x) => x.code ?? '?');
      errorBase += got.length;
      report.errorsReceived += got.length;
      if (!ok || c.closed || JSON.stringify(got) !== JSON.stringify(expected)) {
        mismatch(`batch ending at frame ${report.frames}: expected ${expected.length} errors, got ${got.length}; closed ${JSON.stringify(c.closed)}; first difference at ${got.findIndex((g, i) => g !== expected[i])}`);
        if (c.closed) break;
      }
      report.rssPeakBytes = Math.max(report.rssPeakBytes, rssOf(pid));
    }
    // Every accepted apply/remove gets its result (Docker is unavailable, so ok=false, quickly).
    const resultsDone = await c.until(() => {
      const got = new Map<string, number>();
      for (const f of c.frames) if (f.type === 'result' && typeof f.id === 'string') got.set(f.id, (got.get(f.id) ?? 0) + 1);
      return [...wantResults].every(([id, n]) => (got.get(id) ?? 0) >= n);
    }, 30_000);
    if (!resultsDone) {
      const got = new Map<string, number>();
      for (const f of c.frames) if (f.type === 'result' && typeof f.id === 'string') got.set(f.id, (got.get(f.id) ?? 0) + 1);
      const missing = [...wantResults].filter(([id, n]) => (got.get(id) ?? 0) < n).map(([id, n]) => `${id.slice(0, 40)}: ${got.get(id) ?? 0}/${n}`);
      mismatch(`accepted apply/remove frames without a result: ${missing.slice(0, 5).join(', ')}`);
    }
    const internal = c.errors().filter((e) => e.code === 'internal');
    if (internal.length) mismatch(`the agent reported ${internal.length} internal errors, e.g. ${internal[0]?.message}`);
    report.ms = Date.now() - started;

    // Terminal frames: an oversized frame (close 1009) and invalid UTF-8 (close 1007); the agent
    // must reconnect and say hello again each time.
    for (const [data, code] of [['x'.repeat(1024 * 1024 + 1), 1009], [Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), 1007]] as const) {
      const next = nextConn(30_000);
      c.ws.send(data, { binary: false });
      const closed = await c.until(() => !!c.closed, 10_000);
      if (!closed) mismatch(`the agent did not close on a frame that needs close ${code}`);
      else if (c.closed!.code !== code) mismatch(`expected close ${code}, got ${c.closed!.code} ${c.closed!.reason}`);
      bump(report.closes, String(c.closed?.code ?? 'none'));
      c = await greet(await next, `after close ${code}`);
    }
    await sleep(500);
    report.rssAfterBytes = rssOf(pid);
    report.rssPeakBytes = Math.max(report.rssPeakBytes, report.rssAfterBytes);
    // Still answering: one more invalid frame, one more error reply.
    c.ws.send('{"type":"nope"}');
    report.alive = agent.exitCode === null && await c.until(() => c.errors().some((e) => e.code === 'unknown_type'), 10_000);
    log(`  agent: ${report.frames} frames in ${(report.ms / 1000).toFixed(1)} s over ${report.connections} connections; ${report.errorsReceived}/${report.errorsExpected} error replies as expected, ${report.accepted} accepted (${[...wantResults.values()].reduce((a, b) => a + b, 0)} apply/remove answered); closes ${JSON.stringify(report.closes)}; RSS ${mb(report.rssBeforeBytes)} → ${mb(report.rssAfterBytes)} (peak ${mb(report.rssPeakBytes)}); mismatches ${report.mismatches.length}`);
    return report;
  } finally {
    if ((report.mismatches.length || !report.alive) && output.length) log(output.join('').slice(-3000));
    if (agent && agent.exitCode === null) { const gone = new Promise((r) => agent!.once('exit', r)); agent.kill('SIGKILL'); await gone; }
    for (const c of conns) c.ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- floods at the hub

export interface FloodReport {
  /** Invalid flood: the close code and reason, and how many error replies came before it. */
  invalidClose: { code: number; reason: string } | undefined;
  invalidReplies: number;
  /** Valid flood: frames sent, frames the hub counted as received, throttling episodes, still open, time. */
  validSent: number;
  validReceived: number;
  throttled: number;
  validOpen: boolean;
  validMs: number;
  healthzWorstMs: number;
  alive: boolean;
}

/**
 * Floods the real controller from one authenticated agent socket: first invalid frames (the hub must
 * close with 4004 and say why), then valid `log` frames (the hub must throttle, not drop or close).
 */
export async function floodHub(o: { invalid: number; valid: number; log?: Log }): Promise<FloodReport> {
  const log = o.log ?? (() => {});
  const env = new BerthEnv();
  try {
    env.write('flood.yaml', env.hostYaml('flood', 'containers: []'));
    await env.startController();
    await until('token', () => { try { return readFileSync(env.tokenFile('flood'), 'utf8').trim() || undefined; } catch { return undefined; } }, 15_000);
    const token = readFileSync(env.tokenFile('flood'), 'utf8').trim();
    const open = async (): Promise<Conn> => {
      const ws = new WebSocket(`${env.url.replace(/^http/, 'ws')}/agent/v1/connect`, { headers: { Authorization: `Bearer ${token}` } });
      const c = new Conn(ws);
      await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('unexpected-response', () => reject(new Error('refused'))); });
      ws.send(JSON.stringify(agentCorpus()[0]));
      if (!(await c.until(() => c.frames.some((f) => f.type === 'welcome'), 10_000))) throw new Error('no welcome');
      return c;
    };
    const a = await open();
    for (let i = 0; i < o.invalid && !a.closed; i++) a.ws.send(`{"type":"flood-${i}"`);
    await a.until(() => !!a.closed, 10_000);
    const invalidReplies = a.errors().length;

    const b = await open();
    const received = async () => (await metric(env, 'berth_hub_frames_received_total', 'type="log"')) ?? 0;
    const before = await received();
    const frame = JSON.stringify({ type: 'log', stream: 'flood', entries: [{ t: '2026-01-01T00:00:00Z', s: 'out', l: 'flood line' }] });
    const started = Date.now();
    let worst = 0;
    const probe = setInterval(() => { const t = Date.now(); void env.get('/healthz').then(() => { worst = Math.max(worst, Date.now() - t); }, () => {}); }, 200);
    for (let i = 0; i < o.valid; i++) b.ws.send(frame);
    await until('every flood frame received', async () => (await received()) - before >= o.valid || !!b.closed, 120_000, 200);
    clearInterval(probe);
    const report: FloodReport = {
      invalidClose: a.closed, invalidReplies,
      validSent: o.valid, validReceived: (await received()) - before, throttled: (await metric(env, 'berth_hub_throttled_total')) ?? 0,
      validOpen: !b.closed, validMs: Date.now() - started, healthzWorstMs: worst,
      alive: env.controller?.exitCode === null && (await env.get('/healthz')).status === 200,
    };
    await b.close();
    log(`  flood: ${o.invalid} invalid frames → close ${report.invalidClose?.code} "${report.invalidClose?.reason}" after ${invalidReplies} error replies; ${o.valid} valid frames → ${report.validReceived} received in ${(report.validMs / 1000).toFixed(1)} s, throttled ${report.throttled}×, still open: ${report.validOpen}, worst /healthz ${worst} ms`);
    return report;
  } finally {
    await env.cleanup();
  }
}
