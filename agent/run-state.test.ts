import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DockerState, RestartPolicy } from '../protocol/container.js';
import { isDockerZeroTime, runStateAction } from './run-state.js';

const policies: RestartPolicy[] = ['Always', 'UnlessStopped', 'OnFailure', 'Never'];

test('desired Running: start what never ran or exited, leave running/restarting alone', () => {
  for (const p of policies) {
    assert.is(runStateAction('Running', p, { status: 'running', hasRun: true }), 'none', p);
    assert.is(runStateAction('Running', p, { status: 'restarting', hasRun: true }), 'none', p);
    assert.is(runStateAction('Running', p, { status: 'created', hasRun: false }), 'start', p);
    assert.is(runStateAction('Running', p, { status: 'paused', hasRun: true }), 'unpause', p);
    assert.is(runStateAction('Running', p, { status: 'dead', hasRun: true }), 'recreate', p);
    assert.is(runStateAction('Running', p, { status: 'removing', hasRun: true }), 'none', p);
  }
  assert.is(runStateAction('Running', 'Always', { status: 'exited', hasRun: true }), 'start');
  assert.is(runStateAction('Running', 'UnlessStopped', { status: 'exited', hasRun: true }), 'start');
});

test('desired Running with Never/OnFailure: a container that ran and exited has completed', () => {
  assert.is(runStateAction('Running', 'Never', { status: 'exited', hasRun: true }), 'none');
  assert.is(runStateAction('Running', 'OnFailure', { status: 'exited', hasRun: true }), 'none');
  // Exited without ever running (e.g. created, then the daemon restarted): not completed, start it.
  assert.is(runStateAction('Running', 'Never', { status: 'exited', hasRun: false }), 'start');
});

test('desired Stopped: stop what is up, leave the rest', () => {
  const up: DockerState[] = ['running', 'restarting', 'paused'];
  const down: DockerState[] = ['created', 'exited', 'dead', 'removing'];
  for (const p of policies) {
    for (const s of up) assert.is(runStateAction('Stopped', p, { status: s, hasRun: true }), 'stop', `${p} ${s}`);
    for (const s of down) assert.is(runStateAction('Stopped', p, { status: s, hasRun: true }), 'none', `${p} ${s}`);
  }
});

test("Docker's zero time", () => {
  assert.ok(isDockerZeroTime('0001-01-01T00:00:00Z'));
  assert.ok(isDockerZeroTime(undefined));
  assert.not.ok(isDockerZeroTime('2026-01-01T00:00:00.123Z'));
});

test.run();
