// The fan-out's logic against a fake hub and fake viewer sockets (no network): reference counting,
// replay, grace, slow viewers, waiting and resume.
import { EventEmitter } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import type { ObservedContainer } from '../../protocol/container.js';
import type { ControllerFrame, HelloFrame, LogEntry, LogsFrame } from '../../protocol/frames.js';
import type { LogViewerMessage } from '../../protocol/log-viewer.js';
import type { HubNotifications } from '../hub/hub.js';
import { LogFanout, type LogFanoutOptions, type LogViewerSink } from './fanout.js';

const HOST = 'games/box';
const target = { namespace: 'games', host: 'box', container: 'web' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class FakeHub extends EventEmitter<HubNotifications> {
  connected = true;
  sent: ControllerFrame[] = [];
  send(_host: string, frame: ControllerFrame): boolean { if (!this.connected) return false; this.sent.push(frame); return true; }
  isConnected(): boolean { return this.connected; }
  logsFrames(): LogsFrame[] { return this.sent.filter((f): f is LogsFrame => f.type === 'logs'); }
  lastStream(): string { const f = this.logsFrames().at(-1); if (!f) throw new Error('no logs frame'); return f.stream; }
  lines(stream: string, entries: LogEntry[]): void { this.emit('log', HOST, { type: 'log', stream, entries }); }
  hello(containers: ObservedContainer[] = []): void {
    this.connected = true;
    const hello = { type: 'hello', protocolVersion: 1, agent: { version: '1', hostname: 'h', os: 'linux', arch: 'x64' }, docker: { ok: true, version: '20', cpus: 1, memoryBytes: 1 }, containers } as HelloFrame;
    this.emit('connected', HOST, hello, { hostKey: HOST, sessionId: 's', connectedAt: '', lastSeenAt: '', ready: true });
  }
}

class FakeSink implements LogViewerSink {
  messages: LogViewerMessage[] = [];
  buffered = 0;
  closed?: { code: number; reason: string };
  send(data: Buffer): void { this.messages.push(JSON.parse(data.toString()) as LogViewerMessage); }
  bufferedAmount(): number { return this.buffered; }
  close(code: number, reason: string): void { this.closed = { code, reason }; }
  lines(): string[] { return this.messages.flatMap((m) => (m.type === 'lines' ? m.entries.map((e) => e.l) : [])); }
  of<T extends LogViewerMessage['type']>(type: T): Array<Extract<LogViewerMessage, { type: T }>> {
    return this.messages.filter((m): m is Extract<LogViewerMessage, { type: T }> => m.type === type);
  }
}

const ts = (n: number) => `2026-11-29T10:00:00.${String(n).padStart(9, '0')}Z`;
const entries = (from: number, to: number, s: 'out' | 'err' = 'out'): LogEntry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ t: ts(from + i), s, l: `line ${from + i}` }));
const range = (from: number, to: number) => entries(from, to).map((e) => e.l);

function setup(extra: Partial<LogFanoutOptions> = {}) {
  const hub = new FakeHub();
  const registry = new Registry();
  const fanout = new LogFanout({ hub, registry, graceMs: 40, gapCheckMs: 5, retryMinMs: 20, retryMaxMs: 40, ...extra });
  const metric = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values[0]?.value;
  return { hub, fanout, metric };
}

test('two viewers of one container share one agent stream; both get every line', async () => {
  const { hub, fanout, metric } = setup();
  const a = new FakeSink();
  const b = new FakeSink();
  fanout.subscribe(target, 50, a);
  fanout.subscribe(target, 50, b);
  assert.is(hub.logsFrames().length, 1);
  assert.equal({ ...hub.logsFrames()[0]!, stream: 'x' }, { type: 'logs', stream: 'x', name: 'web', follow: true, tail: 50 });
  hub.lines(hub.lastStream(), entries(1, 3));
  assert.equal(a.lines(), range(1, 3));
  assert.equal(b.lines(), range(1, 3));
  assert.equal(a.messages[0], { type: 'ready', ...target, replayed: 0 });
  assert.is(await metric('berth_log_agent_streams'), 1);
  assert.is(await metric('berth_log_agent_streams_opened_total'), 1);
  assert.is(await metric('berth_log_viewers'), 2);
});

test('a late viewer gets up to `tail` lines of the ring first, then live lines', () => {
  const { hub, fanout } = setup({ ringSize: 10 });
  fanout.subscribe(target, 200, new FakeSink());
  hub.lines(hub.lastStream(), entries(1, 25));
  const late = new FakeSink();
  fanout.subscribe(target, 4, late);
  assert.equal(late.messages[0], { type: 'ready', ...target, replayed: 4 });
  assert.equal(late.lines(), range(22, 25));
  const all = new FakeSink();
  fanout.subscribe(target, 1000, all);
  assert.equal(all.lines(), range(16, 25), 'the ring holds the last 10');
  hub.lines(hub.lastStream(), entries(26, 26));
  assert.equal(late.lines(), range(22, 26));
});

test('the last viewer leaving cancels the agent stream after the grace period, not before; a return within it reuses the stream', async () => {
  const { hub, fanout, metric } = setup();
  const sub = fanout.subscribe(target, 10, new FakeSink());
  const id = hub.lastStream();
  hub.lines(id, entries(1, 2));
  sub.close();
  await sleep(15);
  const back = new FakeSink();
  const sub2 = fanout.subscribe(target, 10, back);
  assert.equal(back.lines(), range(1, 2), 'replayed from the kept ring');
  assert.is(hub.logsFrames().length, 1, 'no second agent stream');
  sub2.close();
  sub2.close();   // idempotent
  assert.is(await metric('berth_log_viewers'), 0);
  assert.not.ok(hub.sent.some((f) => f.type === 'logsCancel'));
  await sleep(80);
  assert.equal(hub.sent.filter((f) => f.type === 'logsCancel'), [{ type: 'logsCancel', stream: id }]);
  assert.is(await metric('berth_log_agent_streams'), 0);
  assert.is(fanout.stats().streams, 0);
  hub.lines(id, entries(3, 3));
  assert.is(hub.sent.filter((f) => f.type === 'logsCancel').length, 1, 'late frames of a cancelled stream are not answered again');
});

test('a slow viewer has lines dropped and then gets one gap; the others get everything', async () => {
  const { hub, fanout, metric } = setup({ viewerMaxBufferedBytes: 1000 });
  const slow = new FakeSink();
  const fast = new FakeSink();
  fanout.subscribe(target, 0, slow);
  fanout.subscribe(target, 0, fast);
  const id = hub.lastStream();
  hub.lines(id, entries(1, 2));
  slow.buffered = 5000;
  hub.lines(id, entries(3, 5));
  hub.lines(id, entries(6, 7));
  assert.equal(fast.lines(), range(1, 7));
  assert.equal(slow.lines(), range(1, 2));
  assert.is(await metric('berth_log_lines_dropped_total'), 5);
  slow.buffered = 0;
  await sleep(30);
  assert.equal(slow.messages.at(-1), { type: 'gap', dropped: 5 }, 'the gap comes once it drained, even with no new lines');
  hub.lines(id, entries(8, 8));
  assert.equal(slow.lines(), [...range(1, 2), 'line 8']);
  assert.is(slow.of('gap').length, 1);
});

test('agent disconnect → waiting; reconnect → asked again from the newest line, without duplicates', () => {
  const { hub, fanout } = setup();
  const v = new FakeSink();
  fanout.subscribe(target, 10, v);
  const first = hub.lastStream();
  hub.lines(first, entries(1, 3));
  hub.connected = false;
  hub.emit('disconnected', HOST, 'gone', { code: 1006, sessionId: 's' });
  assert.equal(v.messages.at(-1), { type: 'waiting', reason: `the agent of host ${HOST} disconnected` });
  hub.hello();
  const again = hub.logsFrames().at(-1)!;
  assert.is.not(again.stream, first);
  assert.is(again.since, ts(3));
  hub.lines(again.stream, entries(2, 5));   // Docker's since is inclusive (and clocks are what they are)
  assert.equal(v.lines(), range(1, 5));
  hub.lines(first, entries(9, 9));
  assert.equal(v.lines(), range(1, 5), 'frames of the old stream id are ignored');
});

test('subscribing while the agent is away says waiting, and the stream opens when it connects', () => {
  const { hub, fanout } = setup();
  hub.connected = false;
  const v = new FakeSink();
  fanout.subscribe(target, 10, v);
  assert.equal(v.messages.map((m) => m.type), ['ready', 'waiting']);
  assert.is(hub.logsFrames().length, 0);
  hub.hello();
  assert.is(hub.logsFrames().length, 1);
  const late = new FakeSink();
  fanout.subscribe(target, 10, late);
  assert.equal(late.messages.map((m) => m.type), ['ready', 'waiting'], 'still waiting until a line arrives');
  hub.lines(hub.lastStream(), entries(1, 1));
  assert.equal(v.lines(), ['line 1']);
});

test('a stream that ends (container stopped) waits, retries with backoff, and resumes at once when the container runs again', async () => {
  const { hub, fanout, metric } = setup({ retryMinMs: 1000, retryMaxMs: 1000 });
  const v = new FakeSink();
  fanout.subscribe(target, 10, v);
  const id = hub.lastStream();
  hub.lines(id, entries(1, 1));
  hub.emit('logEnd', HOST, { type: 'logEnd', stream: id, reason: 'container web is not running (exited, exit code 0)' });
  assert.equal(v.messages.at(-1), { type: 'waiting', reason: 'container web is not running (exited, exit code 0)' });
  assert.is(await metric('berth_log_agent_streams'), 0);
  const observed = (state: ObservedContainer['state'], id: string) => hub.emit('observed', HOST, {
    type: 'observed', docker: { ok: true, version: '20', cpus: 1, memoryBytes: 1 },
    containers: [{ name: 'web', containerID: id, image: 'i', imageID: 'x', state, health: 'none', restartCount: 0 }],
  });
  observed('exited', 'c1');
  assert.is(hub.logsFrames().length, 1, 'not running: nothing to ask yet');
  observed('running', 'c1');
  assert.is(hub.logsFrames().length, 2, 'running again: asked at once');
  assert.is(hub.logsFrames()[1]!.since, ts(1));
  assert.is(await metric('berth_log_agent_streams_opened_total'), 2);
});

test('an agent error for the stream id (an agent without logs) ends it like logEnd; retries back off', async () => {
  const { hub, fanout } = setup({ retryMinMs: 10, retryMaxMs: 10 });
  const v = new FakeSink();
  fanout.subscribe(target, 10, v);
  hub.emit('agentError', HOST, { type: 'error', id: hub.lastStream(), code: 'unsupported', message: 'no logs here' });
  assert.equal(v.messages.at(-1), { type: 'waiting', reason: 'the agent refused the log stream: no logs here' });
  await sleep(40);
  assert.ok(hub.logsFrames().length >= 2, 'asked again later');
});

test('a container no longer declared: viewers get error and are closed 1008', () => {
  let declared = true;
  const { hub, fanout } = setup({ isDeclared: () => declared });
  const v = new FakeSink();
  fanout.subscribe(target, 10, v);
  declared = false;
  hub.emit('logEnd', HOST, { type: 'logEnd', stream: hub.lastStream(), reason: 'container web was removed' });
  assert.is(v.messages.at(-1)?.type, 'error');
  assert.is(v.closed?.code, 1008);
  assert.is(fanout.stats().streams, 0);
});

test('recheck: a container removed from the spec ends its viewers even while lines still flow', () => {
  let declared = true;
  const { hub, fanout } = setup({ isDeclared: () => declared });
  const v = new FakeSink();
  fanout.subscribe(target, 10, v);
  const id = hub.lastStream();
  fanout.recheck(HOST);
  assert.is(v.closed, undefined, 'still declared: nothing happens');
  declared = false;
  fanout.recheck('other/host');
  assert.is(v.closed, undefined, 'another host: nothing happens');
  fanout.recheck(HOST);
  assert.equal(v.messages.at(-1), { type: 'error', code: 'NotFound', message: `container web is no longer declared on host ${HOST}` });
  assert.is(v.closed?.code, 1008);
  assert.equal(hub.sent.at(-1), { type: 'logsCancel', stream: id });
});

test('close() cancels agent streams and closes viewers 1001', () => {
  const { hub, fanout } = setup();
  const v = new FakeSink();
  fanout.subscribe(target, 10, v);
  fanout.close();
  assert.is(v.closed?.code, 1001);
  assert.is(hub.sent.at(-1)?.type, 'logsCancel');
  const late = new FakeSink();
  fanout.subscribe(target, 10, late);
  assert.is(late.closed?.code, 1001);
});

test.run();
