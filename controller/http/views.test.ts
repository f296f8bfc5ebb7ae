import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerHost } from '../api/types.js';
import { hostView } from './views.js';

const host = (agent: NonNullable<ContainerHost['status']>['agent']): ContainerHost => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerHost',
  metadata: { name: 'h', namespace: 'ns', uid: 'u', generation: 1 },
  spec: { paused: false, removalPolicy: 'Delete', policy: { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] }, containers: [] },
  status: { ready: '0/0', agent },
});

test('a connected host shows lastSeenAt from memory (status does not carry it)', () => {
  const asked: string[] = [];
  const v = hostView(host({ connected: true, connectedAt: '2026-01-01T00:00:00Z' }), (key) => { asked.push(key); return '2026-01-01T00:05:00Z'; });
  assert.equal(asked, ['ns/h']);
  assert.equal(v.status.agent, { connected: true, connectedAt: '2026-01-01T00:00:00Z', lastSeenAt: '2026-01-01T00:05:00Z' });
  assert.is(v.status.ready, '0/0');
});

test('a disconnected host shows the stored lastSeenAt; no lookup, or none answering, leaves status as stored', () => {
  const gone = host({ connected: false, lastSeenAt: '2026-01-01T00:01:00Z' });
  assert.is(hostView(gone, () => '2026-01-01T09:00:00Z').status.agent?.lastSeenAt, '2026-01-01T00:01:00Z');
  const live = host({ connected: true });
  assert.is(hostView(live).status, live.status);
  assert.is(hostView(live, () => undefined).status, live.status);
});

test.run();
