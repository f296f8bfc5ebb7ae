// The shared event log: repeats of the last event are counted (Kubernetes' aggregation), a
// different event starts a new record, the log is bounded per object, forget() drops it, and
// callers get copies.
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventLog, MAX_EVENTS_PER_OBJECT } from './event-log.js';

const clock = (start: number) => { let t = start; return { now: () => new Date(t), tick: (ms: number) => { t += ms; } }; };

test('repeats are counted with first and last timestamps; another event starts a new record', () => {
  const c = clock(Date.UTC(2026, 0, 1));
  const log = new EventLog({ log: pino({ level: 'silent' }), now: c.now });
  log.record('ContainerHost', 'ns/a', { type: 'Warning', reason: 'Unreachable', message: 'no agent' });
  c.tick(1000);
  log.record('ContainerHost', 'ns/a', { type: 'Warning', reason: 'Unreachable', message: 'no agent' });
  log.record('ContainerHost', 'ns/a', { type: 'Normal', reason: 'Connected', message: 'agent connected' });
  const events = log.events('ContainerHost', 'ns/a');
  assert.equal(events.map((e) => [e.reason, e.count]), [['Unreachable', 2], ['Connected', 1]]);
  assert.is(events[0]!.firstTimestamp, '2026-01-01T00:00:00.000Z');
  assert.is(events[0]!.lastTimestamp, '2026-01-01T00:00:01.000Z');
  assert.equal(log.events('AgentToken', 'ns/a'), [], 'per kind and key');
  events[0]!.count = 99;
  assert.is(log.events('ContainerHost', 'ns/a')[0]!.count, 2, 'callers get copies');
});

test('bounded per object; forget() drops the log', () => {
  const log = new EventLog({ log: pino({ level: 'silent' }) });
  for (let i = 0; i < MAX_EVENTS_PER_OBJECT + 5; i++) log.record('AgentToken', 'ns/t', { type: 'Normal', reason: `R${i}`, message: 'm' });
  const events = log.events('AgentToken', 'ns/t');
  assert.is(events.length, MAX_EVENTS_PER_OBJECT);
  assert.is(events[0]!.reason, 'R5', 'the oldest go first');
  log.forget('AgentToken', 'ns/t');
  assert.equal(log.events('AgentToken', 'ns/t'), []);
});

test.run();
