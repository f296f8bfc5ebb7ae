import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventFor } from './host-reconciler.js';
import { spec } from './test-fixtures.js';

test('each kind of action records its own Event reason', () => {
  assert.equal(eventFor({ kind: 'apply', name: 'web', spec: spec('web', { image: 'nginx:1.27' }), why: 'missing' }),
    { type: 'Normal', reason: 'Creating', message: 'web: creating from nginx:1.27 (pulling if missing)' });
  assert.is(eventFor({ kind: 'apply', name: 'web', spec: spec('web', { imagePullPolicy: 'Always' }), why: 'spec changed (a → b)' }).reason, 'Recreating');
  assert.match(eventFor({ kind: 'apply', name: 'web', spec: spec('web', { imagePullPolicy: 'Always' }), why: 'spec changed (a → b)' }).message, '(pulling)');
  assert.is(eventFor({ kind: 'apply', name: 'web', spec: spec('web'), why: 'state exited, want Running' }).reason, 'Starting');
  assert.is(eventFor({ kind: 'apply', name: 'web', spec: spec('web', { state: 'Stopped' }), why: 'state running, want Stopped' }).reason, 'Stopping');
  assert.is(eventFor({ kind: 'remove', name: 'web', why: 'no longer in spec (removalPolicy Delete)' }).reason, 'Removing');
});

test.run();
