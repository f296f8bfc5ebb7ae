import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import type { AgentToken, ContainerHost } from '../api/types.js';
import { hostWith } from '../reconcile/test-fixtures.js';
import { parseSamples } from '../../test/support/metrics.js';
import { registerFleetMetrics, unixSeconds } from './fleet-metrics.js';

const cond = (type: string, status: 'True' | 'False') => ({ type, status, reason: 'R', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' });

function host(name: string, connected: boolean, ready: boolean, restarts: Record<string, number> = {}): ContainerHost {
  const h = hostWith(Object.keys(restarts), {}, { name });
  return { ...h, status: {
    conditions: [cond('AgentConnected', connected ? 'True' : 'False'), cond('Ready', ready ? 'True' : 'False')],
    containers: Object.entries(restarts).map(([n, restartCount]) => ({ name: n, state: 'Running' as const, ready: true, restartCount })),
  } } as ContainerHost;
}

const token = (name: string, expiresAt?: string): AgentToken => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'AgentToken', metadata: { name, namespace: 'ns', uid: name, generation: 1 },
  spec: { hostRef: { name } }, ...(expiresAt ? { status: { expiresAt } } : {}),
}) as AgentToken;

async function scrape(hosts: ContainerHost[], tokens: AgentToken[], leader: () => boolean) {
  const registry = new Registry();
  registerFleetMetrics(registry, { version: '9.9.9', isLeader: leader, hosts: () => hosts, tokens: () => tokens });
  return { registry, read: async () => parseSamples(await registry.metrics()) };
}

const value = (samples: ReturnType<typeof parseSamples>, name: string, labels: Record<string, string> = {}) =>
  samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))?.value;

test('berth_build_info names the version and runtime; berth_leader follows isLeader at each scrape', async () => {
  let leading = true;
  const { read } = await scrape([], [], () => leading);
  let s = await read();
  assert.is(value(s, 'berth_build_info', { version: '9.9.9', nodejs: process.versions.node }), 1);
  assert.is(value(s, 'berth_leader'), 1);
  leading = false;
  s = await read();
  assert.is(value(s, 'berth_leader'), 0);
});

test('host gauges mirror the AgentConnected and Ready conditions, and drop hosts that went', async () => {
  const hosts = [host('a', true, true), host('b', false, false)];
  const { read } = await scrape(hosts, [], () => true);
  let s = await read();
  assert.is(value(s, 'berth_host_agent_connected', { namespace: 'ns', name: 'a' }), 1);
  assert.is(value(s, 'berth_host_agent_connected', { namespace: 'ns', name: 'b' }), 0);
  assert.is(value(s, 'berth_host_ready', { namespace: 'ns', name: 'a' }), 1);
  assert.is(value(s, 'berth_host_ready', { namespace: 'ns', name: 'b' }), 0);
  hosts.pop();
  s = await read();
  assert.is(value(s, 'berth_host_agent_connected', { namespace: 'ns', name: 'b' }), undefined, 'a deleted host leaves no stale series');
  const noStatus = hostWith([], {}, { name: 'c' });
  hosts.push(noStatus);
  s = await read();
  assert.is(value(s, 'berth_host_agent_connected', { namespace: 'ns', name: 'c' }), 0, 'no status yet counts as not connected');
});

test('berth_container_restarts_total: only containers that restarted, with the status count', async () => {
  const hosts = [host('a', true, true, { web: 4, db: 0 })];
  const { read } = await scrape(hosts, [], () => true);
  const s = await read();
  assert.is(value(s, 'berth_container_restarts_total', { namespace: 'ns', host: 'a', container: 'web' }), 4);
  assert.is(value(s, 'berth_container_restarts_total', { namespace: 'ns', host: 'a', container: 'db' }), undefined);
});

test('berth_agent_token_expiry_timestamp_seconds from status.expiresAt; none without one', async () => {
  const { read } = await scrape([], [token('a', '2026-12-08T10:00:00Z'), token('b'), token('c', 'not a time')], () => true);
  const s = await read();
  assert.is(value(s, 'berth_agent_token_expiry_timestamp_seconds', { namespace: 'ns', name: 'a' }), Date.parse('2026-12-08T10:00:00Z') / 1000);
  assert.is(value(s, 'berth_agent_token_expiry_timestamp_seconds', { namespace: 'ns', name: 'b' }), undefined);
  assert.is(value(s, 'berth_agent_token_expiry_timestamp_seconds', { namespace: 'ns', name: 'c' }), undefined);
  assert.is(unixSeconds(undefined), undefined);
});

test.run();
