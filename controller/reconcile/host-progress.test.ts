// The kstatus conditions of a ContainerHost, computed the way the reconciler does (computeHostStatus),
// one scenario per row: what the host's facts are → Reconciling / Stalled and the reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerHost } from '../api/types.js';
import { computeHostStatus, type StatusInput } from './status.js';
import { hostWith, seen, spec } from './test-fixtures.js';

const input = (host: ContainerHost, p: Partial<StatusInput> = {}): StatusInput => ({
  host, agent: { connected: true, docker: { ok: true, version: '20.10', cpus: 2, memoryBytes: 1 }, containers: [] },
  desired: new Map((host.spec.containers ?? []).map((c) => [c.name, spec(c.name)])),
  unresolved: new Map(), inFlight: new Set(), failures: new Map(), now: '2026-11-21T10:00:00Z', ...p,
});
const kstatus = (i: StatusInput) => {
  const s = computeHostStatus(i);
  const c = (t: string) => s.conditions!.find((x) => x.type === t)!;
  return { reconciling: c('Reconciling'), stalled: c('Stalled'), ready: c('Ready'), all: s.conditions! };
};
const connected = (containers = [seen('a')]) => ({ agent: { connected: true, docker: { ok: true as const, version: '20.10', cpus: 2, memoryBytes: 1 }, containers } });

const ROWS: Array<[string, StatusInput, 'Reconciling' | 'Stalled' | 'neither', string]> = [
  ['never connected', input(hostWith(['a']), { agent: { connected: false } }), 'Reconciling', 'WaitingForAgent'],
  ['agent gone', input(hostWith(['a']), { agent: { connected: false, lastSeenAt: '2026-11-21T09:00:00Z', containers: [seen('a')] } }), 'Reconciling', 'AgentDisconnected'],
  ['creating', input(hostWith(['a']), { inFlight: new Set(['a']) }), 'Reconciling', 'Progressing'],
  ['Ready', input(hostWith(['a']), connected()), 'neither', 'Ready'],
  ['healthcheck starting', input(hostWith(['a']), connected([seen('a', { health: 'starting' })])), 'Reconciling', 'ContainersNotReady'],
  ['Docker down', input(hostWith(['a']), { agent: { connected: true, docker: { ok: false, error: 'ENOENT' } } }), 'Reconciling', 'DockerUnavailable'],
  ['policy refused', input(hostWith(['a']), { failures: new Map([['a', 'PolicyViolation: refused by the host policy: privileged']]) }), 'Stalled', 'PolicyRefused'],
  ['image absent, Never', input(hostWith(['a']), { failures: new Map([['a', 'ImageNotPresent: image "x" is not present']]) }), 'Stalled', 'ImageNotPresent'],
  ['name held', input(hostWith(['a']), { failures: new Map([['a', 'NameConflict: held']]) }), 'Stalled', 'NameConflict'],
  ['bad credentials', input(hostWith(['a']), { failures: new Map([['a', 'PullFailed: failed: unauthorized: authentication required']]) }), 'Stalled', 'RegistryAuthFailed'],
  ['missing Secret, agent or not', input(hostWith(['a']), { agent: { connected: false }, desired: new Map(), unresolved: new Map([['a', 'SecretNotFound: env X: Secret ns/s not found']]) }), 'Stalled', 'SecretNotFound'],
  ['transient failure: retrying', input(hostWith(['a']), { failures: new Map([['a', 'timeout: no result']]) }), 'Reconciling', 'Retrying'],
  ['a stalled failure with a newer attempt in flight is not (yet) stalled', input(hostWith(['a']), { inFlight: new Set(['a']), failures: new Map([['a', 'NameConflict: held']]) }), 'Reconciling', 'Progressing'],
  ['a failure reported before the agent went is not judged without it', input(hostWith(['a']), { agent: { connected: false, lastSeenAt: '2026-11-21T09:00:00Z' }, failures: new Map([['a', 'NameConflict: held']]) }), 'Reconciling', 'AgentDisconnected'],
  ['paused', input(hostWith(['a'], { paused: true }), connected([])), 'neither', 'Paused'],
  ['a dependsOn cycle', input(hostWith(['a']), { ...connected([]), dependencyProblems: ['a: dependsOn cycle a → a'] }), 'Stalled', 'InvalidDependencies'],
  ['deleting', input(hostWith(['a'], {}, { deletionTimestamp: '2026-11-21T10:00:00Z' }), connected()), 'Reconciling', 'CleaningUp'],
];

for (const [name, i, which, reason] of ROWS) {
  test(`${name}: ${which} (${reason})`, () => {
    const k = kstatus(i);
    assert.is(k.reconciling.status, which === 'Reconciling' ? 'True' : 'False', 'Reconciling');
    assert.is(k.stalled.status, which === 'Stalled' ? 'True' : 'False', 'Stalled');
    assert.is((which === 'neither' ? k.stalled : which === 'Stalled' ? k.stalled : k.reconciling).reason, reason);
    for (const c of k.all) assert.is(c.observedGeneration, 3, `${c.type} carries observedGeneration`);
  });
}

test('Stalled says which containers and what to do; Ready keeps its own reason', () => {
  const k = kstatus(input(hostWith(['a', 'b']), { failures: new Map([['b', 'NameConflict: the name "b" is held'], ['a', 'timeout: x']]) }));
  assert.is(k.stalled.reason, 'NameConflict');
  assert.match(k.stalled.message, 'b: the name "b" is held');
  assert.match(k.stalled.message, 'rename or remove');
  assert.is.not(k.stalled.message.includes('a: x'), true, 'transient failures are not part of the stall');
  assert.is(k.ready.status, 'False');
  assert.is(k.ready.reason, 'Failed');
});

test.run();
