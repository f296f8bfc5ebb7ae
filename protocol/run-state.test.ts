import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DesiredState, DockerState, RestartPolicy } from './container.js';
import { observedRunView, runStateAction, runStateConverged, type RunStateAction } from './run-state.js';

const states: DockerState[] = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];
const policies: RestartPolicy[] = ['Always', 'UnlessStopped', 'OnFailure', 'Never'];

// The whole rule as a table, written out by hand (not derived from the code under test):
// [desired, docker state, hasRun] → the action for each policy in the order of `policies`.
type Row = [DesiredState, DockerState, boolean, [RunStateAction, RunStateAction, RunStateAction, RunStateAction]];
const table: Row[] = [
  ['Running', 'created', false, ['start', 'start', 'start', 'start']],
  ['Running', 'running', true, ['none', 'none', 'none', 'none']],
  ['Running', 'paused', true, ['unpause', 'unpause', 'unpause', 'unpause']],
  ['Running', 'restarting', true, ['none', 'none', 'none', 'none']],
  ['Running', 'removing', true, ['wait', 'wait', 'wait', 'wait']],
  ['Running', 'removing', false, ['wait', 'wait', 'wait', 'wait']],
  // Ran and exited: completed under OnFailure/Never, drift under Always/UnlessStopped.
  ['Running', 'exited', true, ['start', 'start', 'none', 'none']],
  // Exited without ever running (its start failed): nothing completed, so it is started.
  ['Running', 'exited', false, ['start', 'start', 'start', 'start']],
  // Dead (a failed removal) is replaced whatever the policy — including a Never job.
  ['Running', 'dead', true, ['recreate', 'recreate', 'recreate', 'recreate']],
  ['Running', 'dead', false, ['recreate', 'recreate', 'recreate', 'recreate']],
  ['Stopped', 'created', false, ['none', 'none', 'none', 'none']],
  ['Stopped', 'running', true, ['stop', 'stop', 'stop', 'stop']],
  // Paused is up: its processes and memory are still there.
  ['Stopped', 'paused', true, ['stop', 'stop', 'stop', 'stop']],
  ['Stopped', 'restarting', true, ['stop', 'stop', 'stop', 'stop']],
  ['Stopped', 'removing', true, ['wait', 'wait', 'wait', 'wait']],
  ['Stopped', 'exited', true, ['none', 'none', 'none', 'none']],
  ['Stopped', 'exited', false, ['none', 'none', 'none', 'none']],
  ['Stopped', 'dead', true, ['none', 'none', 'none', 'none']],
];

test('every Docker state × desired state × restart policy has a decided action', () => {
  for (const desired of ['Running', 'Stopped'] as const) {
    for (const s of states) {
      assert.ok(table.some(([d, st]) => d === desired && st === s), `no row for ${desired} × ${s}`);
    }
  }
  for (const [desired, status, hasRun, expected] of table) {
    policies.forEach((p, i) => assert.is(runStateAction(desired, p, { status, hasRun }), expected[i], `${desired} ${status} hasRun=${hasRun} ${p}`));
  }
});

test('converged means exactly "no operation": wait is not converged', () => {
  for (const [desired, state, hasRun, expected] of table) {
    policies.forEach((p, i) => {
      const o = { state, ...(hasRun ? { startedAt: '2026-01-01T00:00:00Z' } : {}) };
      assert.is(runStateConverged({ state: desired, restartPolicy: p }, o), expected[i] === 'none', `${desired} ${state} ${p}`);
    });
  }
});

test('the observed view: has run iff the agent reported a start time', () => {
  assert.equal(observedRunView({ state: 'exited', startedAt: '2026-01-01T00:00:00Z' }), { status: 'exited', hasRun: true });
  assert.equal(observedRunView({ state: 'exited' }), { status: 'exited', hasRun: false });
});

test.run();
