import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { ResultFrame } from '../../protocol/frames.js';
import { DispatchError, type DispatchFrame } from '../hub/hub.js';
import type { EventRecord } from '../store/store.js';
import { ActionDispatcher, eventFor } from './dispatcher.js';
import { deferred, hostWith, spec } from './test-fixtures.js';

const tick = () => new Promise((r) => setImmediate(r));

/** A dispatcher on a fake hub whose dispatches the test settles one by one. */
function setup() {
  let nowMs = Date.parse('2026-01-01T00:00:00Z');
  const sent: Array<{ key: string; frame: DispatchFrame; result: ReturnType<typeof deferred<ResultFrame>> }> = [];
  const events: EventRecord[] = [];
  const enqueued: string[] = [];
  const dropped: string[] = [];
  const registry = new Registry();
  const d = new ActionDispatcher({
    hub: { dispatch: (key, frame) => { const result = deferred<ResultFrame>(); sent.push({ key, frame, result }); return result.promise; } },
    store: { recordEvent: (_kind, _key, e) => { events.push(e); }, secret: () => undefined },
    dropObserved: (key, name) => dropped.push(`${key} ${name}`),
    enqueue: (key) => enqueued.push(key), logger: pino({ level: 'silent' }), registry, now: () => new Date(nowMs),
  });
  return { d, sent, events, enqueued, dropped, registry, advance: (ms: number) => { nowMs += ms; }, now: () => nowMs };
}
const host = hostWith(['web']);
const apply = { kind: 'apply' as const, name: 'web', spec: spec('web'), why: 'missing' };

test('each kind of action records its own Event reason', () => {
  assert.equal(eventFor({ kind: 'apply', name: 'web', spec: spec('web', { image: 'nginx:1.27' }), why: 'missing' }),
    { type: 'Normal', reason: 'Creating', message: 'web: creating from nginx:1.27 (pulling if missing)' });
  assert.is(eventFor({ kind: 'apply', name: 'web', spec: spec('web', { imagePullPolicy: 'Always' }), why: 'spec changed (a → b)' }).reason, 'Recreating');
  assert.match(eventFor({ kind: 'apply', name: 'web', spec: spec('web', { imagePullPolicy: 'Always' }), why: 'spec changed (a → b)' }).message, '(pulling)');
  assert.is(eventFor({ kind: 'apply', name: 'web', spec: spec('web'), why: 'state exited, want Running' }).reason, 'Starting');
  assert.is(eventFor({ kind: 'apply', name: 'web', spec: spec('web', { state: 'Stopped' }), why: 'state running, want Stopped' }).reason, 'Stopping');
  assert.is(eventFor({ kind: 'remove', name: 'web', why: 'no longer in spec (removalPolicy Delete)' }).reason, 'Removing');
});

test('an action is in flight until its result; success re-enqueues and counts ok', async () => {
  const { d, sent, events, enqueued, registry } = setup();
  d.dispatch('ns/h', host, apply);
  assert.equal([...d.inFlight('ns/h')], ['web']);
  assert.is(sent[0]?.frame.type, 'apply');
  assert.is(events[0]?.reason, 'Creating');
  sent[0]?.result.resolve({ type: 'result', id: sent[0].frame.id ?? '', ok: true });
  await tick();
  assert.equal([...d.inFlight('ns/h')], []);
  assert.equal(enqueued, ['ns/h']);
  assert.match(await registry.getSingleMetricAsString('berth_actions_total'), 'berth_actions_total{kind="apply",result="ok"} 1');
});

test('a failed result records the failure, a Warning, and a retry backoff of 1 s doubling to 5 min', async () => {
  const { d, sent, events, advance, now } = setup();
  const fail = async (i: number) => {
    d.dispatch('ns/h', host, apply);
    sent[i]?.result.resolve({ type: 'result', id: 'x', ok: false, error: { code: 'PullFailed', message: 'no such image' } });
    await tick();
  };
  await fail(0);
  assert.is(d.failures('ns/h').get('web'), 'PullFailed: no such image');
  assert.equal(events.map((e) => e.reason), ['Creating', 'ApplyFailed']);
  assert.equal([...d.backingOff('ns/h', now())], [['web', now() + 1000]]);
  assert.is(d.backingOff('ns/h', now() + 1000).size, 0, 'due after 1 s');
  await fail(1);
  assert.equal([...d.backingOff('ns/h', now()).values()], [now() + 2000]);
  for (let i = 2; i < 12; i++) await fail(i);
  assert.equal([...d.backingOff('ns/h', now()).values()], [now() + 5 * 60_000], 'capped');
  advance(10 * 60_000);
  assert.is(d.backingOff('ns/h', now()).size, 0);
  d.dispatch('ns/h', host, apply);
  sent[12]?.result.resolve({ type: 'result', id: 'x', ok: true });
  await tick();
  assert.is(d.failures('ns/h').size, 0, 'a success clears the failure');
  d.dispatch('ns/h', host, apply);
  sent[13]?.result.resolve({ type: 'result', id: 'x', ok: false, error: { code: 'E', message: 'again' } });
  await tick();
  assert.equal([...d.backingOff('ns/h', now()).values()], [now() + 1000], 'and the backoff');
});

test('a lost connection is not the container\'s fault: no failure, no backoff', async () => {
  const { d, sent, registry } = setup();
  d.dispatch('ns/h', host, apply);
  sent[0]?.result.reject(new DispatchError('disconnected', 'gone', 'ns/h'));
  await tick();
  assert.is(d.failures('ns/h').size, 0);
  assert.is(d.backingOff('ns/h', 0).size, 0);
  d.dispatch('ns/h', host, apply);
  sent[1]?.result.reject(new DispatchError('timeout', 'no result', 'ns/h'));
  await tick();
  assert.is(d.failures('ns/h').get('web'), 'timeout: no result');
  assert.match(await registry.getSingleMetricAsString('berth_actions_total'), 'berth_actions_total{kind="apply",result="error"} 1');
});

test('a successful remove drops the container from the observed view', async () => {
  const { d, sent, dropped, events } = setup();
  d.dispatch('ns/h', host, { kind: 'remove', name: 'old', why: 'no longer in spec (removalPolicy Delete)' });
  assert.equal(sent[0]?.frame, { type: 'remove', id: sent[0]?.frame.id, name: 'old' });
  sent[0]?.result.resolve({ type: 'result', id: 'x', ok: true });
  await tick();
  assert.equal(dropped, ['ns/h old']);
  assert.equal(events.map((e) => e.reason), ['Removing']);
});

test('a connection change forgets what was in flight; a new connection also clears the backoff', async () => {
  const { d, sent, now } = setup();
  d.dispatch('ns/h', host, apply);
  sent[0]?.result.resolve({ type: 'result', id: 'x', ok: false, error: { code: 'E', message: 'x' } });
  await tick();
  d.dispatch('ns/h', host, { kind: 'remove', name: 'old', why: 'x' });
  d.connectionChanged('ns/h', 'disconnected');
  assert.is(d.inFlight('ns/h').size, 0);
  assert.is(d.backingOff('ns/h', now()).size, 1, 'the backoff survives a disconnect');
  d.connectionChanged('ns/h', 'connected');
  assert.is(d.backingOff('ns/h', now()).size, 0);
  assert.is(d.failures('ns/h').size, 1, 'the last failure is still shown');
});

test.run();
