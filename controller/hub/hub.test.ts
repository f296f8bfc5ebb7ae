// The agent hub, live sessions: superseding, invalid and flooding frames, limits, dispatch and results, disconnects, heartbeats, close().
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from 'ws';
import { MAX_FRAME_BYTES } from '../../protocol/frames.js';
import { DispatchError, type ConnectionInfo } from './hub.js';
import { until } from '../../test/support/wait.js';
import { Agent, counter, HELLO, jwtFor, logLines, minted, OBSERVED, refusal, testNoTokenInLogs, within, withBed } from './hub-test-bed.js';

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

test('close() closes every agent with 1001', () => withBed({}, async (b) => {
  const a1 = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  await a1.hello();
  const a2 = await Agent.open(b.url, await jwtFor(b.tokens[1]!));
  await within(b.hub.close(), 3000, 'close');
  assert.equal(await a1.closedWithin(), { code: 1001, reason: 'controller shutting down' });
  assert.is((await a2.closedWithin()).code, 1001);
  assert.is(b.hub.connections().length, 0);
}));

testNoTokenInLogs();

test.run();
