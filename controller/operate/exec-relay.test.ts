import { EventEmitter } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXEC_WINDOW_BYTES } from '../../protocol/exec.js';
import type { ControllerFrame } from '../../protocol/frames.js';
import type { HubNotifications } from '../hub/hub.js';
import { ExecRelay, LOW_WATER_BYTES, type ExecResult } from './exec-relay.js';
import { commandText, parseStart } from './exec-socket.js';

class FakeHub extends EventEmitter<HubNotifications> {
  sent: ControllerFrame[] = [];
  connected = true;
  send(_k: string, f: ControllerFrame): boolean { this.sent.push(f); return true; }
  isConnected(): boolean { return this.connected; }
}

function setup() {
  const hub = new FakeHub();
  const relay = new ExecRelay(hub);
  const sink = { out: [] as string[], buffered: 0, paused: [] as boolean[], result: undefined as ExecResult | undefined };
  const handle = relay.open('ns/h', { container: 'c', cmd: ['sh'], tty: false, stdin: true }, {
    output: (s, d) => { sink.out.push(`${s}:${d.toString()}`); },
    bufferedAmount: () => sink.buffered,
    pauseInput: (p) => { sink.paused.push(p); },
    ended: (r) => { sink.result = r; },
  })!;
  return { hub, relay, sink, handle };
}
const b64 = (s: string) => Buffer.from(s).toString('base64');

test('output is credited back at once while the operator keeps up, and only after it drains otherwise', async () => {
  const { hub, sink, handle } = setup();
  assert.is(hub.sent[0]!.type, 'execStart');
  hub.emit('exec', 'ns/h', { type: 'execOutput', id: handle.id, stream: 'out', data: b64('hello') });
  assert.equal(sink.out, ['out:hello']);
  assert.equal(hub.sent.at(-1), { type: 'execCredit', id: handle.id, bytes: 5 });
  sink.buffered = LOW_WATER_BYTES + 1;
  hub.emit('exec', 'ns/h', { type: 'execOutput', id: handle.id, stream: 'err', data: b64('slow') });
  const n = hub.sent.length;
  await new Promise((r) => setTimeout(r, 40));
  assert.is(hub.sent.length, n, 'no credit while the operator socket is backed up');
  sink.buffered = 0;
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(hub.sent.at(-1), { type: 'execCredit', id: handle.id, bytes: 4 });
});

test('stdin pauses at a window in flight and resumes on the agent\'s credit; frames of another host are ignored', () => {
  const { hub, sink, handle } = setup();
  handle.input(Buffer.alloc(EXEC_WINDOW_BYTES));
  assert.equal(sink.paused, [true]);
  assert.ok(hub.sent.filter((f) => f.type === 'execInput').length >= 16, 'chunked');
  hub.emit('exec', 'ns/other', { type: 'execCredit', id: handle.id, bytes: EXEC_WINDOW_BYTES });
  assert.equal(sink.paused, [true]);
  hub.emit('exec', 'ns/h', { type: 'execCredit', id: handle.id, bytes: EXEC_WINDOW_BYTES });
  assert.equal(sink.paused, [true, false]);
  hub.emit('exec', 'ns/other', { type: 'execEnd', id: handle.id, exitCode: 9 });
  assert.is(sink.result, undefined);
  hub.emit('exec', 'ns/h', { type: 'execEnd', id: handle.id, exitCode: 3 });
  assert.equal(sink.result, { exitCode: 3 });
});

test('a disconnect, an old agent\'s unknown_type and a flooding agent end the exec with a reason', () => {
  const a = setup();
  a.hub.emit('disconnected', 'ns/h', 'gone', { code: 1006, sessionId: 's' });
  assert.is(a.sink.result?.error?.code, 'AgentDisconnected');
  const b = setup();
  b.hub.emit('agentError', 'ns/h', { type: 'error', id: b.handle.id, code: 'unknown_type', message: 'unknown frame type' });
  assert.match(b.sink.result?.error?.message ?? '', /does not support exec/);
  const c = setup();
  c.sink.buffered = LOW_WATER_BYTES * 10;
  const big = Buffer.alloc(64 * 1024).toString('base64');
  for (let i = 0; i < 40 && !c.sink.result; i++) c.hub.emit('exec', 'ns/h', { type: 'execOutput', id: c.handle.id, stream: 'out', data: big });
  assert.is(c.sink.result?.error?.code, 'ProtocolError');
  assert.is(c.hub.sent.at(-1)!.type, 'execCancel');
});

test('the start message is checked field by field; the command is quoted for the Event', () => {
  assert.ok(parseStart('{"type":"start","cmd":["sh"],"tty":true,"stdin":true,"rows":10,"cols":80}').ok);
  assert.match((parseStart('{"type":"start","cmd":[],"tty":false,"stdin":false}') as { message: string }).message, /start.cmd/);
  assert.match((parseStart('{"type":"resize"}') as { message: string }).message, /first message/);
  assert.is(commandText(['sh', '-c', "echo 'hi' there"]), `sh -c 'echo '\\''hi'\\'' there'`);
  assert.ok(commandText(['x'.repeat(600)]).length <= 512);
});

test.run();
