import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerDecl, ContainerStatus } from '../../../protocol/resources.js';
import { conditionGood, readyClass, stateClass, statusClass } from './badges.js';

const cond = (status: 'True' | 'False' | 'Unknown') => ({ type: 'Ready', status, reason: 'R', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' });
const decl = (state: 'Running' | 'Stopped') => ({ name: 'c', image: 'i', state }) as ContainerDecl;
const actual = (state: ContainerStatus['state'], ready: boolean, health?: ContainerStatus['health']): ContainerStatus => ({ name: 'c', state, ready, ...(health ? { health } : {}) });

test('conditions: True ok, False bad, Unknown warn, none plain', () => {
  assert.equal([statusClass(cond('True')), statusClass(cond('False')), statusClass(cond('Unknown')), statusClass(undefined)], ['ok', 'bad', 'warn', '']);
});

test('abnormal-true conditions: Stalled True bad, Reconciling True warn, both False ok', () => {
  const c = (type: string, status: 'True' | 'False') => ({ ...cond(status), type });
  assert.equal([statusClass(c('Stalled', 'True')), statusClass(c('Reconciling', 'True')), statusClass(c('Stalled', 'False')), statusClass(c('Reconciling', 'False'))], ['bad', 'warn', 'ok', 'ok']);
  assert.equal([conditionGood(c('Stalled', 'False')), conditionGood(c('Ready', 'False')), conditionGood(c('Reconciling', 'True'))], [true, false, false]);
});

test('ready x/y: all ok, none bad, some warn, unknown plain', () => {
  assert.equal([readyClass('2/2'), readyClass('0/2'), readyClass('1/2'), readyClass('0/0'), readyClass(undefined)], ['ok', 'bad', 'warn', 'ok', '']);
});

test('containers: desired vs actual', () => {
  assert.is(stateClass(decl('Running'), undefined), 'warn', 'not reported yet');
  assert.is(stateClass(decl('Running'), actual('Running', true)), 'ok');
  assert.is(stateClass(decl('Running'), actual('Running', true, 'unhealthy')), 'bad');
  assert.is(stateClass(decl('Running'), actual('Pulling', false)), 'warn');
  assert.is(stateClass(decl('Running'), actual('Exited', false)), 'bad');
  assert.is(stateClass(decl('Stopped'), actual('Stopped', false)), 'ok');
  assert.is(stateClass(decl('Running'), actual('Running', false)), 'warn', 'running, not ready yet');
});

test.run();
