import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import type { HelloFrame } from '../../protocol/frames.js';
import type { AgentHub, HubNotifications, ConnectionInfo } from '../hub/hub.js';
import type { EventRecord } from '../store/store.js';
import { AgentInventory } from './inventory.js';
import { seen } from './test-fixtures.js';

const KEY = 'ns/h';
const NOW = new Date('2026-01-01T00:05:00Z');

function setup() {
  const hub = new EventEmitter<HubNotifications>();
  const events: EventRecord[] = [];
  const enqueued: string[] = [];
  const changes: string[] = [];
  const inventory = new AgentInventory({
    hub: hub as unknown as Pick<AgentHub, 'on'>, recordEvent: (_k, _key, e) => { events.push(e); }, enqueue: (k) => enqueued.push(k),
    onConnectionChange: (k, c) => changes.push(`${k} ${c}`), now: () => NOW,
  });
  const hello: HelloFrame = { type: 'hello', protocolVersion: 1, agent: { version: '1.2', hostname: 'm1', os: 'linux', arch: 'x64' }, docker: { ok: true, version: '20.10', cpus: 2, memoryBytes: 1 }, containers: [seen('a')] };
  const session: ConnectionInfo = { hostKey: KEY, sessionId: 's', connectedAt: '2026-01-01T00:00:00Z', lastSeenAt: '2026-01-01T00:00:01Z', ready: true };
  return { hub, inventory, events, enqueued, changes, hello, session };
}

test('never connected: a disconnected view, and nothing is remembered for a drop', () => {
  const { inventory } = setup();
  assert.equal(inventory.view(KEY), { connected: false });
  inventory.dropObserved(KEY, 'a');
  assert.equal(inventory.view(KEY), { connected: false });
});

test('connected → observed → result → disconnected: the view follows, each change enqueues but a result', () => {
  const { hub, inventory, events, enqueued, changes, hello, session } = setup();
  hub.emit('connected', KEY, hello, session);
  assert.equal(inventory.view(KEY), { connected: true, connectedAt: session.connectedAt, lastSeenAt: session.lastSeenAt, agent: hello.agent, docker: hello.docker, containers: [seen('a')] });
  assert.equal(changes, [`${KEY} connected`]);
  hub.emit('observed', KEY, { type: 'observed', docker: hello.docker, containers: [seen('a'), seen('b')] });
  assert.equal(inventory.view(KEY).containers?.map((c) => c.name), ['a', 'b']);
  assert.is(inventory.view(KEY).lastSeenAt, NOW.toISOString());
  hub.emit('result', KEY, { type: 'result', id: 'x', ok: true, container: seen('a', { state: 'exited' }) });
  assert.equal(inventory.view(KEY).containers?.map((c) => `${c.name} ${c.state}`), ['b running', 'a exited']);
  assert.equal(enqueued, [KEY, KEY], 'the dispatcher enqueues on results, not the inventory');
  inventory.dropObserved(KEY, 'b');
  assert.equal(inventory.view(KEY).containers?.map((c) => c.name), ['a']);
  hub.emit('disconnected', KEY, 'gone', { code: 1006, sessionId: 's' });
  hub.emit('disconnected', KEY, 'gone', { code: 1006, sessionId: 's' });
  assert.is(inventory.view(KEY).connected, false);
  assert.equal(inventory.view(KEY).containers?.map((c) => c.name), ['a'], 'kept while disconnected (shown as Unknown)');
  assert.equal(changes, [`${KEY} connected`, `${KEY} disconnected`], 'one disconnect per connection');
  assert.equal(events.map((e) => e.reason), ['AgentConnected', 'AgentDisconnected']);
  inventory.forget(KEY);
  assert.equal(inventory.view(KEY), { connected: false });
});

test('a second agent for the host records AgentConflict', () => {
  const { hub, events, session } = setup();
  hub.emit('conflict', KEY, { previous: session, remoteAddress: '10.0.0.2' });
  assert.equal(events, [{ type: 'Warning', reason: 'AgentConflict', message: 'a second agent connected for this host from 10.0.0.2; the earlier connection was closed' }]);
});

test.run();
